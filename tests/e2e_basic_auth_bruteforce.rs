//! The basic-auth-bruteforce scenario for real: hydra and medusa send one
//! request with an `Authorization: Basic` header per guess, Apache refuses
//! the wrong ones with 401, and only the drawn account gets a 200 (when the
//! lists hold it); over https the same shows in the server's log.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use detgen::sample::Value;

const SEED: u64 = 620;

/// Decode standard base64 (with padding), as in a Basic credential.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= digit(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

fn param(m: &detgen::manifest::Manifest, name: &str) -> String {
    match &m.parameters[name].value {
        Value::Str(s) => s.clone(),
        other => panic!("{name} is {other:?}"),
    }
}

/// The credential ("user:password") of every request with a Basic
/// Authorization header, by frame number.
fn credentials(pcap: &Path) -> BTreeMap<String, String> {
    tshark(
        pcap,
        "http.authorization",
        &["frame.number", "http.authorization"],
    )
    .iter()
    .map(|l| {
        let (frame, auth) = l.split_once('\t').unwrap();
        let b64 = auth
            .strip_prefix("Basic ")
            .unwrap_or_else(|| panic!("not Basic: {auth}"));
        let cred = String::from_utf8(base64_decode(b64).expect("base64")).unwrap();
        (frame.to_string(), cred)
    })
    .collect()
}

#[test]
fn guessers_get_401s_and_only_the_right_credential_gets_in() {
    if !docker_required("basic-auth-bruteforce runs") {
        return;
    }
    assert_eq!(
        base64_decode("YWRtaW46UEBzc3cwcmQ=").unwrap(),
        b"admin:P@ssw0rd"
    );
    let out = tempfile::tempdir().unwrap();
    let seed = SEED.to_string();
    let o = detgen(&[
        "run",
        "basic-auth-bruteforce",
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

    // (subscenario, tool, the right credential is in the lists)
    for (sub, tool, found) in [
        ("1", "hydra", true),
        ("2", "hydra", false),
        ("3", "medusa", true),
        ("4", "medusa", false),
        ("5", "hydra", true),
    ] {
        let run = out.path().join(format!("basic-auth-bruteforce-{sub}-0"));
        let m = manifest(&run);
        assert_eq!(m.attack_category.as_deref(), Some("brute-force"));
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "{sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["attacker"], 0, "{sub}");
        for side in ["attacker", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "{sub} {side}: first TCP packet is not a SYN"
            );
        }
        let user = param(&m, "user");
        let password = match m.parameters.get("miss") {
            Some(_) if param(&m, "miss") == "password" => param(&m, "strong_password"),
            _ => param(&m, "password"),
        };
        let account = format!("{user}:{password}");
        let path = format!("/{}/", param(&m, "auth_path"));
        let pcap = run.join("pcap/attacker.pcap");
        let log = std::fs::read_to_string(run.join("logs/server.log")).unwrap();

        if sub == "5" {
            // https: one TLS connection per guess, no plaintext HTTP; the
            // server's log has the refusals and the one success.
            let hellos = tshark(&pcap, "tls.handshake.type == 1", &["frame.number"]);
            assert!(hellos.len() >= 20, "{sub}: {} ClientHellos", hellos.len());
            assert!(tshark(&pcap, "http.request", &["frame.number"]).is_empty());
            let refused = log.lines().filter(|l| l.contains("\" 401 ")).count();
            assert!(refused >= 20, "{sub}: {refused} 401s in the log");
            let ok = format!(" {user} [");
            assert!(
                log.lines()
                    .any(|l| l.contains(&ok) && l.contains(&format!("{path} HTTP/1.1\" 200 "))),
                "{sub}: no 200 for {user} in the log"
            );
            continue;
        }

        // Many guesses, each with a Basic credential, for the protected path.
        let creds = credentials(&pcap);
        assert!(creds.len() >= 20, "{sub}: {} guesses", creds.len());
        let uris = tshark(&pcap, "http.request", &["http.request.uri"]);
        assert!(
            uris.iter().all(|u| u.ends_with(&path)),
            "{sub}: a request not for {path}"
        );
        let agents = tshark(&pcap, "http.request", &["http.user_agent"]);
        if tool == "hydra" {
            assert!(agents.iter().all(|a| a.contains("Hydra")), "{agents:?}");
        } else if param(&m, "user_agent") != "default" {
            let ua = param(&m, "user_agent");
            assert!(agents.iter().all(|a| *a == ua), "{agents:?}");
        }
        // Many refusals; a 200 exactly for the right credential.
        let responses = tshark(
            &pcap,
            "http.response",
            &["http.response.code", "http.request_in"],
        );
        let refused = responses.iter().filter(|l| l.starts_with("401\t")).count();
        assert!(refused >= 20, "{sub}: {refused} 401s");
        let granted: Vec<&str> = responses
            .iter()
            .filter_map(|l| l.strip_prefix("200\t"))
            .collect();
        if found {
            assert!(!granted.is_empty(), "{sub}: no 200");
            for frame in &granted {
                assert_eq!(
                    creds.get(*frame),
                    Some(&account),
                    "{sub}: 200 for frame {frame}"
                );
            }
            assert!(
                responses
                    .iter()
                    .filter(|l| l.starts_with("401\t"))
                    .all(|l| creds.get(&l[4..]) != Some(&account)),
                "{sub}: the right credential was refused"
            );
        } else {
            assert!(granted.is_empty(), "{sub}: a guess got in: {granted:?}");
            assert!(
                creds.values().all(|c| c != &account),
                "{sub}: the lists held the account"
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
        .all(|l| l.contains(",malicious,brute-force,")));
}
