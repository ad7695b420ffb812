//! The ares scenario for real: the infected hosts' agents poll the C2 at
//! the drawn interval (a new connection per poll, JSON hellos naming the
//! host and user), the operator's commands come back as `$ <command>`
//! echoes and outputs, the victim's documents leave as a multipart upload
//! and the operator's tool arrives byte for byte, and the dropped miner
//! talks XMRig's stratum to the pool: a wallet login, jobs and accepted
//! shares. Hosts that were not infected never call the C2.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;
use sha2::{Digest, Sha256};

const SEED: &str = "970";

fn num(m: &Manifest, name: &str) -> f64 {
    param(m, name).parse().unwrap()
}

fn files(m: &Manifest, name: &str) -> Vec<String> {
    match &m.parameters[name].value {
        Value::Files(f) => f.iter().map(|f| f.name.clone()).collect(),
        v => panic!("{name} is not a file set: {v:?}"),
    }
}

/// tshark's fields of the packets matching a filter, split.
fn rows(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    tshark(pcap, filter, fields)
        .iter()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A text field as tshark prints it (newlines escaped).
fn escaped(s: &str) -> String {
    s.replace('\n', "\\n")
}

/// The bytes one side sent in each TCP stream matching a filter.
fn streams(pcap: &Path, filter: &str) -> BTreeMap<u64, Vec<u8>> {
    let mut by_seq: BTreeMap<(u64, u64), Vec<u8>> = BTreeMap::new();
    for f in rows(
        pcap,
        &format!("tcp.len > 0 && ({filter})"),
        &["tcp.stream", "tcp.seq", "tcp.payload"],
    ) {
        let h: String = f[2].chars().filter(|c| c.is_ascii_hexdigit()).collect();
        let bytes = (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect();
        by_seq
            .entry((f[0].parse().unwrap(), f[1].parse().unwrap()))
            .or_insert(bytes);
    }
    let mut out: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for ((stream, seq), bytes) in by_seq {
        let data = out.entry(stream).or_default();
        assert_eq!(seq, data.len() as u64 + 1, "a gap in TCP stream {stream}");
        data.extend(bytes);
    }
    out
}

#[test]
fn ares_agents_poll_run_commands_move_files_and_mine() {
    if !docker_required("ares runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // Runs may last 180 s: on a busy host starting the containers alone can
    // take most of the spec's 60.
    let o = detgen(&[
        "run",
        "ares",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--duration",
        "180",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut schemes = BTreeSet::new();
    for sub in ["1", "2", "3"] {
        let run = out.path().join(format!("ares-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "ares {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(m.attack_category.as_deref(), Some("backdoor"));
        // one copy of the agent service per infected host
        let n = num(&m, "agents") as usize;
        let names: Vec<String> = (1..=n).map(|k| format!("agent-{k}")).collect();
        assert_eq!(copies(&m, "agent"), names, "ares {sub}");
        for w in names.iter().map(String::as_str).chain(["operator"]) {
            assert_eq!(results.exit_codes[w], 0, "ares {sub} {w}");
        }
        for side in ["c2", "operator", "agent-1"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(first_tcp_is_syn(&pcap), "ares {sub} {side}: first TCP");
        }
        let ip = |s: &str| m.services[s].ip.clone();
        let (c2, operator) = (ip("c2"), ip("operator"));
        let agents: Vec<String> = names.iter().map(|a| ip(a)).collect();
        let scheme = param(&m, "scheme");
        let port = param(&m, &format!("{scheme}_port"));
        schemes.insert(scheme.clone());
        let pcap = run.join("pcap/c2.pcap");
        // Only the infected hosts and the operator call the C2, and every
        // poll of an agent is a new connection: while the agent is idle
        // they come every hello_interval (+- the jitter, + the request).
        let syns = rows(
            &pcap,
            &format!("tcp.flags == 0x002 && ip.dst == {c2} && tcp.dstport == {port}"),
            &["ip.src", "frame.time_epoch"],
        );
        let callers: BTreeSet<String> = syns.iter().map(|f| f[0].clone()).collect();
        let mut want: BTreeSet<String> = agents.iter().cloned().collect();
        want.insert(operator.clone());
        assert_eq!(callers, want, "ares {sub}: who called the C2");
        let interval = num(&m, "hello_interval");
        let jitter = num(&m, "hello_jitter");
        for a in &agents {
            // each connection's start (SYN) and end (first FIN)
            let mut conns: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
            for f in rows(
                &pcap,
                &format!(
                    "(ip.src == {a} || ip.dst == {a}) && tcp.port == {port} && (tcp.flags == 0x002 || tcp.flags.fin == 1)"
                ),
                &["tcp.stream", "frame.time_epoch", "tcp.flags.syn"],
            ) {
                let t: f64 = f[1].parse().unwrap();
                let c = conns.entry(f[0].parse().unwrap()).or_insert((f64::MAX, f64::MAX));
                if f[2] == "1" || f[2] == "True" {
                    c.0 = c.0.min(t);
                } else {
                    c.1 = c.1.min(t);
                }
            }
            let mut conns: Vec<(f64, f64)> = conns.into_values().collect();
            conns.sort_by(|x, y| x.0.total_cmp(&y.0));
            assert!(
                conns.len() >= 5,
                "ares {sub} {a}: {} connections",
                conns.len()
            );
            // The first three are idle polls (the operator watches for at
            // least 2.5 intervals before the first command): the agent
            // sleeps the interval (+- the jitter) between one answer and
            // its next poll.
            for w in conns[..3].windows(2) {
                let g = w[1].0 - w[0].1;
                assert!(
                    g >= interval * (1.0 - jitter) - 0.05 && g <= interval * (1.0 + jitter) + 1.5,
                    "ares {sub} {a}: a poll {g:.2} s after the last answer, interval {interval:.2} s"
                );
            }
        }
        if scheme == "https" {
            // everything to the C2 is TLS, the agents' polls included
            let hellos = rows(
                &pcap,
                &format!("tls.handshake.type == 1 && ip.dst == {c2}"),
                &["ip.src"],
            );
            for a in agents.iter().chain([&operator]) {
                let k = hellos.iter().filter(|f| &f[0] == a).count();
                assert!(k >= 3, "ares {sub} {a}: {k} TLS sessions");
            }
            let http = rows(&pcap, "http.request", &["frame.number"]).len();
            assert_eq!(http, 0, "ares {sub}: HTTP in the clear");
        } else {
            check_http(&run, &m, sub, &agents, &operator);
        }
        if sub == "3" {
            check_mining(&run, &m, &agents);
        }
    }
    assert_eq!(schemes.len(), 2, "the test should see http and https");
    // every run verifies, pcaps included; labels cover every service
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_labels_cover_runs(out.path());
}

/// Over plain HTTP: the hellos, the operator's pushes and the agents'
/// reports, and for the file transfer the objects that crossed the wire.
fn check_http(run: &Path, m: &Manifest, sub: &str, agents: &[String], operator: &str) {
    let pcap = run.join("pcap/c2.pcap");
    let reqs = rows(
        &pcap,
        "http.request",
        &[
            "ip.src",
            "http.request.method",
            "http.request.uri",
            "http.user_agent",
            "http.file_data",
            "urlencoded-form.key",
            "urlencoded-form.value",
        ],
    );
    let ua = match param(m, "agent_user_agent").as_str() {
        "default" => "python-requests/2.28.1".to_string(),
        other => other.to_string(),
    };
    // the operator's session: login, agent list, pushes, console polls
    let op: Vec<&Vec<String>> = reqs.iter().filter(|f| f[0] == operator).collect();
    for f in &op {
        assert_eq!(f[3], param(m, "operator_user_agent"), "ares {sub}: {f:?}");
    }
    for (method, uri) in [("POST", "/login"), ("GET", "/agents"), ("GET", "/logout")] {
        assert!(
            op.iter().any(|f| f[1] == method && f[2] == uri),
            "ares {sub}: no {method} {uri}"
        );
    }
    // what the operator queued for each agent (pushes, mass executions)
    let mut queued: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &op {
        let keys: Vec<&str> = f[5].split(',').collect();
        let values: Vec<&str> = f[6].splitn(keys.len(), ',').collect();
        if f[2].ends_with("/push") {
            let id = f[2].trim_start_matches("/api/").trim_end_matches("/push");
            queued
                .entry(id.to_string())
                .or_default()
                .push(values[0].to_string());
        } else if f[2] == "/api/massexec" {
            let cmd = values[keys.len() - 1].to_string();
            for (k, v) in keys.iter().zip(&values) {
                if *k == "selection" {
                    queued.entry(v.to_string()).or_default().push(cmd.clone());
                }
            }
        }
    }
    assert_eq!(queued.len(), agents.len(), "ares {sub}: {queued:?}");
    for (k, a) in agents.iter().enumerate() {
        let user = param(m, &format!("agent-{}.user", k + 1));
        let mine: Vec<&Vec<String>> = reqs.iter().filter(|f| &f[0] == a).collect();
        let hello = mine
            .iter()
            .find(|f| f[2].ends_with("/hello"))
            .unwrap_or_else(|| panic!("ares {sub} {a}: no hello"));
        let id = hello[2]
            .trim_start_matches("/api/")
            .trim_end_matches("/hello")
            .to_string();
        let (name, mac) = id.rsplit_once('_').unwrap();
        assert!(
            name == user && mac.parse::<u64>().is_ok(),
            "ares {sub}: id {id}"
        );
        let body: serde_json::Value = serde_json::from_str(&hello[4]).unwrap();
        assert_eq!(body["hostname"], format!("agent-{}", k + 1), "ares {sub}");
        assert_eq!(body["username"], user, "ares {sub}");
        assert!(body["platform"].as_str().unwrap().starts_with("Linux "));
        for f in &mine {
            assert_eq!(f[3], ua, "ares {sub}: {f:?}");
        }
        let polls = mine
            .iter()
            .filter(|f| f[1] == "POST" && f[2] == format!("/api/{id}/hello"));
        assert!(polls.count() >= 5, "ares {sub} {a}: too few polls");
        // every command comes back as its echo, then its output
        let reports: Vec<&str> = mine
            .iter()
            .filter(|f| f[2] == format!("/api/{id}/report"))
            .map(|f| f[6].as_str())
            .collect();
        let cmds = &queued[&id];
        assert_eq!(cmds.last().map(String::as_str), Some("exit"), "ares {sub}");
        for cmd in cmds {
            let echo = escaped(&format!("$ {cmd}\n\n"));
            let at = reports
                .iter()
                .position(|r| *r == echo)
                .unwrap_or_else(|| panic!("ares {sub} {a}: no echo of {cmd:?} in {reports:?}"));
            assert!(
                at + 1 < reports.len(),
                "ares {sub} {a}: nothing after {cmd:?}"
            );
        }
        assert!(
            reports.contains(&escaped("[+] Exiting... (bye!)\n\n").as_str()),
            "ares {sub} {a}: no goodbye"
        );
        if sub == "1" {
            let whoami = escaped("$ whoami\n\n");
            if let Some(i) = reports.iter().position(|r| *r == whoami) {
                assert_eq!(reports[i + 1], escaped(&format!("{user}\n\n\n")));
            }
        }
    }
    if sub == "2" {
        check_transfers(run, m, agents, &reqs);
    }
}

/// The exfiltrated documents (one file, or a zip of all) went up as a
/// multipart upload and came back to the operator intact; the tool reached
/// every agent byte for byte and its sha256 came back.
fn check_transfers(run: &Path, m: &Manifest, agents: &[String], reqs: &[Vec<String>]) {
    let objects = tempfile::tempdir().unwrap();
    let o = std::process::Command::new("tshark")
        .args(["-n", "-q", "-r"])
        .arg(run.join("pcap/c2.pcap"))
        .arg("--export-objects")
        .arg(format!("http,{}", objects.path().display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let exported = |name: &str| -> Vec<Vec<u8>> {
        std::fs::read_dir(objects.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| {
                let f = e.file_name().to_string_lossy().to_string();
                f == name || f.starts_with(&format!("{name}("))
            })
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect()
    };
    let docs = files(m, "documents");
    let uploads: Vec<&Vec<String>> = reqs
        .iter()
        .filter(|f| f[1] == "POST" && f[2].ends_with("/upload"))
        .collect();
    assert_eq!(uploads.len(), agents.len(), "ares 2: uploads");
    let zip = format!("{}.zip", param(m, "zip_name"));
    let bodies = exported("upload");
    if param(m, "exfil") == "zip" {
        for got in exported(&zip) {
            assert!(got.starts_with(b"PK\x03\x04"), "ares 2: not a zip");
            for d in &docs {
                assert!(contains(&got, d.as_bytes()), "ares 2: {d} not zipped");
            }
            assert!(bodies.iter().any(|b| contains(b, &got)), "ares 2: upload");
        }
    } else {
        for name in &docs {
            let original = std::fs::read(run.join("data/documents").join(name)).unwrap();
            for got in exported(name) {
                assert!(got == original, "ares 2: {name} changed on the way");
                assert!(bodies.iter().any(|b| contains(b, &original)));
            }
        }
    }
    let fetched = exported(&zip).len() + docs.iter().map(|d| exported(d).len()).sum::<usize>();
    assert_eq!(fetched, agents.len(), "ares 2: the operator's downloads");
    let tool = &files(m, "tool")[0];
    let original = std::fs::read(run.join("data/tool").join(tool)).unwrap();
    let copies = exported(tool);
    assert_eq!(copies.len(), agents.len(), "ares 2: tool downloads");
    assert!(
        copies.iter().all(|c| *c == original),
        "ares 2: the tool changed"
    );
    let sha = hex::encode(Sha256::digest(&original));
    let dest = param(m, "tool_dest");
    let sums = reqs
        .iter()
        .filter(|f| f[2].ends_with("/report") && f[6] == escaped(&format!("{sha}  {dest}\n\n\n")))
        .count();
    assert_eq!(sums, agents.len(), "ares 2: sha256sum reports");
}

/// Each agent's miner logs into the pool with the wallet and gets jobs;
/// its shares are accepted.
fn check_mining(run: &Path, m: &Manifest, agents: &[String]) {
    let pcap = run.join("pcap/pool.pcap");
    let pool = &m.services["pool"].ip;
    let port = param(m, "pool_port");
    let wallet = format!("4{}", param(m, "wallet"));
    for a in agents {
        let sent = streams(&pcap, &format!("ip.src == {a} && tcp.dstport == {port}"));
        let got = streams(&pcap, &format!("ip.src == {pool} && ip.dst == {a}"));
        assert_eq!(sent.len(), 1, "ares 3 {a}: pool sessions");
        let lines = |b: &Vec<u8>| -> Vec<serde_json::Value> {
            String::from_utf8_lossy(b)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let up = lines(sent.values().next().unwrap());
        let down = lines(got.values().next().unwrap());
        assert_eq!(up[0]["method"], "login", "ares 3 {a}");
        assert_eq!(up[0]["params"]["login"], wallet.as_str(), "ares 3 {a}");
        assert_eq!(
            up[0]["params"]["pass"],
            param(m, "rig").as_str(),
            "ares 3 {a}"
        );
        assert!(up[0]["params"]["agent"]
            .as_str()
            .unwrap()
            .starts_with("XMRig/"));
        assert!(down[0]["result"]["job"]["blob"].is_string(), "ares 3 {a}");
        let submits: Vec<&serde_json::Value> =
            up.iter().filter(|l| l["method"] == "submit").collect();
        assert!(!submits.is_empty(), "ares 3 {a}: no shares");
        for s in &submits {
            assert_eq!(s["params"]["nonce"].as_str().unwrap().len(), 8);
            assert_eq!(s["params"]["result"].as_str().unwrap().len(), 64);
        }
        let ok = down
            .iter()
            .filter(|l| l["result"]["status"] == "OK" && l["result"]["job"].is_null())
            .count();
        assert!(ok >= 1, "ares 3 {a}: no share accepted");
        assert!(ok <= submits.len(), "ares 3 {a}: {ok} answers");
    }
}
