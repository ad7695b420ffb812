//! Hostile parameter values (quotes, `$(...)`, `${VAR}`, newlines, `: `,
//! `#`, backticks, Unicode line separators) reach compose and shell intact:
//! they can neither break the file nor inject anything.

mod common;

use std::process::Command;

use common::*;

const SPEC: &str = r#"name: hostile
description: Echo a parameter.
class: benign
duration: 5
parameters:
  word: {dist: string, alphabet: lower, length: {dist: constant, value: 4}}
services:
  client:
    build: node
    role: client
    workload: true
    command: [sh, -c, 'printf %s "$WORD" > /out/env; printf %s "$1" > /out/arg', sh, "{{ word }}"]
    environment: {WORD: "{{ word }}", BOTH: "<{{ word }}>"}
    ready: [test, -n, "{{ word }}"]
    volumes: [{source: out, target: /out}]
subscenarios:
  - id: "1"
    name: one
    description: Echo.
"#;

const HOSTILE: &[&str] = &[
    "it's \"quoted\"",
    "$(touch /tmp/detgen-pwned)",
    "${HOME} $HOME $$",
    "line1\nline2\n- item: x",
    "key: value # not a comment",
    "`id`; rm -rf / &",
    "sep\u{2028}arator\u{85}next",
    "{{ 7 * 7 }} {% raw %}",
    "   leading and trailing   ",
];

fn scenario_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("hostile");
    std::fs::create_dir_all(dir.join("node")).unwrap();
    std::fs::write(dir.join("node/Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
    std::fs::write(dir.join("scenario.yaml"), SPEC).unwrap();
    root
}

#[test]
fn hostile_values_reach_compose_verbatim() {
    if !docker_required("docker compose config") {
        return;
    }
    assert!(
        compose_available(),
        "docker compose v2 is needed (scripts/setup-host.sh)"
    );
    let root = scenario_root();
    for (i, value) in HOSTILE.iter().enumerate() {
        let out = root.path().join(format!("out{i}"));
        let o = Command::new(env!("CARGO_BIN_EXE_detgen"))
            .args(["--scenarios", root.path().to_str().unwrap()])
            .args([
                "render",
                "hostile",
                "--seed",
                "1",
                // shaped, so netem scripts are rendered and checked too
                "--wan",
                "lan",
                "--out",
                out.to_str().unwrap(),
            ])
            .arg("--set")
            .arg(format!("word={value}"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{value:?}: {}", text(&o));
        let run = out.join("hostile-1-0");
        let cfg = compose_config_json(&run);
        // `config` prints a compose file again, so `$` comes back as `$$`
        let client = &cfg["services"]["client"];
        let unescape = |v: &serde_json::Value| v.as_str().unwrap().replace("$$", "$");
        assert_eq!(unescape(&client["environment"]["WORD"]), *value);
        assert_eq!(
            unescape(&client["environment"]["BOTH"]),
            format!("<{value}>")
        );
        assert_eq!(unescape(&client["command"][4]), *value);
        assert_eq!(client["healthcheck"]["test"][0], "CMD");
        assert_eq!(unescape(&client["healthcheck"]["test"][3]), *value);
        // the rendered YAML parses on its own, too
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_slice(&std::fs::read(run.join("compose.yaml")).unwrap()).unwrap();
        assert!(yaml["services"]["client"].is_mapping());
        // the manifest records the value and reproduces the run
        let o = Command::new(env!("CARGO_BIN_EXE_detgen"))
            .args(["--scenarios", root.path().to_str().unwrap(), "verify"])
            .arg(&run)
            .output()
            .unwrap();
        assert!(o.status.success(), "{value:?}: {}", text(&o));
        for script in ["run.sh", "netem/client.sh"] {
            let o = Command::new("sh")
                .arg("-n")
                .arg(run.join(script))
                .output()
                .unwrap();
            assert!(o.status.success(), "{script}: {}", text(&o));
        }
    }
    assert!(!std::path::Path::new("/tmp/detgen-pwned").exists());
}

#[test]
fn shell_quoting_round_trips_through_sh() {
    for value in HOSTILE {
        let quoted = detgen::render::sh_quote(value);
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {quoted}"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(o.stdout).unwrap(), *value);
    }
    assert!(!std::path::Path::new("/tmp/detgen-pwned").exists());
}

/// The container itself receives the exact value, in its environment and
/// as an argument.
#[test]
fn hostile_values_reach_the_container_verbatim() {
    if !docker_required("a Docker run") {
        return;
    }
    let root = scenario_root();
    for (i, value) in HOSTILE
        .iter()
        .enumerate()
        .filter(|(i, _)| [1, 2, 3, 5].contains(i))
    {
        let out = root.path().join(format!("run{i}"));
        let o = Command::new(env!("CARGO_BIN_EXE_detgen"))
            .args(["--scenarios", root.path().to_str().unwrap()])
            .args([
                "run",
                "hostile",
                "--seed",
                "1",
                "--out",
                out.to_str().unwrap(),
            ])
            .arg("--set")
            .arg(format!("word={value}"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{value:?}: {}", text(&o));
        let got = |f: &str| std::fs::read_to_string(out.join("hostile-1-0/out").join(f)).unwrap();
        assert_eq!(got("env"), *value);
        assert_eq!(got("arg"), *value);
    }
    assert!(!std::path::Path::new("/tmp/detgen-pwned").exists());
}
