//! Scenarios on several networks: a container on two networks is captured
//! on each, one Ethernet pcap per network, labelled with its network, and
//! every network is its own internal /24.

mod common;

use std::process::Command;

use common::*;

#[test]
fn a_relay_on_two_networks_is_captured_on_each() {
    if !docker_required("multi-network run") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_detgen"))
        .arg("--scenarios")
        .arg(repo().join("tests/fixtures/scenarios"))
        .args(["run", "twonets", "--seed", "451", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let run = out.path().join("twonets-1-0");
    let m = manifest(&run);
    assert_eq!(m.networks.len(), 2);
    assert_ne!(m.networks["outer"].subnet, m.networks["inner"].subnet);
    let relay = &m.services["relay"];
    let results = m.results.as_ref().unwrap();
    let mut stems: Vec<&str> = results.captures.keys().map(String::as_str).collect();
    stems.sort();
    assert_eq!(stems, ["far", "near", "relay.inner", "relay.outer"]);
    for (net, client) in [("outer", "near"), ("inner", "far")] {
        let pcap = run.join(format!("pcap/relay.{net}.pcap"));
        let cap = &results.captures[&format!("relay.{net}")];
        assert_eq!(cap.network, net);
        assert_eq!(cap.linktype, "ETHERNET");
        // each interface sees exactly its own side's pings
        let pings = tshark(&pcap, "icmp.type == 8", &["ip.src", "ip.dst"]);
        let want = format!("{}\t{}", m.services[client].ip, relay.networks[net]);
        assert!(
            !pings.is_empty() && pings.iter().all(|p| *p == want),
            "{net}: {pings:?}"
        );
    }
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert!(labels.lines().next().unwrap().ends_with(",network"));
    assert_eq!(labels.lines().filter(|l| l.contains(",relay,")).count(), 2);
    assert!(leftovers(&m.run.project).is_empty());
}
