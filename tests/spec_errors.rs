//! Every validation error names the file, the line and the field path, and
//! says what is expected. No input makes the loader panic.

use std::path::Path;

use detgen::spec::Scenario;

const GOOD: &str = r#"name: demo
description: A demo.
class: benign
duration: 30
parameters:
  user: {dist: string, alphabet: lower, length: {dist: constant, value: 8}}
services:
  server:
    build: node
    role: server
  client:
    build: node
    role: client
    workload: true
    depends_on: [server]
    command: [echo, "{{ user }}"]
subscenarios:
  - id: "1"
    name: one
    description: The only one.
"#;

/// Write `spec` as scenario `demo` and load it.
fn load(spec: &str) -> Result<Scenario, String> {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    std::fs::create_dir_all(dir.join("node")).unwrap();
    std::fs::write(dir.join("node/Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
    std::fs::write(dir.join("scenario.yaml"), spec).unwrap();
    Scenario::load(&dir).map_err(|e| {
        let msg = e.to_string();
        // the message starts with the file path
        assert!(
            msg.starts_with(&dir.join("scenario.yaml").display().to_string()),
            "{msg}"
        );
        msg.replace(&format!("{}/", Path::new(&dir).display()), "")
    })
}

/// A subscenario rendered at root seed 1.
fn render_seed_1(s: &Scenario, sub: &str) -> detgen::render::Rendered {
    detgen::render::render(&detgen::render::Request {
        scenario: s,
        subscenario: sub.into(),
        root_seed: 1,
        seed_source: detgen::manifest::SeedSource::Given,
        index: 0,
        overrides: Default::default(),
        duration: None,
        wan: None,
        host_load: false,
    })
    .unwrap()
}

fn expect_error(spec: &str, want: &[&str]) {
    let err = load(spec).expect_err("spec should be rejected");
    for w in want {
        assert!(err.contains(w), "error {err:?} lacks {w:?}");
    }
}

#[test]
fn good_spec_loads() {
    let s = load(GOOD).unwrap();
    assert_eq!(s.spec.services.len(), 2);
}

#[test]
fn unknown_field_names_line_and_path() {
    expect_error(
        &GOOD.replace("    role: server\n", "    role: server\n    colour: red\n"),
        &[
            "scenario.yaml:",
            "services.server",
            "unknown field `colour`",
            ":11:",
        ],
    );
}

#[test]
fn bad_distribution_value_names_line_and_path() {
    expect_error(
        &GOOD.replace(
            "value: 8}}",
            "value: 8}}\n  n: {dist: exponential, mean: -3}",
        ),
        &["parameters.n", "`mean` must be greater than 0", ":7:"],
    );
}

#[test]
fn wrong_type_is_reported() {
    expect_error(
        &GOOD.replace("duration: 30", "duration: soon"),
        &["duration", "invalid type", ":4:"],
    );
}

#[test]
fn unknown_dependency() {
    expect_error(
        &GOOD.replace("depends_on: [server]", "depends_on: [db]"),
        &[
            "services.client.depends_on",
            "`db` is not another service",
            ":15",
        ],
    );
}

#[test]
fn missing_workload() {
    expect_error(
        &GOOD.replace("    workload: true\n", ""),
        &["services", "workload: true"],
    );
}

#[test]
fn malicious_needs_category_and_benign_forbids_it() {
    expect_error(
        &GOOD.replace("class: benign", "class: malicious"),
        &["class", "attack_category", ":3"],
    );
    expect_error(
        &GOOD.replace("class: benign", "class: benign\nattack_category: dos"),
        &["attack_category", "only malicious"],
    );
}

#[test]
fn unknown_class() {
    expect_error(
        &GOOD.replace("class: benign", "class: evil"),
        &["class", "unknown variant `evil`", ":3"],
    );
}

#[test]
fn template_with_unknown_parameter() {
    expect_error(
        &GOOD.replace("{{ user }}", "{{ usr }}"),
        &["services.client", "unknown parameter(s) usr"],
    );
}

#[test]
fn ready_check_with_unknown_parameter() {
    expect_error(
        &GOOD.replace(
            "    role: server\n",
            "    role: server\n    ready: [test, -n, \"{{ usr }}\"]\n",
        ),
        &["services.server", "unknown parameter(s) usr"],
    );
}

#[test]
fn volume_escaping_the_run_dir() {
    expect_error(
        &GOOD.replace(
            "    role: server\n",
            "    role: server\n    volumes: [{source: ../../etc, target: /x}]\n",
        ),
        &["services.server.volumes.[0].source", "without `..`"],
    );
}

#[test]
fn build_folder_without_dockerfile() {
    expect_error(
        &GOOD.replace(
            "build: node\n    role: server",
            "build: nope\n    role: server",
        ),
        &["services.server.build", "no Dockerfile"],
    );
}

#[test]
fn duplicate_subscenario_id() {
    expect_error(
        &format!("{GOOD}  - id: \"1\"\n    name: two\n    description: Again.\n"),
        &["subscenarios.[1].id", "used twice", ":21"],
    );
}

#[test]
fn duplicate_subscenario_name() {
    expect_error(
        &format!("{GOOD}  - id: \"2\"\n    name: one\n    description: Again.\n"),
        &["subscenarios.[1].name", "used twice", ":22"],
    );
}

#[test]
fn name_must_match_folder() {
    expect_error(
        &GOOD.replace("name: demo", "name: other"),
        &["name", "folder name", ":1"],
    );
}

#[test]
fn forbidden_capability() {
    expect_error(
        &GOOD.replace(
            "    role: server\n",
            "    role: server\n    cap_add: [SYS_ADMIN]\n",
        ),
        &["services.server.cap_add", "SYS_ADMIN", "not allowed"],
    );
}

#[test]
fn garbage_never_panics() {
    for junk in [
        "", "\0\0", "- a\n- b", "name: [", "{{{{", "name: demo\nservices: 3", "\u{feff}name: demo",
        "name: demo\ndescription: x\nclass: benign\nduration: 1\nservices: {}\nsubscenarios: []",
        "name: demo\nparameters: {x: {dist: files, count: {dist: string, alphabet: ab, length: {dist: constant, value: 1}}, name_length: 1, size: 1}}",
    ] {
        assert!(load(junk).is_err(), "{junk:?} accepted");
    }
}

#[test]
fn wan_section_errors_name_the_field() {
    let with = |wan: &str| format!("{GOOD}wan:\n{wan}");
    // a good one loads
    let s = load(&with(
        "  profile: dsl\n  services: {server: \"off\"}\n  profiles:\n    slow:\n      distribution: weibull\n      weibull_shape: 1.5\n      delay_ms: {dist: uniform, low: 10, high: 20}\n",
    ))
    .unwrap();
    assert_eq!(s.spec.wan.profile.as_deref(), Some("dsl"));
    expect_error(
        &with("  profile: dailup\n"),
        &[
            "scenario.yaml:",
            "`wan.profile`",
            "unknown WAN profile `dailup`",
            "paper-primary",
        ],
    );
    expect_error(
        &with("  services: {nobody: dsl}\n"),
        &["`wan.services.nobody`", "not a service"],
    );
    expect_error(
        &with("  profiles:\n    slow:\n      distribution: weibull\n      delay_ms: 10\n"),
        &[
            "scenario.yaml:23:",
            "`wan.profiles.slow.weibull_shape`",
            "required",
        ],
    );
    expect_error(
        &with("  profiles:\n    slow:\n      distribution: gamma\n"),
        &[
            "`wan.profiles.slow.distribution`",
            "unknown delay distribution `gamma`",
        ],
    );
    expect_error(
        &with(
            "  profiles:\n    slow:\n      delay_ms: {dist: string, alphabet: lower, length: 3}\n",
        ),
        &["`wan.profiles.slow"],
    );
    expect_error(
        &with("  profiles:\n    lan: {delay_ms: 1}\n"),
        &["`wan.profiles.lan`", "neither `off` nor a preset"],
    );
    expect_error(
        &with("  profiles:\n    slow: {delay_ms: 1, latency: 3}\n"),
        &["unknown field `latency`"],
    );
    let uncaptured = GOOD.replace(
        "    role: server\n",
        "    role: server\n    capture: false\n",
    );
    expect_error(
        &format!("{uncaptured}wan:\n  services: {{server: dsl}}\n"),
        &["`wan.services.server`", "capture: false"],
    );
}

#[test]
fn aliases_and_networks_are_checked() {
    let bad_alias = GOOD.replace(
        "    role: server\n",
        "    role: server\n    aliases: [\"www..example\"]\n",
    );
    expect_error(
        &bad_alias,
        &["`services.server.aliases`", "not a DNS host name"],
    );
    let unknown_net = GOOD.replace(
        "    role: server\n",
        "    role: server\n    networks: [dmz]\n",
    );
    expect_error(
        &unknown_net,
        &["`services.server.networks`", "`dmz` is not a network"],
    );
    let twice = format!("{GOOD}networks: [lan, lan]\n");
    expect_error(&twice, &["`networks`", "appear once"]);
}

#[test]
fn omitted_services_must_exist_leave_a_workload_and_no_dependant() {
    let with = |omit: &str| {
        GOOD.replace(
            "    description: The only one.\n",
            &format!("    description: The only one.\n    omit: {omit}\n"),
        )
    };
    expect_error(
        &with("[nobody]"),
        &["scenario.yaml:21", "omit", "`nobody` is not a service"],
    );
    expect_error(
        &with("[server]"),
        &["scenario.yaml:21", "client depend on it"],
    );
    expect_error(&with("[client]"), &["no workload service would be left"]);
    // Omitting a service nothing needs: it is absent from the rendered run.
    let spec = GOOD.replace(
        "subscenarios:\n",
        "  bystander:\n    build: node\n    role: client\nsubscenarios:\n",
    ) + "  - id: \"2\"\n    name: alone\n    description: Without the bystander.\n    omit: [bystander]\n";
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    std::fs::create_dir_all(dir.join("node")).unwrap();
    std::fs::write(dir.join("node/Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
    std::fs::write(dir.join("scenario.yaml"), &spec).unwrap();
    let s = Scenario::load(&dir).unwrap();
    let render = |sub: &str| render_seed_1(&s, sub);
    assert!(render("1").manifest.services.contains_key("bystander"));
    let two = render("2");
    assert!(!two.manifest.services.contains_key("bystander"));
    let compose = String::from_utf8(two.files["compose.yaml"].clone()).unwrap();
    assert!(!compose.contains("bystander"), "{compose}");
}

/// GOOD with the client replicated: `replicas` and its own parameters.
fn replicated(replicas: &str, own: &str) -> String {
    GOOD.replace(
        "    workload: true\n",
        &format!("    workload: true\n    replicas: {replicas}\n    replica_parameters:\n{own}"),
    )
}

#[test]
fn replicated_service_loads_and_its_templates_see_the_copy() {
    let spec = replicated(
        "\"{{ user | length }}\"",
        "      pause: {dist: uniform, low: 0, high: 2}\n",
    )
    .replace(
        "command: [echo, \"{{ user }}\"]",
        "command: [echo, \"{{ user }} {{ replica }}/{{ replicas }} {{ pause }}\"]",
    );
    load(&spec).unwrap();
}

#[test]
fn replica_errors_name_the_field() {
    let own = "      pause: {dist: uniform, low: 0, high: 2}\n";
    expect_error(
        &replicated("0", own),
        &["services.client.replicas", "1 to 64", ":15:"],
    );
    expect_error(
        &replicated("\"{{ users }}\"", own),
        &["services.client.replicas", "unknown parameter(s) users"],
    );
    expect_error(
        &replicated("2", "      user: {dist: constant, value: 1}\n"),
        &[
            "services.client.replica_parameters.user",
            "also a scenario or subscenario parameter",
        ],
    );
    expect_error(
        &replicated("2", "      replica: {dist: constant, value: 1}\n"),
        &["services.client.replica_parameters.replica", "neither"],
    );
    // a copy's parameter is unknown to the other services
    expect_error(
        &replicated("2", own).replace(
            "    role: server\n",
            "    role: server\n    command: [echo, \"{{ pause }}\"]\n",
        ),
        &["services.server", "unknown parameter(s) pause"],
    );
    // a subscenario's per-copy parameters name a replicated service
    let sub = "    description: The only one.\n    replica_parameters:\n      server:\n        pause: {dist: constant, value: 1}\n";
    expect_error(
        &replicated("2", own).replace("    description: The only one.\n", sub),
        &[
            "subscenarios.[0].replica_parameters.server",
            "not a replicated service",
        ],
    );
    expect_error(
        &replicated("2", own).replace(
            "    description: The only one.\n",
            &sub.replace("server", "client").replace("pause", "user"),
        ),
        &["replica_parameters.client.user", "also a scenario"],
    );
    // parameters drawn per copy need copies
    expect_error(
        &GOOD.replace(
            "    workload: true\n",
            &format!("    workload: true\n    replica_parameters:\n{own}"),
        ),
        &["services.client.replica_parameters", "add `replicas`"],
    );
    // the copies' names are taken
    expect_error(
        &replicated("2", own)
            .replace("  server:\n", "  client-1:\n")
            .replace("[server]", "[client-1]"),
        &["services.client.replicas", "`client-1` clashes"],
    );
}

#[test]
fn shared_files_join_the_build_context_and_are_checked() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    std::fs::create_dir_all(dir.join("node")).unwrap();
    std::fs::create_dir_all(root.path().join("_shared/web")).unwrap();
    std::fs::write(dir.join("node/Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
    std::fs::write(root.path().join("_shared/web/site.sh"), "echo site\n").unwrap();
    let with = |shared: &str| {
        let spec = GOOD.replace("services:\n", &format!("shared:\n{shared}services:\n"));
        std::fs::write(dir.join("scenario.yaml"), spec).unwrap();
        Scenario::load(&dir).map_err(|e| e.to_string())
    };
    let s = with("  node: [web/site.sh]\n").unwrap();
    let r = render_seed_1(&s, "1");
    assert_eq!(r.files["images/node/site.sh"], b"echo site\n");
    assert_eq!(
        r.manifest.inputs.shared["web/site.sh"],
        detgen::manifest::sha256_hex(b"echo site\n")
    );

    for (shared, want) in [
        ("  node: [web/gone.sh]\n", "no such file"),
        ("  other: [web/site.sh]\n", "not the build folder"),
        ("  node: [../demo/node/Dockerfile]\n", "without `..`"),
        (
            "  node: [web/site.sh, web/site.sh]\n",
            "already has a file named `site.sh`",
        ),
    ] {
        let err = with(shared).expect_err(shared);
        assert!(err.contains("`shared.") && err.contains(want), "{err}");
    }
}

#[test]
fn merge_keys_apply_and_errors_beneath_them_are_located() {
    // a subscenario's environment merged from an anchored mapping
    let spec = GOOD.replace(
        "    command: [echo, \"{{ user }}\"]\n",
        "    command: [echo, \"{{ user }}\"]\n    environment: &env\n      MODE: fast\n      LEVEL: \"1\"\n",
    ) + "    environment:\n      client:\n        <<: *env\n        LEVEL: \"2\"\n";
    let s = load(&spec).unwrap();
    let env = &s.spec.subscenarios[0].environment["client"];
    assert_eq!(env["MODE"], "fast");
    assert_eq!(env["LEVEL"], "2", "the mapping's own key wins");

    // an error in a spec with merge keys still names its field and line
    expect_error(
        &spec.replace("    role: server\n", "    role: server\n    colour: red\n"),
        &["services.server", "unknown field `colour`", ":11:"],
    );
    expect_error(&(spec.clone() + "    <<: 3\n"), &["merge key"]);
}
