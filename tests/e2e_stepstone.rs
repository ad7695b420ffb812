//! The stepping-stone scenario for real: the attacker (outside network)
//! reaches the victim (inside network) only through the stone, a host on
//! both. Its capture has SSH with the stone and nothing else; the stone's
//! outside capture has the attacker's SSH session, its inside capture the
//! stone's own connection to the victim (SSH, or HTTP for curl through the
//! SOCKS proxy), which starts after the attacker's session to the stone and
//! while it lasts; the victim hears from the stone's inside address only.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use detgen::sample::Value;

const SEED: u64 = 800;
const CURL_SEED: u64 = 801;
const SUBS: [&str; 6] = ["1", "2", "3", "4", "5", "6"];

/// Epoch seconds of a tshark `frame.time_epoch` field.
fn secs(field: &str) -> f64 {
    field
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("time {field:?}"))
}

/// (first, last) packet time of every TCP connection between `a` and `b`
/// that `a` opened (its first packet is a SYN from `a` to port 22 of `b`).
fn ssh_connections(pcap: &Path, a: &str, b: &str) -> Vec<(f64, f64)> {
    let filter = format!("ip.addr == {a} and ip.addr == {b} and tcp.port == 22");
    let rows = tshark(
        pcap,
        &filter,
        &[
            "tcp.stream",
            "frame.time_epoch",
            "ip.src",
            "tcp.dstport",
            "tcp.flags.syn",
            "tcp.flags.ack",
        ],
    );
    let mut streams: BTreeMap<String, (f64, f64, bool)> = BTreeMap::new();
    for row in &rows {
        let f: Vec<&str> = row.split('\t').collect();
        let t = secs(f[1]);
        let set = |v: &str| v == "1" || v == "True";
        let opener = f[2] == a && f[3] == "22" && set(f[4]) && !set(f[5]);
        let e = streams.entry(f[0].to_string()).or_insert((t, t, opener));
        e.0 = e.0.min(t);
        e.1 = e.1.max(t);
    }
    streams
        .values()
        .filter(|(_, _, opened_by_a)| *opened_by_a)
        .map(|(first, last, _)| (*first, *last))
        .collect()
}

