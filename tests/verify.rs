//! Rendering is reproducible and `verify` catches every kind of drift.

mod common;

use common::*;

fn render(out: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "render",
        "ping",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = detgen(&args);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn same_seed_renders_identical_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render(a.path(), &[]);
    render(b.path(), &[]);
    assert_eq!(tree(a.path()), tree(b.path()));
    let c = tempfile::tempdir().unwrap();
    render(c.path(), &["--runs", "2"]);
    assert_ne!(
        std::fs::read(c.path().join("ping-1-0/manifest.yaml")).unwrap(),
        std::fs::read(c.path().join("ping-1-1/manifest.yaml")).unwrap()
    );
}

#[test]
fn verify_passes_then_catches_a_one_byte_edit_with_a_diff() {
    let out = tempfile::tempdir().unwrap();
    render(out.path(), &[]);
    let run = out.path().join("ping-1-0");
    let o = detgen(&["verify", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    let compose = run.join("compose.yaml");
    let mut bytes = std::fs::read(&compose).unwrap();
    let i = bytes.windows(7).position(|w| w == b"[\"ping\"").unwrap() + 2;
    bytes[i] = b'P';
    std::fs::write(&compose, &bytes).unwrap();
    let o = detgen(&["verify", run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("DRIFT"), "{stdout}");
    assert!(stdout.contains("-    command: [\"ping\""), "{stdout}");
    assert!(stdout.contains("+    command: [\"Ping\""), "{stdout}");
}

#[test]
fn verify_catches_manifest_edits_missing_and_unexpected_files() {
    let out = tempfile::tempdir().unwrap();
    render(out.path(), &[]);
    let run = out.path().join("ping-1-0");
    let manifest = run.join("manifest.yaml");
    let text_before = std::fs::read_to_string(&manifest).unwrap();
    // a hand edit of a recorded hash
    let edited = text_before.replacen("compose.yaml: ", "compose.yaml: 0", 1);
    std::fs::write(&manifest, edited).unwrap();
    let o = detgen(&["verify", run.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report[0]["drift"][0]["path"], "manifest.yaml");
    std::fs::write(&manifest, text_before).unwrap();

    std::fs::remove_file(run.join("run.sh")).unwrap();
    std::fs::write(run.join("extra.txt"), "x").unwrap();
    let o = detgen(&["verify", out.path().to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<(String, String)> = report[0]["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().into(),
                d["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("missing".into(), "run.sh".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("unexpected".into(), "extra.txt".into())),
        "{kinds:?}"
    );
}

#[test]
fn set_values_are_recorded_and_reproduced() {
    let out = tempfile::tempdir().unwrap();
    render(out.path(), &["--set", "count=3", "--set", "interval=0.25"]);
    let run = out.path().join("ping-1-0");
    let m = std::fs::read_to_string(run.join("manifest.yaml")).unwrap();
    assert!(m.contains("value: 3\n    source: set"), "{m}");
    assert!(m.contains("value: 0.25\n    source: set"), "{m}");
    assert!(m.contains("source: drawn"), "{m}");
    let o = detgen(&["verify", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn existing_output_is_never_overwritten_without_force() {
    let out = tempfile::tempdir().unwrap();
    render(out.path(), &[]);
    let o = detgen(&[
        "render",
        "ping",
        "--seed",
        "8",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    render(out.path(), &["--force"]);
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&["render", "nosuch", "--out", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("known: "),
        "{}",
        text(&o)
    );
    let o = detgen(&[
        "render",
        "ping",
        "--subscenario",
        "9",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("it has: 1"),
        "{}",
        text(&o)
    );
    let o = detgen(&[
        "render",
        "ping",
        "--set",
        "nope=1",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no parameter `nope`"),
        "{}",
        text(&o)
    );
}

#[test]
fn entropy_seed_is_printed_and_recorded() {
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&["render", "ping", "--out", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let seed = stderr
        .split("root seed ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("seed printed");
    let m = std::fs::read_to_string(out.path().join("ping-1-0/manifest.yaml")).unwrap();
    assert!(m.contains(&format!("root_seed: {seed}\n")), "{m}");
    assert!(m.contains("root_seed_source: entropy"), "{m}");
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn list_shows_scenarios_as_json() {
    let o = detgen(&["list", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ping = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ping")
        .unwrap();
    assert_eq!(ping["class"], "benign");
    assert_eq!(ping["subscenarios"].as_array().unwrap().len(), 1);
}

#[test]
fn wan_profile_choice_is_recorded_and_reproduced() {
    let out = tempfile::tempdir().unwrap();
    render(out.path(), &["--wan", "paper-secondary"]);
    let run = out.path().join("ping-1-0");
    let m = std::fs::read_to_string(run.join("manifest.yaml")).unwrap();
    assert!(m.contains("requested: paper-secondary"), "{m}");
    assert!(run.join("netem/server.sh").is_file() && run.join("netem/client.sh").is_file());
    let o = detgen(&["verify", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    // a hand edit of a drawn delay is drift in the manifest and the script
    let edited = m.replacen("delay_ms: ", "delay_ms: 1", 1);
    std::fs::write(run.join("manifest.yaml"), edited).unwrap();
    let o = detgen(&["verify", run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    let o = detgen(&[
        "render",
        "ping",
        "--seed",
        "1",
        "--wan",
        "nowhere",
        "--out",
        out.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("paper-primary"), "{}", text(&o));
}

#[test]
fn verify_names_a_changed_shared_file() {
    // a scenarios folder of its own: nginx and the shared files it uses
    let root = tempfile::tempdir().unwrap();
    let scenarios = root.path().join("scenarios");
    for dir in ["nginx", "_shared"] {
        for (rel, bytes) in tree(&common::scenarios().join(dir)) {
            let path = scenarios.join(dir).join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }
    let out = root.path().join("out");
    // detgen with this scenarios folder
    let dg = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_detgen"))
            .arg("--scenarios")
            .arg(&scenarios)
            .args(args)
            .output()
            .unwrap()
    };
    let o = dg(&[
        "render",
        "nginx",
        "--subscenario",
        "1",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run = out.join("nginx-1-0");
    let o = dg(&["verify", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    let script = scenarios.join("_shared/web/web-client.sh");
    let mut bytes = std::fs::read(&script).unwrap();
    bytes.extend_from_slice(b"# edited\n");
    std::fs::write(&script, bytes).unwrap();
    let o = dg(&["verify", run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("changed since render: ../_shared/web/web-client.sh"),
        "{stdout}"
    );
    assert!(stdout.contains("images/client/web-client.sh"), "{stdout}");
}
