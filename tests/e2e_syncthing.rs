//! The syncthing scenario for real: all five subscenarios run under
//! Docker. Every drawn peer's capture begins with a TCP handshake and
//! holds TLS 1.3 handshakes on port 22000 with ALPN `bep/1.0` (Syncthing's
//! Block Exchange Protocol) with every other drawn peer, and nothing else
//! on TCP; a peer the run does not draw sends nothing; local discovery
//! broadcasts (UDP 21027) appear exactly when drawn on; the drawn files
//! (or the big file) cross the wire; peer-a's workload verified the sync
//! (exit 0) and left the exchange directory empty, so the runs verify.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use detgen::sample::Value;

const SCENARIO: &str = "syncthing";
const SEED: &str = "922";
const PEERS: [&str; 3] = ["peer-a", "peer-b", "peer-c"];

/// Payload bytes a capture saw arriving at `ip` on TCP port 22000.
fn bep_bytes_to(pcap: &Path, ip: &str) -> u64 {
    tshark(
        pcap,
        &format!("ip.dst == {ip} && tcp.port == 22000 && tcp.len > 0"),
        &["tcp.len"],
    )
    .iter()
    .filter_map(|l| l.trim().parse::<u64>().ok())
    .sum()
}

#[test]
fn syncthing_peers_sync_over_tls_on_22000() {
    if !docker_required("syncthing runs") {
        return;
    }
    // DETGEN_KEEP_OUT=1 keeps the runs for a look after a failure.
    let tmp = tempfile::tempdir().unwrap();
    let _cleanup;
    let out: PathBuf = if std::env::var_os("DETGEN_KEEP_OUT").is_some() {
        let kept = tmp.keep();
        eprintln!("runs kept in {}", kept.display());
        kept
    } else {
        let path = tmp.path().to_path_buf();
        _cleanup = tmp;
        path
    };
    let o = detgen(&[
        "run",
        SCENARIO,
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut peer_counts = BTreeSet::new();
    for sub in ["1", "2", "3", "4", "5"] {
        let run = out.join(format!("{SCENARIO}-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "{sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(
            results.exit_codes["peer-a"], 0,
            "{sub}: the sync was not verified"
        );
        let log = std::fs::read_to_string(run.join("logs/peer-a.log")).unwrap();
        assert!(
            log.contains("every step synced to every peer"),
            "{sub}: {log}"
        );
        // peer-a emptied the exchange directory (IDs and digests)
        let left: Vec<_> = std::fs::read_dir(run.join("exchange"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{sub}: exchange holds {left:?}");

        let n: usize = param(&m, "peers").parse().unwrap();
        peer_counts.insert(n);
        let drawn = &PEERS[..n];
        let ip = |p: &str| m.services[p].ip.clone();
        for peer in PEERS {
            let pcap = run.join(format!("pcap/{peer}.pcap"));
            if !drawn.contains(&peer) {
                assert!(
                    tshark(&pcap, "tcp", &["frame.number"]).is_empty(),
                    "{sub}: {peer} was not drawn but used TCP"
                );
                continue;
            }
            assert!(
                first_tcp_is_syn(&pcap),
                "{sub} {peer}: first TCP packet is not a SYN"
            );
            // all TCP is BEP on 22000
            let other = tshark(&pcap, "tcp && !(tcp.port == 22000)", &["frame.number"]);
            assert!(other.is_empty(), "{sub} {peer}: TCP off port 22000");
            // a TLS 1.3 handshake with every other drawn peer, ALPN bep/1.0
            let hellos = tshark(
                &pcap,
                "tls.handshake.type == 1 && tcp.dstport == 22000",
                &["ip.src", "ip.dst", "tls.handshake.extensions_alpn_str"],
            );
            let mut partners = BTreeSet::new();
            for h in &hellos {
                let f: Vec<&str> = h.split('\t').collect();
                assert!(f[2].contains("bep/1.0"), "{sub} {peer}: ALPN {h}");
                let partner = if f[0] == ip(peer) { f[1] } else { f[0] };
                partners.insert(partner.to_string());
            }
            let expected: BTreeSet<String> = drawn
                .iter()
                .filter(|p| **p != peer)
                .map(|p| ip(p))
                .collect();
            assert_eq!(partners, expected, "{sub} {peer}: TLS partners");
            let versions = tshark(
                &pcap,
                "tls.handshake.type == 2 && tcp.srcport == 22000",
                &["tls.handshake.extensions.supported_version"],
            );
            assert!(!versions.is_empty(), "{sub} {peer}: no ServerHello");
            assert!(
                versions.iter().all(|v| v == "0x0304"),
                "{sub} {peer}: not TLS 1.3: {versions:?}"
            );
            // no plaintext BEP: after the handshakes only TLS records
            let app = tshark(
                &pcap,
                "tls.app_data && tcp.port == 22000",
                &["frame.number"],
            );
            assert!(!app.is_empty(), "{sub} {peer}: no TLS application data");
            // local discovery announcements exactly when drawn on
            let discovery = tshark(&pcap, "udp.dstport == 21027", &["ip.src"]);
            if param(&m, "local_discovery") == "on" {
                assert!(
                    discovery.contains(&ip(peer)),
                    "{sub} {peer}: no local discovery announcement"
                );
            } else {
                assert!(discovery.is_empty(), "{sub} {peer}: {discovery:?}");
            }
        }
        // What crossed the wire to peer-b: at least the drawn content when
        // it travels uncompressed (random bytes do not compress anyway).
        let to_b = bep_bytes_to(&run.join("pcap/peer-b.pcap"), &ip("peer-b"));
        let content: u64 = if sub == "5" {
            let mib: f64 = param(&m, "big_mib").parse().unwrap();
            ((mib * 100.0).round() / 100.0 * 1024.0 * 1024.0) as u64
        } else if param(&m, "compression") == "never" {
            let Value::Files(files) = &m.parameters["files"].value else {
                panic!("files is not a file set")
            };
            files.iter().map(|f| f.size).sum()
        } else {
            0
        };
        assert!(
            to_b >= content,
            "{sub}: peer-b received {to_b} bytes for {content} bytes of content"
        );
    }
    assert_eq!(
        peer_counts.len(),
        2,
        "seed {SEED} should draw both 2 and 3 peers"
    );
    let o = detgen(&["verify", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
}
