//! The SSH scenario for real: both version banners and the handshake are in
//! both captures, and a wrong password really fails.

mod common;

use common::*;

#[test]
fn ssh_subscenarios_carry_both_banners_from_the_first_packet() {
    if !docker_required("ssh runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    for sub in ["1", "3", "4"] {
        let run = run_scenario(out.path(), "ssh", sub, 301, &["--force"]);
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "ssh {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["client"], 0, "ssh {sub}");
        for side in ["client", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "ssh {sub} {side}: first TCP packet is not a SYN"
            );
            let banners = tshark(&pcap, "ssh.protocol", &["ip.src", "ssh.protocol"]);
            let ips: std::collections::BTreeSet<&str> = banners
                .iter()
                .filter_map(|l| l.split('\t').next())
                .collect();
            assert!(
                ips.contains(m.services["client"].ip.as_str())
                    && ips.contains(m.services["server"].ip.as_str()),
                "ssh {sub} {side}: banners {banners:?}"
            );
            assert!(
                banners.iter().all(|b| b.contains("SSH-2.0-OpenSSH")),
                "{banners:?}"
            );
        }
    }
}
