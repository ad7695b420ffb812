//! Replicated services: a drawn number of copies of one service, each a
//! service of its own (address, capture, labels, WAN links) with its own
//! drawn parameters, all reproducible from the seed.

use std::collections::{BTreeMap, BTreeSet};

use detgen::render::{render, Rendered, Request};
use detgen::spec::Scenario;

const SPEC: &str = r#"name: crowd
description: Clients in a drawn number.
class: benign
duration: 30
parameters:
  clients: {dist: uniform_int, low: 2, high: 5}
  word: {dist: choice, values: [alpha, beta]}
wan:
  services: {client: lan}
services:
  server:
    build: node
    role: server
  client:
    build: node
    role: client
    workload: true
    replicas: "{{ clients }}"
    replica_parameters:
      pause: {dist: uniform, low: 0, high: 100}
    depends_on: [server]
    environment:
      INDEX: "{{ replica }}/{{ replicas }}"
      PAUSE: "{{ pause }}"
      WORD: "{{ word }}"
  watcher:
    build: node
    role: monitor
    depends_on: [client]
subscenarios:
  - id: "1"
    name: crowd
    description: The crowd.
  - id: "2"
    name: quiet
    description: The crowd in one word, without pauses.
    environment:
      client: {WORD: hush}
    replica_parameters:
      client:
        pause: {dist: constant, value: 0}
"#;

fn scenario() -> (tempfile::TempDir, Scenario) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("crowd");
    std::fs::create_dir_all(dir.join("node")).unwrap();
    std::fs::write(dir.join("node/Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
    std::fs::write(dir.join("scenario.yaml"), SPEC).unwrap();
    let s = Scenario::load(&dir).unwrap();
    (root, s)
}

fn request<'a>(s: &'a Scenario, sub: &str, seed: u64, set: &[(&str, &str)]) -> Request<'a> {
    Request {
        scenario: s,
        subscenario: sub.into(),
        root_seed: seed,
        seed_source: detgen::manifest::SeedSource::Given,
        index: 0,
        overrides: set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        duration: None,
        wan: None,
        host_load: false,
    }
}

/// The rendered compose file's services, as YAML values.
fn compose(r: &Rendered) -> BTreeMap<String, serde_yaml_ng::Value> {
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_slice(&r.files["compose.yaml"]).unwrap();
    serde_yaml_ng::from_value(v["services"].clone()).unwrap()
}

fn env(r: &Rendered, service: &str, key: &str) -> String {
    compose(r)[service]["environment"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{service} has no {key}"))
        .to_string()
}

fn param(r: &Rendered, name: &str) -> String {
    serde_json::to_value(&r.manifest.parameters[name].value)
        .unwrap()
        .to_string()
        .trim_matches('"')
        .to_string()
}

#[test]
fn the_drawn_count_of_copies_each_with_its_own_parameters() {
    let (_root, s) = scenario();
    let mut counts = BTreeSet::new();
    for seed in 1..=12 {
        let r = render(&request(&s, "1", seed, &[])).unwrap();
        let n: usize = param(&r, "clients").parse().unwrap();
        counts.insert(n);
        let copies: Vec<&String> = r
            .manifest
            .services
            .keys()
            .filter(|k| k.starts_with("client-"))
            .collect();
        assert_eq!(copies.len(), n, "seed {seed}: {copies:?}");
        let mut pauses = BTreeSet::new();
        let mut ips = BTreeSet::new();
        let services = compose(&r);
        for i in 1..=n {
            let copy = format!("client-{i}");
            let rec = &r.manifest.services[&copy];
            assert_eq!(rec.role, "client");
            assert_eq!(rec.replica_of.as_deref(), Some("client"));
            assert!(
                ips.insert(rec.ip.clone()),
                "{copy}: address {} twice",
                rec.ip
            );
            assert_eq!(env(&r, &copy, "INDEX"), format!("{i}/{n}"));
            let pause = env(&r, &copy, "PAUSE");
            assert_eq!(pause, param(&r, &format!("{copy}.pause")));
            pauses.insert(pause);
            // its own capture, answering to the service's name too
            let aliases = &services[&format!("capture-{copy}")]["networks"]["scenario"]["aliases"];
            let aliases: Vec<&str> = aliases
                .as_sequence()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(aliases, [copy.as_str(), "client"]);
            assert!(
                r.files.contains_key(&format!("netem/{copy}.sh")),
                "{copy}: no WAN script"
            );
            assert!(r.manifest.wan.services.contains_key(&copy));
        }
        assert_eq!(
            pauses.len(),
            n,
            "seed {seed}: every copy draws its own pause"
        );
        // depending on the service means depending on every copy
        let deps = services["watcher"]["depends_on"].as_mapping().unwrap();
        for i in 1..=n {
            assert!(
                deps.contains_key(format!("client-{i}").as_str()),
                "{deps:?}"
            );
        }
        // the scenario's parameters are the same for every copy
        assert_eq!(env(&r, "client-1", "WORD"), param(&r, "word"));
        // the same request renders the same bytes
        assert_eq!(r.files, render(&request(&s, "1", seed, &[])).unwrap().files);
    }
    assert!(counts.len() >= 2, "twelve seeds drew one count: {counts:?}");
}

#[test]
fn a_subscenario_setting_applies_to_every_copy() {
    let (_root, s) = scenario();
    let r = render(&request(&s, "2", 3, &[])).unwrap();
    let n: usize = param(&r, "clients").parse().unwrap();
    for i in 1..=n {
        assert_eq!(env(&r, &format!("client-{i}"), "WORD"), "hush");
        // its per-copy parameters replace the service's
        assert_eq!(env(&r, &format!("client-{i}"), "PAUSE"), "0");
    }
}

#[test]
fn set_fixes_the_count_or_one_copy() {
    let (_root, s) = scenario();
    let r = render(&request(
        &s,
        "1",
        5,
        &[("clients", "4"), ("client-3.pause", "1.5")],
    ))
    .unwrap();
    assert_eq!(
        r.manifest
            .services
            .keys()
            .filter(|k| k.starts_with("client-"))
            .count(),
        4
    );
    assert_eq!(env(&r, "client-3", "PAUSE"), "1.5");
    let drawn = render(&request(&s, "1", 5, &[("clients", "4")])).unwrap();
    // the other copies keep their draws
    assert_eq!(
        env(&r, "client-2", "PAUSE"),
        env(&drawn, "client-2", "PAUSE")
    );

    let err = render(&request(&s, "1", 5, &[("clients", "0")])).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("services.client.replicas") && msg.contains("1 to 64"),
        "{msg}"
    );
    let err = render(&request(
        &s,
        "1",
        5,
        &[("clients", "2"), ("client-3.pause", "1")],
    ))
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("no parameter `client-3.pause`"),
        "{err:#}"
    );
}
