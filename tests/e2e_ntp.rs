//! The NTP scenario for real: client requests (mode 3) and server replies
//! (mode 4) at the drawn stratum and NTP version, as often as drawn.

mod common;

use common::*;

#[test]
fn ntp_queries_and_sync_get_answers_at_the_drawn_stratum() {
    if !docker_required("ntp runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    for sub in ["1", "2"] {
        let run = run_scenario(out.path(), "ntp", sub, 851, &["--force"]);
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "ntp {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["client"], 0, "ntp {sub}");
        let int = |name: &str| match &m.parameters[name].value {
            detgen::sample::Value::Int(i) => *i,
            v => panic!("{name}: {v:?}"),
        };
        let stratum = int("stratum");
        for side in ["client", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            let requests = tshark(&pcap, "ntp.flags.mode == 3", &["ip.src", "ntp.flags.vn"]);
            let replies = tshark(&pcap, "ntp.flags.mode == 4", &["ip.src", "ntp.stratum"]);
            assert!(!requests.is_empty(), "ntp {sub} {side}: no requests");
            assert!(
                requests
                    .iter()
                    .all(|r| r.starts_with(&format!("{}\t", m.services["client"].ip))),
                "{requests:?}"
            );
            let want = format!("{}\t{stratum}", m.services["server"].ip);
            assert!(
                replies.len() == requests.len() && replies.iter().all(|r| *r == want),
                "ntp {sub} {side}: requests {requests:?} replies {replies:?}"
            );
            if sub == "1" {
                // ntpdate and sntp both make one exchange per query
                assert!(requests.len() as i64 >= int("queries"), "{requests:?}");
            } else {
                let version = int("version");
                assert!(
                    requests
                        .iter()
                        .all(|r| r.ends_with(&format!("\t{version}"))),
                    "version {version}: {requests:?}"
                );
            }
        }
    }
}
