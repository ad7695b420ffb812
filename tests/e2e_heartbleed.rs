//! The heartbleed scenario for real: the attacker's malformed heartbeats
//! (a few bytes claiming 16-64 KiB) are answered with that much server
//! memory, in which the drawn secrets travel in the clear; encrypted
//! heartbeats show only their record lengths; a patched server answers
//! none of them; and the users' curl sessions complete real TLS handshakes
//! with the emulated server throughout.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

const SEED: &str = "981";

/// The bytes `src` sent to `dst` over TCP, all streams together, each
/// stream in sequence order (retransmissions counted once).
fn sent_bytes(pcap: &Path, src: &str, dst: &str) -> Vec<u8> {
    let mut streams: BTreeMap<u64, BTreeMap<u64, Vec<u8>>> = BTreeMap::new();
    for line in tshark(
        pcap,
        &format!("ip.src == {src} && ip.dst == {dst} && tcp.len > 0"),
        &["tcp.stream", "tcp.seq", "tcp.payload"],
    ) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "{line}");
        let bytes = hex::decode(f[2].replace(':', "")).expect("hex payload");
        streams
            .entry(f[0].parse().unwrap())
            .or_default()
            .insert(f[1].parse().unwrap(), bytes);
    }
    streams
        .into_values()
        .flatten()
        .flat_map(|(_, b)| b)
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// TLS records of a content type `src` sent to `dst`: (record length,
/// heartbeat payload_length if tshark could read one).
fn records(pcap: &Path, src: &str, dst: &str, content_type: u8) -> Vec<(u64, Option<u64>)> {
    let mut out = Vec::new();
    for line in tshark(
        pcap,
        &format!("ip.src == {src} && ip.dst == {dst} && tls.record.content_type == {content_type}"),
        &[
            "tls.record.content_type",
            "tls.record.length",
            "tls.heartbeat_message.payload_length",
        ],
    ) {
        let f: Vec<&str> = line.split('\t').collect();
        let types: Vec<&str> = f[0].split(',').collect();
        let lengths: Vec<&str> = f[1].split(',').collect();
        let mut claims = f
            .get(2)
            .map(|c| c.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter();
        for (t, l) in types.iter().zip(lengths.iter()) {
            if t.parse::<u8>().ok() != Some(content_type) {
                continue;
            }
            // tshark reads the heartbeat header of cleartext records only, and
            // of the first record of a response split into several
            let len: u64 = l.parse().unwrap();
            let claim = if len >= 3 && content_type == 24 {
                claims.next().map(|c| c.parse().unwrap())
            } else {
                None
            };
            out.push((len, claim));
        }
    }
    out
}

#[test]
fn heartbleed_leaks_the_drawn_secrets_unless_patched() {
    if !docker_required("heartbleed runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // Runs may last 180 s: on a busy host starting the containers alone can
    // take most of the spec's 60.
    let o = detgen(&[
        "run",
        "heartbleed",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--duration",
        "180",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3", "4"] {
        let run = out.path().join(format!("heartbleed-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "heartbleed {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["attacker"], 0, "heartbleed {sub}");
        assert_eq!(results.exit_codes["user"], 0, "heartbleed {sub}");
        assert_eq!(m.attack_category.as_deref(), Some("exploit"));
        for side in ["attacker", "server", "user"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "heartbleed {sub} {side}: first TCP packet is not a SYN"
            );
        }
        let a = m.services["attacker"].ip.as_str();
        let s = m.services["server"].ip.as_str();
        let u = m.services["user"].ip.as_str();
        let pcap = run.join("pcap/server.pcap");
        let users: usize = param(&m, "users").parse().unwrap();

        // The users complete RSA handshakes (ClientKeyExchange) and get
        // protected answers: our TLS works with curl's OpenSSL.
        let cke = tshark(
            &pcap,
            &format!("ip.src == {u} && tls.handshake.type == 16"),
            &["frame.number"],
        )
        .len();
        assert!(cke >= users, "heartbleed {sub}: {cke} user handshakes");
        let answers = records(&pcap, s, u, 23).len();
        assert!(answers >= 4 * users, "heartbleed {sub}: {answers} answers");

        // The server announces heartbeats to the attacker.
        let hb_ext = tshark(
            &pcap,
            &format!(
                "ip.src == {s} && ip.dst == {a} && tls.handshake.type == 2 \
                 && tls.handshake.extension.heartbeat.mode == 1"
            ),
            &["frame.number"],
        );
        assert!(
            !hb_ext.is_empty(),
            "heartbleed {sub}: no heartbeat extension"
        );

        let requests = records(&pcap, a, s, 24);
        let responses = records(&pcap, s, a, 24);
        let leaked = sent_bytes(&pcap, s, a);
        let admin_password = param(&m, "admin_password");
        let log = std::fs::read_to_string(run.join("logs/attacker.log")).unwrap();
        let heartbeats: usize = param(&m, "heartbeats").parse().unwrap();
        let low: u64 = param(&m, "claimed_length").parse().unwrap();
        if sub == "3" {
            // Encrypted: payload_length is unreadable, the sizes speak.
            let attacker_cke = tshark(
                &pcap,
                &format!("ip.src == {a} && tls.handshake.type == 16"),
                &["frame.number"],
            );
            assert!(!attacker_cke.is_empty(), "heartbleed 3: no key exchange");
            assert!(requests.len() >= heartbeats, "{requests:?}");
            assert!(requests
                .iter()
                .all(|(len, claim)| *len < 100 && claim.is_none()));
            let back: u64 = responses.iter().map(|(len, _)| len).sum();
            assert!(
                back >= low * heartbeats as u64,
                "heartbleed 3: {back} bytes back for {heartbeats} heartbeats of >= {low}"
            );
            assert!(!contains(&leaked, admin_password.as_bytes()));
            assert!(log.contains(&admin_password), "heartbleed 3: {log}");
            continue;
        }
        // Cleartext: the malformed requests, a few bytes claiming a lot.
        let malformed: Vec<u64> = requests
            .iter()
            .filter_map(|(len, claim)| claim.filter(|c| *c > *len))
            .collect();
        for (len, claim) in &requests {
            if let Some(c) = claim.filter(|c| *c > *len) {
                assert!(*len <= 6, "heartbleed {sub}: record of {len} bytes");
                assert!(c >= low, "heartbleed {sub}: claims {c} < {low}");
            }
        }
        if sub == "2" {
            assert!(malformed.len() >= heartbeats, "{requests:?}");
        } else {
            assert_eq!(malformed.len(), heartbeats, "{requests:?}");
        }
        let claimed_back: Vec<u64> = responses.iter().filter_map(|(_, c)| *c).collect();
        let back: u64 = responses.iter().map(|(len, _)| len).sum();
        if sub == "4" {
            // Patched: only well-formed probes are answered, and nothing leaks.
            assert!(
                claimed_back.iter().all(|c| *c < 100),
                "heartbleed 4: answers {claimed_back:?}"
            );
            let wellformed = requests.len() - malformed.len();
            assert_eq!(claimed_back.len(), wellformed, "{requests:?}");
            assert!(!contains(&leaked, admin_password.as_bytes()));
            assert!(log.contains("NOT VULNERABLE"), "{log}");
            continue;
        }
        // Vulnerable: every claim is answered in full - responses much longer
        // than the requests - and the drawn secrets are in the clear.
        for c in &malformed {
            assert!(
                claimed_back.contains(c),
                "heartbleed {sub}: claim {c} unanswered ({claimed_back:?})"
            );
        }
        let sent: u64 = requests.iter().map(|(len, _)| len).sum();
        assert!(
            back >= malformed.iter().sum::<u64>() && back > 100 * sent,
            "heartbleed {sub}: {back} bytes back for {sent} sent"
        );
        assert!(
            contains(&leaked, admin_password.as_bytes()),
            "heartbleed {sub}: the admin password did not leak"
        );
        assert!(contains(&leaked, param(&m, "admin_session").as_bytes()));
        if sub == "2" {
            // the harvest got every user's password
            for i in 1..=users {
                let pw = param(&m, &format!("password{i}"));
                assert!(
                    contains(&leaked, format!("password={pw}").as_bytes()),
                    "heartbleed 2: password of user{i} did not leak"
                );
            }
        }
        assert!(log.contains("VULNERABLE"), "{log}");
    }
    // every run verifies, pcaps included
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 4 * 3, "{labels}");
}
