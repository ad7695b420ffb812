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

/// Every rendered compose file (every subscenario of every scenario, and
/// the WAN and host-load runs) keeps its containers in a box: internal
/// networks only, nothing privileged, only the allowed capabilities, no
/// host network, PID or IPC namespace, no Docker socket, bind mounts only
/// from inside the run directory.
#[test]
fn every_golden_compose_file_is_confined() {
    const ALLOWED_CAPS: &[&str] = &["NET_ADMIN", "NET_RAW", "SYS_NICE"];
    let mut checked = 0;
    for dir in golden_runs() {
        let text = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
        let c: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        let at = |what: &str| format!("{}: {what}", dir.display());
        let networks = c["networks"].as_mapping().expect("networks");
        assert!(!networks.is_empty(), "{}", at("no network"));
        for (name, net) in networks {
            assert_eq!(
                net["internal"].as_bool(),
                Some(true),
                "{}",
                at(&format!("network {name:?} is not internal"))
            );
            assert!(net.get("external").is_none(), "{}", at("external network"));
        }
        for (name, svc) in c["services"].as_mapping().expect("services") {
            let name = name.as_str().unwrap();
            let here = |what: &str| at(&format!("service {name}: {what}"));
            assert!(svc.get("privileged").is_none(), "{}", here("privileged"));
            for key in [
                "pid",
                "ipc",
                "userns_mode",
                "cgroup",
                "devices",
                "security_opt",
            ] {
                assert!(svc.get(key).is_none(), "{}", here(key));
            }
            if let Some(mode) = svc.get("network_mode") {
                let mode = mode.as_str().unwrap();
                assert!(
                    mode == "none" || mode.starts_with("service:capture-"),
                    "{}",
                    here(&format!("network_mode {mode}"))
                );
            }
            for cap in svc["cap_add"].as_sequence().into_iter().flatten() {
                let cap = cap.as_str().unwrap();
                assert!(ALLOWED_CAPS.contains(&cap), "{}", here(cap));
            }
            for v in svc["volumes"].as_sequence().into_iter().flatten() {
                let source = v["source"].as_str().unwrap_or_default();
                assert_eq!(v["type"].as_str(), Some("bind"), "{}", here("volume type"));
                assert!(
                    source.starts_with("./") && !source.contains(".."),
                    "{}",
                    here(&format!("bind source {source}"))
                );
                assert!(!source.contains("docker.sock"), "{}", here("docker socket"));
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "checked {checked} services");
}

#[test]
fn subscenarios_picked_by_list_or_name_render_the_golden_bytes() {
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "render",
        "ftp",
        "--subscenario",
        "delete-file,1,3",
        "--seed",
        "7",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut made: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    made.sort();
    assert_eq!(made, ["ftp-1-0", "ftp-3-0"], "each picked once");
    for run in &made {
        assert_eq!(
            tree(&out.path().join(run)),
            tree(&repo().join("generated/ftp").join(run)),
            "{run}"
        );
    }
    let o = detgen(&[
        "render",
        "ftp",
        "--subscenario",
        "1,no-such",
        "--out",
        out.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no subscenario `no-such`") && err.contains("3 (delete-file)"),
        "{err}"
    );
    assert!(
        !out.path().join("x").exists(),
        "nothing rendered on a bad pick"
    );
}
