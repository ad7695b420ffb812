//! The FTP scenario for real: all 13 subscenarios run under Docker, each
//! capture begins with the TCP handshake, and the control channel carries
//! the commands the subscenario is about.

mod common;

use std::collections::BTreeSet;

use common::*;

/// FTP commands each subscenario must put on the wire (besides USER/PASS).
const EXPECTED: &[(&str, &[&str])] = &[
    ("1", &["RETR"]),
    ("2", &["NLST", "RETR"]),
    ("3", &["DELE"]),
    ("4", &["NLST", "DELE"]),
    ("5", &["MKD", "CWD", "STOR"]),
    ("6", &["MKD", "RNFR", "RNTO"]),
    ("7", &["STOR"]),
    ("8", &["STOR", "RETR"]),
    ("9", &["STOR"]),
    ("10", &["MKD", "CWD", "STOR", "DELE", "SITE", "RMD"]),
    ("11", &[]),
    ("12", &["STOR"]),
    ("13", &["PWD", "LIST", "NLST", "SIZE", "MDTM"]),
];

#[test]
fn all_ftp_subscenarios_begin_with_the_handshake_and_carry_their_commands() {
    if !docker_required("ftp runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "ftp",
        "--subscenario",
        "all",
        "--seed",
        "201",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for (sub, commands) in EXPECTED {
        let run = out.path().join(format!("ftp-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "ftp {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["client"], 0, "ftp {sub}");
        for side in ["client", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "ftp {sub} {side}: first TCP packet is not a SYN"
            );
            let seen: BTreeSet<String> = tshark(&pcap, "ftp.request", &["ftp.request.command"])
                .into_iter()
                .collect();
            for c in ["USER", "PASS"].iter().chain(commands.iter()) {
                assert!(seen.contains(*c), "ftp {sub} {side}: no {c} in {seen:?}");
            }
        }
    }
    // the wrong login is refused on the wire, and no file is retrieved
    let pcap = out.path().join("ftp-11-0/pcap/client.pcap");
    let codes = tshark(&pcap, "ftp.response", &["ftp.response.code"]);
    assert!(codes.iter().any(|c| c == "530"), "{codes:?}");
    assert!(tshark(&pcap, "ftp.request.command == \"RETR\"", &["frame.number"]).is_empty());
    // passive mode is passive
    let pcap = out.path().join("ftp-12-0/pcap/client.pcap");
    let seen = tshark(&pcap, "ftp.request", &["ftp.request.command"]);
    assert!(seen.iter().any(|c| c == "PASV" || c == "EPSV"), "{seen:?}");
    // every run verifies, pcaps included; labels cover both ends of all 13
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 13 * 2, "{labels}");
}
