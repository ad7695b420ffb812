//! The golden runs under generated/ are the reproducibility contract: each
//! re-renders byte for byte, they cover every subscenario of every scenario,
//! and every rendered compose file is valid for `docker compose`.
//! Re-bless with scripts/bless-golden.sh after an intentional change.

mod common;

use std::process::Command;

use common::*;
use detgen::manifest::run_dirs;
use detgen::render::run_id;
use detgen::spec::load_all;
use detgen::verify::verify;

fn golden_runs() -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    for scenario in std::fs::read_dir(repo().join("generated")).expect("generated/ exists") {
        all.extend(run_dirs(&scenario.unwrap().path()).unwrap());
    }
    all.sort();
    all
}

#[test]
fn golden_runs_rerender_byte_for_byte() {
    let runs = golden_runs();
    assert!(!runs.is_empty());
    let mut failures = String::new();
    for dir in &runs {
        let report = verify(dir, &scenarios()).unwrap();
        for d in &report.drift {
            failures.push_str(&format!(
                "{}: {} {}\n{}",
                dir.display(),
                d.kind,
                d.path,
                d.diff.clone().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden runs drifted (re-bless with scripts/bless-golden.sh if intended):\n{failures}"
    );
}

#[test]
fn golden_set_covers_every_subscenario() {
    for s in load_all(&scenarios()).unwrap() {
        for sub in &s.spec.subscenarios {
            let dir = repo()
                .join("generated")
                .join(s.name())
                .join(run_id(s.name(), &sub.id, 0));
            assert!(
                dir.join("manifest.yaml").is_file(),
                "no golden run for {} subscenario {} at {}",
                s.name(),
                sub.id,
                dir.display()
            );
        }
    }
}

#[test]
fn every_golden_compose_file_passes_docker_compose_config() {
    if !docker_required("docker compose config") {
        return;
    }
    assert!(
        compose_available(),
        "docker compose v2 is needed (scripts/setup-host.sh)"
    );
    for dir in golden_runs() {
        let o = Command::new("docker")
            .args(["compose", "config", "-q"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}: {}", dir.display(), text(&o));
    }
}
