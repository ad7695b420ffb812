//! The url-fuzz scenario for real: dirb and wfuzz send hundreds of
//! requests for guessed paths, the web server answers almost all with 404,
//! and the paths planted in the word list come back 200 (pages, files) or
//! 301 (directories); over https the same shows in the server's log.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

const SEED: u64 = 600;

/// The attacker's environment as rendered into compose.yaml.
fn attacker_env(run: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(run.join("compose.yaml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    doc["services"]["attacker"]["environment"]
        .as_object()
        .unwrap()
        .iter()
        // compose.yaml doubles `$` so that compose does not interpolate
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().replace("$$", "$")))
        .collect()
}

/// The planted paths (as the server has them) and the status each must get.
fn planted(env: &BTreeMap<String, String>) -> Vec<(String, &'static str)> {
    let n: usize = env["FUZZ_PLANTED"].parse().unwrap();
    env["FUZZ_PATHS"]
        .split_whitespace()
        .take(n)
        .map(|p| match p.strip_suffix('/') {
            Some(dir) => (dir.to_string(), "301"),
            None => (p.to_string(), "200"),
        })
        .collect()
}

/// The path of a request URI tshark reports (absolute or not).
fn uri_path(uri: &str) -> &str {
    match uri.find("://") {
        Some(i) => uri[i + 3..].find('/').map_or("/", |j| &uri[i + 3 + j..]),
        None => uri,
    }
}

#[test]
fn fuzzers_get_404s_and_find_the_planted_paths() {
    if !docker_required("url-fuzz runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let seed = SEED.to_string();
    let o = detgen(&[
        "run",
        "url-fuzz",
        "--subscenario",
        "all",
        "--seed",
        &seed,
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));

    for sub in ["1", "2", "3", "4", "5"] {
        let run = out.path().join(format!("url-fuzz-{sub}-0"));
        let m = manifest(&run);
        assert_eq!(m.attack_category.as_deref(), Some("web-attack"));
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "url-fuzz {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["attacker"], 0, "url-fuzz {sub}");
        for side in ["attacker", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "url-fuzz {sub} {side}: first TCP packet is not a SYN"
            );
        }
        let env = attacker_env(&run);
        let planted = planted(&env);
        assert!(!planted.is_empty(), "url-fuzz {sub}: nothing planted");
        let size: usize = env["FUZZ_SIZE"].parse().unwrap();
        let pcap = run.join("pcap/attacker.pcap");

        if sub == "5" {
            // https: TLS on the wire, no plaintext HTTP; the server's log
            // shows the scan.
            assert!(
                !tshark(&pcap, "tls.handshake.type == 1", &["frame.number"]).is_empty(),
                "url-fuzz 5: no TLS ClientHello"
            );
            assert!(tshark(&pcap, "http.request", &["frame.number"]).is_empty());
            let records = tshark(&pcap, "tls.app_data", &["frame.number"]);
            assert!(
                records.len() >= size,
                "url-fuzz 5: {} TLS records",
                records.len()
            );
            let log = std::fs::read_to_string(run.join("logs/server.log")).unwrap();
            let not_found = log.lines().filter(|l| l.contains("\" 404 ")).count();
            assert!(
                not_found >= size - planted.len(),
                "url-fuzz 5: {not_found} 404s"
            );
            for (p, code) in &planted {
                let line = format!("/{p} HTTP/1.1\" {code} ");
                assert!(log.contains(&line), "url-fuzz 5: no `{line}` in the log");
            }
            continue;
        }

        // Hundreds of requests, answered almost always with 404.
        let requests = tshark(
            &pcap,
            "http.request",
            &["http.request.method", "http.user_agent"],
        );
        assert!(
            requests.len() >= size && requests.len() >= 100,
            "url-fuzz {sub}: {} requests for {size} words",
            requests.len()
        );
        let responses = tshark(
            &pcap,
            "http.response",
            &["http.response.code", "http.response_for.uri"],
        );
        let codes: Vec<(&str, &str)> = responses
            .iter()
            .map(|l| l.split_once('\t').unwrap())
            .collect();
        let not_found = codes.iter().filter(|(c, _)| *c == "404").count();
        assert!(
            not_found * 100 >= codes.len() * 95,
            "url-fuzz {sub}: {not_found} 404s of {}",
            codes.len()
        );
        // Every planted path got its answer, and nothing else was found
        // (a planted directory may also be entered: /dir/ 200).
        for (p, code) in &planted {
            let want = format!("/{p}");
            assert!(
                codes
                    .iter()
                    .any(|(c, u)| c == code && uri_path(u) == want.as_str()),
                "url-fuzz {sub}: no {code} for {want} in {codes:?}"
            );
        }
        for (c, u) in codes.iter().filter(|(c, _)| *c != "404") {
            let path = uri_path(u).trim_start_matches('/').trim_end_matches('/');
            assert!(
                planted.iter().any(|(p, _)| p == path),
                "url-fuzz {sub}: unexpected {c} for {u}"
            );
        }
        // The drawn user agent and method are on the wire.
        let tool = env["FUZZ_TOOL"].as_str();
        let method = env.get("FUZZ_METHOD").map_or("GET", String::as_str);
        let ua = env["FUZZ_USER_AGENT"].as_str();
        for r in &requests {
            let (m, agent) = r.split_once('\t').unwrap();
            assert_eq!(m, method, "url-fuzz {sub}");
            match (ua, tool) {
                ("default", "dirb") => assert!(agent.contains("MSIE 6.0"), "{agent}"),
                ("default", _) => assert!(agent.starts_with("Wfuzz/"), "{agent}"),
                _ => assert_eq!(agent, ua, "url-fuzz {sub}"),
            }
        }
        // With extensions, every guess for a word carries one of them.
        if let Some(exts) = env.get("FUZZ_EXTENSIONS") {
            let exts: Vec<String> = exts.split(',').map(|e| format!(".{e}")).collect();
            let uris = tshark(&pcap, "http.request", &["http.request.uri"]);
            assert!(
                uris.iter()
                    .all(|u| exts.iter().any(|e| uri_path(u).ends_with(e.as_str()))),
                "url-fuzz {sub}: a request without the extensions {exts:?}"
            );
        }
    }
    // every run verifies, pcaps included; labels cover both ends of all 5
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 5 * 2, "{labels}");
    assert!(labels
        .lines()
        .skip(1)
        .all(|l| l.contains(",malicious,web-attack,")));
}
