//! The cryptojacking scenario for real: the victim fetches the page, the
//! loader and the miner from the compromised site, and the miner speaks
//! Stratum to the pool: subscribe, authorize with the drawn login, jobs
//! and difficulties from the pool, shares submitted and accepted - each
//! accepted share really is proof of work (its double SHA-256 meets the
//! target), checked here from the packets; over stratum+ssl nothing of it
//! is readable but the TLS records.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

const SEED: &str = "991";

/// Per TCP stream, the bytes `src` sent to `dst` in sequence order.
fn streams(pcap: &Path, src: &str, dst: &str) -> BTreeMap<u64, Vec<u8>> {
    let mut segs: BTreeMap<u64, BTreeMap<u64, Vec<u8>>> = BTreeMap::new();
    for line in tshark(
        pcap,
        &format!("ip.src == {src} && ip.dst == {dst} && tcp.len > 0"),
        &["tcp.stream", "tcp.seq", "tcp.payload"],
    ) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "{line}");
        let bytes = hex::decode(f[2].replace(':', "")).expect("hex payload");
        segs.entry(f[0].parse().unwrap())
            .or_default()
            .insert(f[1].parse().unwrap(), bytes);
    }
    segs.into_iter()
        .map(|(k, v)| (k, v.into_values().flatten().collect()))
        .collect()
}

/// The JSON lines of a Stratum byte stream.
fn json_lines(bytes: &[u8]) -> Vec<Json> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn sha256d(b: &[u8]) -> Vec<u8> {
    Sha256::digest(Sha256::digest(b)).to_vec()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|_| panic!("not hex: {s}"))
}

fn rev(mut v: Vec<u8>) -> Vec<u8> {
    v.reverse();
    v
}

/// The share's hash as a number (big-endian, as Bitcoin compares it),
/// rebuilt from the job the pool sent and what the miner submitted.
fn share_value(job: &Json, extranonce1: &str, en2: &str, ntime: &str, nonce: &str) -> f64 {
    let p = job.as_array().unwrap();
    let s = |i: usize| p[i].as_str().unwrap().to_string();
    let coinbase = unhex(&format!("{}{extranonce1}{en2}{}", s(2), s(3)));
    let mut root = sha256d(&coinbase);
    for h in p[4].as_array().unwrap() {
        root.extend(unhex(h.as_str().unwrap()));
        root = sha256d(&root);
    }
    let prev: Vec<u8> = unhex(&s(1))
        .chunks(4)
        .flat_map(|w| w.iter().rev().copied().collect::<Vec<_>>())
        .collect();
    let mut header = rev(unhex(&s(5)));
    header.extend(prev);
    header.extend(root);
    header.extend(rev(unhex(ntime)));
    header.extend(rev(unhex(&s(6))));
    header.extend(rev(unhex(nonce)));
    assert_eq!(header.len(), 80);
    rev(sha256d(&header))
        .iter()
        .fold(0.0, |acc, b| acc * 256.0 + *b as f64)
}

/// What one Stratum connection carried.
#[derive(Default, Debug)]
struct Session {
    methods: Vec<String>,
    login: Option<String>,
    agent: Option<String>,
    submits: usize,
    answered: usize,
    accepted: usize,
    notifies: usize,
    clean: usize,
    difficulties: Vec<f64>,
    extranonce1: Option<String>,
}