/// `tshark` of the common helpers, with TCP `port` decoded as HTTP.
fn tshark_http(pcap: &Path, port: i64, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-d", &format!("tcp.port=={port},http"), "-r"])
        .arg(pcap)
        .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().expect("tshark is installed");
    assert!(o.status.success(), "tshark: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Source addresses of the SSH version banners in a capture.
fn banner_sources(pcap: &Path) -> Vec<String> {
    let banners = tshark(pcap, "ssh.protocol", &["ip.src", "ssh.protocol"]);
    assert!(
        banners.iter().all(|b| b.contains("SSH-2.0-OpenSSH")),
        "{}: {banners:?}",
        pcap.display()
    );
    banners
        .iter()
        .filter_map(|b| b.split('\t').next().map(str::to_string))
        .collect()
}

/// `detgen run stepstone` with the test's headroom; panics on failure.
fn run_stepstone(out: &Path, sub: &str, seed: u64, extra: &[&str]) {
    let seed = seed.to_string();
    let mut args = vec![
        "run",
        "stepstone",
        "--subscenario",
        sub,
        "--seed",
        &seed,
        // Headroom over the spec's 60 s for a heavily loaded host: every
        // hop is a real SSH login, and a typed session waits for each one.
        "--duration",
        "120",
        "--out",
        out.to_str().unwrap(),
        "--force",
    ];
    args.extend_from_slice(extra);
    let o = detgen(&args);
    assert!(o.status.success(), "{}", text(&o));
}

/// Everything a stepping-stone run must show in its captures.
fn check_run(run: &Path, sub: &str) {
    let m = manifest(run);
    let results = m.results.as_ref().unwrap();
    eprintln!("stepstone {sub}: {:.1} s", results.wall_seconds);
    assert_eq!(
        results.outcome,
        "completed",
        "stepstone {sub}\n{}",
        logs_tail(run, 40)
    );
    assert_eq!(results.exit_codes["attacker"], 0, "stepstone {sub}");
    let mut stems: Vec<&str> = results.captures.keys().map(String::as_str).collect();
    stems.sort();
    assert_eq!(
        stems,
        ["attacker", "stone.inside", "stone.outside", "victim"],
        "stepstone {sub}"
    );
    let attacker = m.services["attacker"].ip.as_str();
    let stone_out = m.services["stone"].networks["outside"].as_str();
    let stone_in = m.services["stone"].networks["inside"].as_str();
    let victim = m.services["victim"].ip.as_str();
    let pcap = |stem: &str| run.join(format!("pcap/{stem}.pcap"));
    for stem in ["attacker", "stone.outside", "stone.inside", "victim"] {
        assert!(
            first_tcp_is_syn(&pcap(stem)),
            "stepstone {sub} {stem}: first TCP packet is not a SYN"
        );
    }

    // The attacker talks SSH with the stone's outside address only.
    let stray = tshark(
        &pcap("attacker"),
        &format!("ip and not (ip.addr == {stone_out} and tcp.port == 22)"),
        &["ip.src", "ip.dst"],
    );
    assert!(stray.is_empty(), "stepstone {sub} attacker: {stray:?}");
    let to_victim = tshark(
        &pcap("attacker"),
        &format!("ip.addr == {victim} or ip.addr == {stone_in}"),
        &["ip.src"],
    );
    assert!(to_victim.is_empty(), "stepstone {sub}: {to_victim:?}");
    for stem in ["attacker", "stone.outside"] {
        let src = banner_sources(&pcap(stem));
        assert!(
            src.iter().any(|s| s == attacker) && src.iter().any(|s| s == stone_out),
            "stepstone {sub} {stem}: banners from {src:?}"
        );
    }
    let outer = ssh_connections(&pcap("stone.outside"), attacker, stone_out);
    assert!(
        !outer.is_empty(),
        "stepstone {sub}: no SSH from the attacker"
    );

    // The victim hears from the stone's inside address only.
    let stray = tshark(
        &pcap("victim"),
        &format!("ip and not ip.addr == {stone_in}"),
        &["ip.src", "ip.dst"],
    );
    assert!(stray.is_empty(), "stepstone {sub} victim: {stray:?}");

    // The inner hop: the stone's own connection to the victim.
    let tool = match m.parameters.get("tool").map(|d| &d.value) {
        Some(Value::Str(t)) => Some(t.as_str()),
        _ => None,
    };
    let inner_first = if tool == Some("curl") {
        // curl through the SOCKS proxy: the stone fetches every file from
        // the victim's web server (on a drawn port tshark may not know).
        let port = match &m.parameters["http_port"].value {
            Value::Int(p) => *p,
            v => panic!("http_port {v:?}"),
        };
        let files = match &m.parameters["victim_files"].value {
            Value::Files(f) => f.len(),
            v => panic!("victim_files {v:?}"),
        };
        let gets = tshark_http(
            &pcap("stone.inside"),
            port,
            &format!(
                "http.request.method == \"GET\" and ip.src == {stone_in} and ip.dst == {victim}"
            ),
            &["frame.time_epoch", "http.request.uri"],
        );
        let oks = tshark_http(
            &pcap("victim"),
            port,
            &format!("http.response.code == 200 and ip.src == {victim}"),
            &["http.response.code"],
        );
        assert!(
            gets.len() == files && oks.len() == files,
            "stepstone {sub}: {files} files, GETs {gets:?}, 200s {oks:?}"
        );
        gets.iter()
            .map(|g| secs(g.split('\t').next().unwrap()))
            .fold(f64::INFINITY, f64::min)
    } else {
        for stem in ["stone.inside", "victim"] {
            let src = banner_sources(&pcap(stem));
            assert!(
                src.iter().any(|s| s == stone_in) && src.iter().any(|s| s == victim),
                "stepstone {sub} {stem}: banners from {src:?}"
            );
        }
        let inner = ssh_connections(&pcap("stone.inside"), stone_in, victim);
        assert!(!inner.is_empty(), "stepstone {sub}: no SSH to the victim");
        inner.iter().map(|c| c.0).fold(f64::INFINITY, f64::min)
    };
    // A stepping stone's signature: the inner connection opens after an
    // outer session did, while it is still open.
    assert!(
        outer
            .iter()
            .any(|&(a, b)| a < inner_first && inner_first < b),
        "stepstone {sub}: inner hop at {inner_first} not inside an outer session {outer:?}"
    );

    if sub == "5" {
        // The reverse tunnel: the stone logs into the attacker's sshd.
        let back = ssh_connections(&pcap("stone.outside"), stone_out, attacker);
        assert!(!back.is_empty(), "stepstone 5: no SSH from the stone back");
        assert!(
            back.iter().all(|&(a, _)| a < inner_first),
            "stepstone 5: the tunnel {back:?} opens after the hop {inner_first}"
        );
    }
    assert!(leftovers(&m.run.project).is_empty(), "stepstone {sub}");
}

#[test]
fn the_attacker_reaches_the_victim_only_through_the_stone() {
    if !docker_required("stepstone runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // Beside the six subscenarios: the SOCKS proxy with curl (an HTTP inner
    // hop), which seed 800 does not draw.
    let curl_out = tempfile::tempdir().unwrap();
    let curl_dir = curl_out.path().to_path_buf();
    let curl = std::thread::spawn(move || {
        run_stepstone(&curl_dir, "4", CURL_SEED, &["--set", "tool=curl"]);
    });
    run_stepstone(out.path(), "all", SEED, &["--jobs", "3"]);
    curl.join().unwrap();
    for sub in SUBS {
        check_run(
            &out.path().join(detgen::render::run_id("stepstone", sub, 0)),
            sub,
        );
    }
    let run = curl_out
        .path()
        .join(detgen::render::run_id("stepstone", "4", 0));
    assert!(matches!(
        &manifest(&run).parameters["tool"].value,
        Value::Str(t) if t == "curl"
    ));
    check_run(&run, "4");
}
