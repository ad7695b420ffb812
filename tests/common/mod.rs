//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn scenarios() -> PathBuf {
    repo().join("scenarios")
}

/// Run the detgen binary with the repository's scenarios.
pub fn detgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detgen"))
        .arg("--scenarios")
        .arg(scenarios())
        .args(args)
        .output()
        .expect("detgen runs")
}

/// A command's status and output; for `detgen run`, also the end of the
/// service logs of every run that did not complete cleanly.
pub fn text(o: &Output) -> String {
    let stdout = String::from_utf8_lossy(&o.stdout);
    let mut s = format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout,
        String::from_utf8_lossy(&o.stderr)
    );
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        let (Some(run), Some(outcome)) = (words.next(), words.next()) else {
            continue;
        };
        if outcome != "completed" && Path::new(run).join("logs").is_dir() {
            s.push_str(&logs_tail(Path::new(run), 40));
        }
    }
    s
}

/// The last `lines` lines of each service log of a run, for failure
/// messages.
pub fn logs_tail(run: &Path, lines: usize) -> String {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(run.join("logs"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    logs.sort();
    let mut s = String::new();
    for log in logs {
        let body = std::fs::read_to_string(&log).unwrap_or_default();
        let all: Vec<&str> = body.lines().collect();
        s.push_str(&format!("\n--- {} (last {lines} lines)\n", log.display()));
        for l in &all[all.len().saturating_sub(lines)..] {
            s.push_str(l);
            s.push('\n');
        }
    }
    s
}

/// Docker is required unless DETGEN_SKIP_DOCKER=1 says to skip: a missing
/// engine fails the test instead of passing it silently.
pub fn docker_required(what: &str) -> bool {
    if std::env::var("DETGEN_SKIP_DOCKER").as_deref() == Ok("1") {
        eprintln!("skipping {what}: DETGEN_SKIP_DOCKER=1");
        return false;
    }
    true
}

pub fn compose_available() -> bool {
    Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `docker compose config` of a run directory, as JSON.
pub fn compose_config_json(dir: &Path) -> serde_json::Value {
    let o = Command::new("docker")
        .args(["compose", "config", "--format", "json"])
        .current_dir(dir)
        .output()
        .expect("docker compose runs");
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("json")
}

/// Every file under `dir` with its bytes, by relative path.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Fields of the packets of a pcap that match a display filter.
pub fn tshark(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"])
        .arg(pcap)
        .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd
        .output()
        .expect("tshark is installed (scripts/setup-host.sh)");
    assert!(o.status.success(), "tshark: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Containers and networks that carry a detgen project label.
pub fn leftovers(project: &str) -> Vec<String> {
    let label = format!("label=org.detgen.project={project}");
    let mut out = Vec::new();
    for args in [
        vec!["ps", "--all", "--quiet", "--filter", label.as_str()],
        vec!["network", "ls", "--quiet", "--filter", label.as_str()],
    ] {
        let o = Command::new("docker").args(&args).output().unwrap();
        out.extend(
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .map(str::to_string),
        );
    }
    out
}

/// `detgen run` one subscenario; returns the run directory. Each test
/// passes its own seed so concurrent tests get distinct compose projects.
pub fn run_scenario(out: &Path, scenario: &str, sub: &str, seed: u64, extra: &[&str]) -> PathBuf {
    let seed = seed.to_string();
    let mut args = vec![
        "run",
        scenario,
        "--subscenario",
        sub,
        "--seed",
        &seed,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = detgen(&args);
    assert!(o.status.success(), "{}", text(&o));
    out.join(detgen::render::run_id(scenario, sub, 0))
}

pub fn manifest(run: &Path) -> detgen::manifest::Manifest {
    detgen::manifest::Manifest::read(run).unwrap().1
}

/// Whether the first TCP packet of a pcap is a bare SYN (the handshake's
/// first packet), as tshark dissects it.
pub fn first_tcp_is_syn(pcap: &Path) -> bool {
    let first = tshark(pcap, "tcp", &["tcp.flags.syn", "tcp.flags.ack"])
        .into_iter()
        .next()
        .unwrap_or_default();
    let set = |v: &str| v == "1" || v == "True";
    let f: Vec<&str> = first.split('\t').collect();
    f.len() == 2 && set(f[0]) && !set(f[1])
}

/// A drawn parameter of a run as the text its templates saw.
pub fn param(m: &detgen::manifest::Manifest, name: &str) -> String {
    use detgen::sample::Value;
    match &m.parameters[name].value {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::Files(_) => panic!("{name} is a file set"),
    }
}

/// The copies of a replicated service in a run, in index order.
pub fn copies(m: &detgen::manifest::Manifest, service: &str) -> Vec<String> {
    let mut found: Vec<(u32, String)> = m
        .services
        .iter()
        .filter(|(_, s)| s.replica_of.as_deref() == Some(service))
        .map(|(n, _)| {
            let index = n.rsplit('-').next().and_then(|i| i.parse().ok());
            (index.unwrap_or(0), n.clone())
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, n)| n).collect()
}

/// A drawn integer parameter of a run.
pub fn param_int(m: &detgen::manifest::Manifest, name: &str) -> i64 {
    let text = param(m, name);
    text.parse()
        .unwrap_or_else(|_| panic!("{name} is not an integer: {text}"))
}

/// labels.csv under `out` has a header and one row per capture of every
/// run under `out` (a service on several networks has one per network).
pub fn assert_labels_cover_runs(out: &Path) {
    let labels = std::fs::read_to_string(out.join("labels.csv")).unwrap();
    let captures: usize = detgen::manifest::run_dirs(out)
        .unwrap()
        .iter()
        .map(|run| {
            let m = manifest(run);
            m.services
                .iter()
                .map(|(name, s)| s.capture_stems(name).len())
                .sum::<usize>()
        })
        .sum();
    assert!(captures > 0, "no captures under {}", out.display());
    assert_eq!(labels.lines().count(), 1 + captures, "{labels}");
}
