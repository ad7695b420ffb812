//! WAN emulation on this machine's kernel, for real, with Docker: a kernel
//! without netem refuses a WAN run clearly (exit 5) before starting
//! anything; with `--wan-fallback` it applies the drawn rate limit and
//! loss, which the captures measure, records what it did and did not
//! apply, and leaves nothing behind. On a kernel with netem the same runs
//! go through netem and the same measurements hold.
//!
//! The traffic comes from the test fixture scenario `wanlab` (a bulk TCP
//! transfer; a train of 600 pings).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/scenarios")
}

fn detgen_fixture(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detgen"))
        .arg("--scenarios")
        .arg(fixtures())
        .args(args)
        .output()
        .expect("detgen runs")
}

/// Whether this kernel has netem, asked the way detgen asks.
fn kernel_has_netem() -> bool {
    detgen::run::wan::probe().unwrap().netem.is_ok()
}

fn no_probe_namespaces_left() {
    let o = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(!list.contains("detgen-probe"), "{list}");
}

fn run_wanlab(out: &Path, sub: &str, seed: u64, wan: &str) -> PathBuf {
    let seed = seed.to_string();
    let o = detgen_fixture(&[
        "run",
        "wanlab",
        "--subscenario",
        sub,
        "--seed",
        &seed,
        "--wan",
        wan,
        "--wan-fallback",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run = out.join(format!("wanlab-{sub}-0"));
    let m = manifest(&run);
    assert!(leftovers(&m.run.project).is_empty());
    no_probe_namespaces_left();
    run
}

fn expected_mode() -> &'static str {
    if kernel_has_netem() {
        "netem"
    } else {
        "fallback"
    }
}

#[test]
fn a_kernel_without_netem_refuses_wan_runs_clearly() {
    if !docker_required("WAN refusal") {
        return;
    }
    if kernel_has_netem() {
        eprintln!("this kernel has netem: nothing to refuse");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "ftp",
        "--subscenario",
        "1",
        "--seed",
        "401",
        "--wan",
        "paper-primary",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for needle in [
        "sch_netem",
        "--wan-fallback",
        "--wan off",
        "qdisc kind is unknown",
    ] {
        assert!(err.contains(needle), "`{needle}` not in: {err}");
    }
    // Nothing was started, and the run has no results.
    let run = out.path().join("ftp-1-0");
    let m = manifest(&run);
    assert!(m.results.is_none());
    assert!(leftovers(&m.run.project).is_empty());
    no_probe_namespaces_left();
}

#[test]
fn fallback_rate_limit_caps_a_bulk_transfer() {
    if !docker_required("WAN fallback rate") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_wanlab(out.path(), "1", 402, "capped");
    let m = manifest(&run);
    let wan = m
        .results
        .as_ref()
        .unwrap()
        .wan
        .as_ref()
        .expect("wan results");
    assert_eq!(wan.mode, expected_mode());
    assert_eq!(wan.applied["client"]["egress"]["rate_kbit"], 8000);
    assert!(!wan.applied.contains_key("server"), "{wan:?}");
    assert!(wan.not_applied.is_empty(), "only a rate was drawn: {wan:?}");

    // Throughput of the client's payload, as the server captured it.
    let packets = tshark(
        &run.join("pcap/server.pcap"),
        "tcp.dstport == 9000 && tcp.len > 0",
        &["frame.time_epoch", "tcp.len"],
    );
    let rows: Vec<(f64, f64)> = packets
        .iter()
        .map(|l| {
            let (t, n) = l.split_once('\t').unwrap();
            (t.parse().unwrap(), n.parse().unwrap())
        })
        .collect();
    let bytes: f64 = rows.iter().map(|r| r.1).sum();
    assert_eq!(bytes, 4_000_000.0, "the whole transfer arrived");
    let seconds = rows.last().unwrap().0 - rows[0].0;
    let kbit = bytes * 8.0 / seconds / 1000.0;
    assert!(
        (kbit - 8000.0).abs() <= 0.2 * 8000.0,
        "throughput {kbit:.0} kbit/s over {seconds:.2} s, cap 8000 kbit/s"
    );
}

/// |observed - p| within 4.5 standard deviations of a binomial proportion.
fn within_binomial(lost: usize, trials: usize, p: f64) -> bool {
    let observed = lost as f64 / trials as f64;
    let sd = (p * (1.0 - p) / trials as f64).sqrt();
    (observed - p).abs() <= 4.5 * sd
}

#[test]
fn fallback_loss_drops_the_drawn_share_each_way() {
    if !docker_required("WAN fallback loss") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_wanlab(out.path(), "2", 403, "lossy");
    let m = manifest(&run);
    let results = m.results.as_ref().unwrap();
    assert_eq!(results.exit_codes["client"], 0);
    let wan = results.wan.as_ref().unwrap();
    assert_eq!(wan.mode, expected_mode());
    for side in ["egress", "ingress"] {
        assert_eq!(wan.applied["client"][side]["loss_pct"], 20, "{wan:?}");
    }

    // labels.csv carries the profile and what was applied, per service
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    let client = labels
        .lines()
        .find(|l| l.contains(",client,"))
        .unwrap_or_else(|| panic!("{labels}"));
    assert!(client.contains(",lossy,"), "{client}");
    assert!(client.contains(r#""loss_pct"":20"#), "{client}");
    let server = labels.lines().find(|l| l.contains(",server,")).unwrap();
    assert!(server.contains(",off,{},"), "{server}");

    let count = |pcap: &str, filter: &str| tshark(&run.join(pcap), filter, &["frame.number"]).len();
    let sent = 600;
    // Egress: requests the client sent that reached the server. Dropped
    // ones never reach the wire, so the client's capture agrees.
    let arrived = count("pcap/server.pcap", "icmp.type == 8");
    assert_eq!(count("pcap/client.pcap", "icmp.type == 8"), arrived);
    assert!(
        sent - arrived >= 1 && within_binomial(sent - arrived, sent, 0.2),
        "egress: {arrived} of {sent} requests arrived"
    );
    // Ingress: replies the server sent that the client's ping counted.
    let replies = count("pcap/server.pcap", "icmp.type == 0");
    assert_eq!(replies, arrived);
    let log = std::fs::read_to_string(run.join("logs/client.log")).unwrap();
    let received: usize = log
        .split("packets transmitted, ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no ping summary in {log}"));
    assert!(
        within_binomial(replies - received, replies, 0.2),
        "ingress: {received} of {replies} replies received"
    );
}
