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

pub fn text(o: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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