/// Parse a connection's two directions, and check every accepted share's
/// proof of work against the easiest target the pool announced.
fn session(up: &[u8], down: &[u8]) -> Session {
    let mut s = Session::default();
    let mut submits: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut sent: BTreeMap<i64, String> = BTreeMap::new();
    for msg in json_lines(up) {
        let method = msg["method"].as_str().unwrap().to_string();
        let id = msg["id"].as_i64().unwrap();
        let params = msg["params"].as_array().unwrap();
        match method.as_str() {
            "mining.subscribe" => s.agent = params[0].as_str().map(str::to_string),
            "mining.authorize" => s.login = params[0].as_str().map(str::to_string),
            "mining.submit" => {
                s.submits += 1;
                submits.insert(
                    id,
                    params
                        .iter()
                        .map(|p| p.as_str().unwrap().to_string())
                        .collect(),
                );
            }
            _ => {}
        }
        sent.insert(id, method.clone());
        s.methods.push(method);
    }
    let mut jobs: BTreeMap<String, Json> = BTreeMap::new();
    let mut accepted_ids = Vec::new();
    for msg in json_lines(down) {
        match msg["method"].as_str() {
            Some("mining.notify") => {
                s.notifies += 1;
                let p = msg["params"].clone();
                if p[8].as_bool() == Some(true) {
                    s.clean += 1;
                }
                jobs.insert(p[0].as_str().unwrap().to_string(), p);
            }
            Some("mining.set_difficulty") => {
                s.difficulties.push(msg["params"][0].as_f64().unwrap());
            }
            Some(other) => panic!("unexpected pool method {other}"),
            None => {
                let id = msg["id"].as_i64().unwrap();
                match sent.get(&id).map(String::as_str) {
                    Some("mining.subscribe") => {
                        s.extranonce1 = msg["result"][1].as_str().map(str::to_string);
                    }
                    Some("mining.submit") => {
                        s.answered += 1;
                        if msg["result"] == Json::Bool(true) {
                            s.accepted += 1;
                            accepted_ids.push(id);
                        } else {
                            assert!(msg["error"].is_array(), "{msg}");
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let easiest = s.difficulties.iter().cloned().fold(f64::INFINITY, f64::min);
    let target = 65535.0 * 2f64.powi(208) / easiest;
    let en1 = s.extranonce1.clone().expect("subscribed");
    for id in accepted_ids {
        let p = &submits[&id];
        let job = jobs
            .get(&p[1])
            .unwrap_or_else(|| panic!("accepted share for unknown job {}", p[1]));
        let v = share_value(job, &en1, &p[2], &p[3], &p[4]);
        assert!(v <= target, "share {p:?} is no proof of work");
    }
    s
}

#[test]
fn cryptojacking_miner_submits_real_shares_to_the_pool() {
    if !docker_required("cryptojacking runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // Runs may last 180 s: on a busy host starting the containers alone can
    // take most of the spec's 60.
    let o = detgen(&[
        "run",
        "cryptojacking",
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
    for sub in ["1", "2", "3"] {
        let run = out.path().join(format!("cryptojacking-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "cryptojacking {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["victim"], 0, "cryptojacking {sub}");
        assert_eq!(m.attack_category.as_deref(), Some("cryptojacking"));
        for side in ["victim", "web", "pool"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "cryptojacking {sub} {side}: first TCP packet is not a SYN"
            );
        }
        let v = m.services["victim"].ip.as_str();
        let w = m.services["web"].ip.as_str();
        let p = m.services["pool"].ip.as_str();
        let log = std::fs::read_to_string(run.join("logs/victim.log")).unwrap();
        let totals: Json = serde_json::from_str(
            log.lines()
                .find_map(|l| l.split("victim: miner totals: ").nth(1))
                .expect("miner totals in the victim's log"),
        )
        .unwrap();
        let miner_accepted = totals["accepted"].as_u64().unwrap() as usize;
        assert!(miner_accepted > 0, "cryptojacking {sub}: {totals}");

        // ---- the infection: page, loader, miner, configuration ----
        let web_pcap = run.join("pcap/web.pcap");
        let host = format!("get.{}.example", param(&m, "site"));
        let hidden = param(&m, "hidden_dir");
        let wanted = [
            "/".to_string(),
            "/static/style.css".to_string(),
            param(&m, "page_path"),
            param(&m, "loader_path"),
            format!("{hidden}/{}", param(&m, "miner_file")),
            format!("{hidden}/{}", param(&m, "config_name")),
        ];
        if param(&m, "web_scheme") == "http" {
            let requests = tshark(
                &web_pcap,
                &format!("ip.src == {v} && http.request"),
                &["http.request.uri", "http.user_agent", "http.host"],
            );
            let mut agents: BTreeMap<String, String> = BTreeMap::new();
            for r in &requests {
                let f: Vec<&str> = r.split('\t').collect();
                assert_eq!(f[2], host, "{r}");
                agents.insert(f[0].to_string(), f[1].to_string());
            }
            for uri in &wanted {
                assert!(agents.contains_key(uri), "no GET {uri} in {requests:?}");
            }
            assert_eq!(agents["/"], param(&m, "browser_ua"));
            let tool = if param(&m, "downloader") == "curl" {
                "curl/"
            } else {
                "Wget/"
            };
            for uri in &wanted[3..] {
                assert!(agents[uri].starts_with(tool), "{uri}: {}", agents[uri]);
            }
            let codes = tshark(
                &web_pcap,
                &format!("ip.src == {w} && http.response"),
                &["http.response.code"],
            );
            assert!(codes.len() >= wanted.len() && codes.iter().all(|c| c == "200"));
        } else {
            let hellos = tshark(
                &web_pcap,
                &format!("ip.src == {v} && tls.handshake.type == 1"),
                &["tls.handshake.extensions_server_name"],
            );
            assert!(hellos.len() >= 5, "{hellos:?}");
            assert!(hellos.iter().all(|h| *h == host), "{hellos:?}");
        }

        // ---- mining ----
        let pool_pcap = run.join("pcap/pool.pcap");
        if sub == "3" {
            let port = param(&m, "tls_port");
            let hellos = tshark(
                &pool_pcap,
                &format!("ip.src == {v} && tcp.dstport == {port} && tls.handshake.type == 1"),
                &["tls.handshake.extensions_server_name"],
            );
            assert_eq!(hellos, vec![param(&m, "pool_host")]);
            for (src, dst) in [(v, p), (p, v)] {
                let records = tshark(
                    &pool_pcap,
                    &format!("ip.src == {src} && ip.dst == {dst} && tls.app_data"),
                    &["frame.number"],
                );
                assert!(records.len() >= 3, "cryptojacking 3: {records:?}");
            }
            let clear = tshark(
                &pool_pcap,
                "tcp.payload contains \"mining.\"",
                &["frame.number"],
            );
            assert!(clear.is_empty(), "Stratum in the clear: {clear:?}");
            continue;
        }
        assert!(
            !tshark(
                &pool_pcap,
                &format!("ip.src == {v} && tcp.dstport == 3333 && tcp.payload contains \"mining.submit\""),
                &["frame.number"]
            )
            .is_empty(),
            "cryptojacking {sub}: no mining.submit"
        );
        let up = streams(&pool_pcap, v, p);
        let down = streams(&pool_pcap, p, v);
        let sessions: Vec<Session> = up
            .iter()
            .map(|(k, bytes)| session(bytes, down.get(k).map(Vec::as_slice).unwrap_or(&[])))
            .collect();
        let login = if param(&m, "login_format") == "account.worker" {
            format!("{}.{}", param(&m, "account"), param(&m, "worker"))
        } else {
            let wallet = match param(&m, "wallet_format").as_str() {
                "p2pkh" => format!("1{}", param(&m, "wallet_p2pkh")),
                "p2sh" => format!("3{}", param(&m, "wallet_p2sh")),
                _ => format!("bc1q{}", param(&m, "wallet_bech32")),
            };
            if param(&m, "login_format") == "wallet.worker" {
                format!("{wallet}.{}", param(&m, "worker"))
            } else {
                wallet
            }
        };
        for s in &sessions {
            assert_eq!(s.methods[0], "mining.subscribe", "{sub}: {s:?}");
            assert!(
                s.methods.contains(&"mining.authorize".to_string()),
                "{sub}: {s:?}"
            );
            assert_eq!(s.login.as_deref(), Some(login.as_str()));
            assert_eq!(s.agent.as_deref(), Some(param(&m, "agent").as_str()));
            assert!(
                s.notifies >= 1 && s.clean >= 1 && !s.difficulties.is_empty(),
                "cryptojacking {sub}: {s:?}"
            );
        }
        let submits: usize = sessions.iter().map(|s| s.submits).sum();
        let answered: usize = sessions.iter().map(|s| s.answered).sum();
        let accepted: usize = sessions.iter().map(|s| s.accepted).sum();
        assert!(submits > 0 && accepted > 0, "{sessions:?}");
        assert!(answered + 2 >= submits, "{answered} of {submits} answered");
        assert!(accepted >= miner_accepted, "{accepted} < {miner_accepted}");
        if sub == "2" {
            // the pool restart: a second connection with its own extranonce1
            assert!(sessions.len() >= 2, "{sessions:?}");
            assert_ne!(sessions[0].extranonce1, sessions[1].extranonce1);
            let notifies: usize = sessions.iter().map(|s| s.notifies).sum();
            assert!(notifies >= 4, "only {notifies} jobs");
        }
    }
    // every run verifies, pcaps included
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 3 * 3, "{labels}");
}
