//! The SMTP scenario for real: all four subscenarios run under Docker, each
//! capture begins with the TCP handshake, the SMTP dialogue (HELO/EHLO,
//! MAIL, RCPT, DATA, QUIT) is on the wire with the drawn addresses and
//! subject, and the server's own check saw every message arrive.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;

const SEED: &str = "710";

fn file_names(m: &Manifest, name: &str) -> Vec<String> {
    match &m.parameters[name].value {
        Value::Files(f) => f.iter().map(|f| f.name.clone()).collect(),
        v => panic!("{name} is not a file set: {v:?}"),
    }
}

/// One field of the packets matching a filter, pipelined values (one frame
/// carrying several commands or replies, comma-separated) split apart.
fn values(pcap: &Path, filter: &str, field: &str) -> Vec<String> {
    tshark(pcap, filter, &[field])
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::to_string)
        .collect()
}

#[test]
fn smtp_subscenarios_deliver_mail_with_the_drawn_subject() {
    if !docker_required("smtp runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "smtp",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3", "4"] {
        let run = out.path().join(format!("smtp-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "smtp {sub}\n{}",
            logs_tail(&run, 40)
        );
        // the server is a workload: it exits 0 only once its mailboxes hold
        // every message as sent
        assert_eq!(results.exit_codes["client"], 0, "smtp {sub}");
        assert_eq!(results.exit_codes["server"], 0, "smtp {sub}");
        let messages = file_names(&m, "messages").len();
        let recipients = param_int(&m, "recipients") as usize;
        let server_log = std::fs::read_to_string(run.join("logs/server.log")).unwrap();
        let done = format!(
            "mailcheck: all {} deliveries as designed",
            messages * recipients
        );
        assert!(server_log.contains(&done), "smtp {sub}: {server_log}");
        assert!(
            server_log.contains("status=sent (delivered to maildir)"),
            "smtp {sub}: {server_log}"
        );

        let domain = format!("{}.{}", param(&m, "domain"), param(&m, "tld"));
        let sender = format!(
            "{}@{}.{}",
            param(&m, "sender"),
            param(&m, "sender_domain"),
            param(&m, "sender_tld")
        );
        let subject = format!("{} #{}", param(&m, "topic"), param(&m, "ref"));
        for side in ["client", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "smtp {sub} {side}: first TCP packet is not a SYN"
            );
            let commands: BTreeSet<String> = values(&pcap, "smtp.req", "smtp.req.command")
                .into_iter()
                .collect();
            let codes: BTreeSet<String> = values(&pcap, "smtp.response", "smtp.response.code")
                .into_iter()
                .collect();
            assert!(codes.contains("220"), "smtp {sub} {side}: {codes:?}");
            if sub == "4" {
                // EHLO, STARTTLS (tshark names it by its first four letters)
                // and a TLS handshake; the rest is encrypted
                assert!(commands.contains("EHLO"), "smtp 4 {side}: {commands:?}");
                assert!(
                    commands.iter().any(|c| c.starts_with("STAR")),
                    "smtp 4 {side}: no STARTTLS in {commands:?}"
                );
                let hellos = tshark(&pcap, "tls.handshake.type == 1", &["frame.number"]);
                assert_eq!(hellos.len(), messages, "smtp 4 {side}: ClientHellos");
                assert!(tshark(&pcap, "imf", &["frame.number"]).is_empty());
                continue;
            }
            assert!(
                commands.contains("HELO") || commands.contains("EHLO"),
                "smtp {sub} {side}: no HELO/EHLO in {commands:?}"
            );
            for c in ["MAIL", "RCPT", "DATA", "QUIT"] {
                assert!(
                    commands.contains(c),
                    "smtp {sub} {side}: no {c} in {commands:?}"
                );
            }
            let params = values(&pcap, "smtp.req", "smtp.req.parameter");
            assert!(
                params.contains(&format!("FROM:<{sender}>")),
                "smtp {sub} {side}: {params:?}"
            );
            let first = format!("TO:<{}@{domain}>", param(&m, "user1"));
            assert!(params.contains(&first), "smtp {sub} {side}: {params:?}");
            // the drawn subject is in the DATA, once per message
            let subjects = tshark(&pcap, "imf", &["imf.subject"]);
            assert_eq!(subjects.len(), messages, "smtp {sub} {side}: {subjects:?}");
            for (i, s) in subjects.iter().enumerate() {
                let want = if messages == 1 {
                    subject.clone()
                } else {
                    format!("{subject} ({}/{messages})", i + 1)
                };
                assert_eq!(s, &want, "smtp {sub} {side}");
            }
            if sub == "2" {
                // every drawn file is attached (gzip-compressed if drawn so)
                let dispositions = tshark(
                    &pcap,
                    "mime_multipart",
                    &["mime_multipart.header.content-disposition"],
                )
                .join(",");
                let gz = if param(&m, "attach_format") == "gzip" {
                    ".gz"
                } else {
                    ""
                };
                for f in file_names(&m, "attachments") {
                    assert!(
                        dispositions.contains(&format!("filename=\"{f}{gz}\"")),
                        "smtp 2 {side}: {f}{gz} not attached: {dispositions}"
                    );
                }
            }
            if sub == "3" {
                // the mistyped address is refused at RCPT: 550 for an
                // unknown user, 554 for a domain the server does not serve
                let refusal = if param(&m, "mistake") == "user" {
                    "550"
                } else {
                    "554"
                };
                assert!(codes.contains(refusal), "smtp 3 {side}: {codes:?}");
                let typo = param(&m, "typo");
                let wrong = if param(&m, "mistake") == "user" {
                    format!("TO:<{}{typo}@{domain}>", param(&m, "user1"))
                } else {
                    format!(
                        "TO:<{}@{}{typo}.{}>",
                        param(&m, "user1"),
                        param(&m, "domain"),
                        param(&m, "tld")
                    )
                };
                assert!(params.contains(&wrong), "smtp 3 {side}: {params:?}");
            }
        }
    }
    // every run verifies, pcaps included
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 4 * 2, "{labels}");
}
