//! End to end, with a real Docker engine: runs execute, captures start
//! before the first packet, labels are written, and nothing is left behind
//! after completion, timeout or SIGTERM.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use detgen::sample::Value;

#[test]
fn ping_run_captures_every_echo_on_both_ends() {
    if !docker_required("ping run") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(out.path(), "ping", "1", 101, &[]);
    let m = manifest(&run);
    let results = m.results.as_ref().expect("results recorded");
    assert_eq!(results.outcome, "completed");
    assert_eq!(results.exit_codes["client"], 0);
    // The host's state at the start is recorded with the results.
    let host = results.host.as_ref().expect("host recorded");
    assert!(host.cpus >= 1 && host.load_average.iter().all(|l| *l >= 0.0));
    assert!(std::fs::read_to_string(run.join("manifest.yaml"))
        .unwrap()
        .contains("load_average:"));
    let Value::Int(count) = m.parameters["count"].value else {
        panic!()
    };
    for side in ["client", "server"] {
        let pcap = run.join(format!("pcap/{side}.pcap"));
        let cap = &results.captures[side];
        assert_eq!(cap.linktype, "ETHERNET");
        assert_eq!(cap.sha256, detgen::manifest::sha256_file(&pcap).unwrap());
        let requests = tshark(&pcap, "icmp.type == 8", &["icmp.seq"]);
        let replies = tshark(&pcap, "icmp.type == 0", &["icmp.seq"]);
        assert_eq!(
            requests.len() as i64,
            count,
            "{side}: every request captured"
        );
        assert_eq!(replies.len() as i64, count, "{side}: every reply captured");
        assert_eq!(
            requests[0], "1",
            "{side}: the first echo request is in the pcap"
        );
        // no IPv6 chatter
        assert!(tshark(&pcap, "ipv6", &["frame.number"]).is_empty());
    }
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 3, "{labels}");
    assert!(labels.contains(",client,client,"), "{labels}");
    // verify still passes after the run, pcaps included
    let o = detgen(&["verify", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(leftovers(&m.run.project).is_empty());
}

#[test]
fn duration_bounds_a_run_and_teardown_follows() {
    if !docker_required("timeout run") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let run = run_scenario(
        out.path(),
        "ping",
        "1",
        102,
        &[
            "--set",
            "count=1000",
            "--set",
            "interval=0.2",
            "--duration",
            "4",
        ],
    );
    assert!(start.elapsed() < Duration::from_secs(60));
    let m = manifest(&run);
    let results = m.results.unwrap();
    assert_eq!(results.outcome, "timeout");
    let requests = tshark(
        &run.join("pcap/client.pcap"),
        "icmp.type == 8",
        &["icmp.seq"],
    );
    assert!(
        (5..100).contains(&requests.len()),
        "{} requests",
        requests.len()
    );
    assert!(leftovers(&m.run.project).is_empty());
}

#[test]
fn sigterm_tears_down_and_leaves_no_containers() {
    if !docker_required("interrupted run") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_detgen"))
        .args(["--scenarios", scenarios().to_str().unwrap()])
        .args([
            "run",
            "ping",
            "--seed",
            "103",
            "--set",
            "count=1000",
            "--out",
        ])
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let manifest_path = out.path().join("ping-1-0");
    // wait until the workload container runs
    let deadline = Instant::now() + Duration::from_secs(240);
    let project = loop {
        assert!(Instant::now() < deadline, "run never started");
        if manifest_path.join("manifest.yaml").exists() {
            let project = manifest(&manifest_path).run.project;
            let o = Command::new("docker")
                .args(["ps", "--quiet", "--filter"])
                .arg(format!("label=org.detgen.project={project}"))
                .args([
                    "--filter",
                    "label=org.detgen.service=client",
                    "--filter",
                    "label=org.detgen.role=client",
                ])
                .output()
                .unwrap();
            if !o.stdout.is_empty() {
                break project;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(leftovers(&project).is_empty(), "{:?}", leftovers(&project));
}

#[test]
fn run_script_works_without_detgen() {
    if !docker_required("run.sh") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "render",
        "ping",
        "--seed",
        "104",
        "--set",
        "count=4",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run = out.path().join("ping-1-0");
    let o = Command::new("sh").arg(run.join("run.sh")).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    for side in ["client", "server"] {
        let requests = tshark(
            &run.join(format!("pcap/{side}.pcap")),
            "icmp.type == 8",
            &["icmp.seq"],
        );
        assert_eq!(requests.len(), 4, "{side}");
    }
    assert!(leftovers(&manifest(&run).run.project).is_empty());
}

#[test]
fn concurrent_runs_get_their_own_networks() {
    if !docker_required("concurrent runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "ping",
        "--seed",
        "105",
        "--runs",
        "3",
        "--jobs",
        "3",
        "--set",
        "count=5",
        "--out",
        out.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 3);
    let mut subnets = Vec::new();
    for i in 0..3 {
        let m = manifest(&out.path().join(format!("ping-1-{i}")));
        assert_eq!(m.results.as_ref().unwrap().outcome, "completed");
        subnets.push(m.networks["scenario"].subnet.clone());
    }
    subnets.dedup();
    assert_eq!(subnets.len(), 3);
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 3 * 2);
}

#[test]
fn host_load_runs_the_drawn_number_of_cpu_hogs() {
    if !docker_required("host load") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(out.path(), "ping", "1", 106, &["--host-load"]);
    let m = manifest(&run);
    let load = m.host_load.as_ref().expect("host_load recorded");
    assert!((2..=16).contains(&load.workers), "{load:?}");
    let compose = std::fs::read_to_string(run.join("compose.yaml")).unwrap();
    assert!(compose.contains("network_mode: none"), "{compose}");
    let log = std::fs::read_to_string(run.join("logs/host-load.log")).unwrap();
    assert!(
        log.contains(&format!("dispatching hogs: {} cpu", load.workers)),
        "{log}"
    );
    assert_eq!(m.results.as_ref().unwrap().outcome, "completed");
    assert!(leftovers(&m.run.project).is_empty());
}
