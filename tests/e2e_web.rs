//! The nginx and apache scenarios for real (they share their site and
//! clients): all six subscenarios of each run under Docker.
//! Every capture begins with a TCP handshake; the HTTP runs carry requests
//! for the drawn site's paths with the drawn User-Agent (siege: users x
//! repetitions, wget: every path of the site, curl: the drawn 404s and
//! connections), and the HTTPS runs carry TLS ClientHellos to port 443 and
//! no plaintext HTTP at all.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;

fn int(m: &Manifest, name: &str) -> usize {
    param(m, name).parse().unwrap()
}

/// Every URL path of the generated site (make-site.sh's layout): the
/// files are dealt to the drawn sections in turn.
fn site_paths(m: &Manifest) -> BTreeSet<String> {
    let sections: Vec<String> = param(m, "sections")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let Value::Files(files) = &m.parameters["site"].value else {
        panic!("site is not a file set")
    };
    let mut paths: BTreeSet<String> = ["/", "/robots.txt", "/style.css"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    for (i, f) in files.iter().enumerate() {
        let section = &sections[i % sections.len()];
        let stem = f.name.strip_suffix(".txt").unwrap();
        paths.insert(format!("/{section}/"));
        paths.insert(format!("/{section}/{stem}.html"));
        paths.insert(format!("/{section}/{stem}.txt"));
    }
    paths
}

/// The User-Agent each tool sends when the drawn agent is `default`.
fn agent_ok(m: &Manifest, tool: &str, ua: &str) -> bool {
    match param(m, "agent").as_str() {
        "default" => match tool {
            "siege" => ua.contains("Siege/"),
            "wget" => ua.starts_with("Wget/"),
            _ => ua.starts_with("curl/"),
        },
        drawn => ua == drawn,
    }
}

/// Rows of tab-separated fields.
fn rows(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    tshark(pcap, filter, fields)
        .into_iter()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn count(pcap: &Path, filter: &str) -> usize {
    tshark(pcap, filter, &["frame.number"]).len()
}

/// Checks of one plain-HTTP run, on one side's capture.
fn check_http(m: &Manifest, sub: &str, pcap: &Path, what: &str) {
    let site = site_paths(m);
    let requests = rows(
        pcap,
        "http.request",
        &[
            "http.request.method",
            "http.request.uri",
            "http.user_agent",
            "tcp.dstport",
        ],
    );
    assert!(!requests.is_empty(), "{what}: no HTTP request");
    let tool = match sub {
        "1" => "siege",
        "3" => "wget",
        _ => "curl",
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        let (method, uri, ua, port) = (&r[0], &r[1], &r[2], &r[3]);
        assert_eq!(port, "80", "{what}: {r:?}");
        assert!(
            agent_ok(m, tool, ua),
            "{what}: User-Agent {ua:?} is not the drawn one"
        );
        let allowed = if tool == "curl" {
            &["GET", "HEAD"][..]
        } else {
            &["GET"][..]
        };
        assert!(allowed.contains(&method.as_str()), "{what}: {r:?}");
        *seen.entry(uri.clone()).or_default() += 1;
    }
    let uris: BTreeSet<String> = seen.keys().cloned().collect();
    match tool {
        "siege" => {
            assert!(
                uris.is_subset(&site),
                "{what}: {uris:?} not in the site {site:?}"
            );
            assert!(uris.contains("/"), "{what}: {uris:?}");
            // each user makes its repetitions; the parser adds the stylesheet
            let pages: usize = seen
                .iter()
                .filter(|(u, _)| u.as_str() != "/style.css")
                .map(|(_, n)| n)
                .sum();
            let users = int(m, "concurrency") * int(m, "reps");
            assert_eq!(pages, users, "{what}: {seen:?}");
            if param(m, "parser") == "off" {
                assert!(!uris.contains("/style.css"), "{what}: {seen:?}");
            }
            // one connection per request
            let syns = count(pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 0");
            assert_eq!(syns, requests.len(), "{what}: connections");
        }
        "wget" => {
            // the mirror walks every path of the site, once
            assert_eq!(uris, site, "{what}");
            assert!(seen.values().all(|n| *n == 1), "{what}: {seen:?}");
            assert_eq!(requests[0][1], "/", "{what}");
            let syns = count(pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 0");
            if param(m, "keepalive") == "off" {
                assert_eq!(syns, requests.len(), "{what}: connections");
            } else {
                assert_eq!(syns, 1, "{what}: connections");
            }
        }
        _ => {
            let missing = param(m, "missing");
            let misses = int(m, "misses");
            assert_eq!(requests[0][1], "/", "{what}: the session starts at home");
            for u in &uris {
                assert!(
                    site.contains(u) || u.ends_with(&format!("/{missing}.html")),
                    "{what}: {u} is neither in the site nor the drawn miss"
                );
            }
            let codes = tshark(pcap, "http.response", &["http.response.code"]);
            assert_eq!(codes.len(), requests.len(), "{what}: {codes:?}");
            let not_found = codes.iter().filter(|c| *c == "404").count();
            assert_eq!(not_found, misses, "{what}: {codes:?}");
            assert!(
                codes
                    .iter()
                    .all(|c| ["200", "206", "304", "404"].contains(&c.as_str())),
                "{what}: {codes:?}"
            );
            let syns = count(pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 0");
            let want = if param(m, "curl_connection") == "keep-alive" {
                1
            } else {
                requests.len()
            };
            assert_eq!(syns, want, "{what}: connections");
            assert_eq!(requests.len(), int(m, "requests") + misses + 1, "{what}");
        }
    }
}

/// Checks of one HTTPS run, on one side's capture.
fn check_https(m: &Manifest, sub: &str, pcap: &Path, what: &str) {
    let hellos = rows(
        pcap,
        "tls.handshake.type == 1",
        &["tcp.dstport", "tls.handshake.extensions_server_name"],
    );
    assert!(!hellos.is_empty(), "{what}: no TLS ClientHello");
    for h in &hellos {
        assert_eq!(h[0], "443", "{what}: {h:?}");
        assert_eq!(h[1], "server", "{what}: SNI {h:?}");
    }
    assert!(
        count(pcap, "tls.handshake.type == 2") > 0,
        "{what}: no ServerHello"
    );
    assert_eq!(
        count(pcap, "http.request || http.response"),
        0,
        "{what}: plaintext HTTP"
    );
    assert_eq!(
        count(pcap, "tcp.port == 80"),
        0,
        "{what}: traffic to port 80"
    );
    assert!(
        count(pcap, "tls.app_data") > 0,
        "{what}: no application data"
    );
    match sub {
        "2" => {
            // siege opens one TLS connection per request
            let users = int(m, "concurrency") * int(m, "reps");
            assert!(hellos.len() >= users, "{what}: {} hellos", hellos.len());
        }
        "6" => {
            let tls13 = count(
                pcap,
                "tls.handshake.type == 2 && tls.handshake.extensions.supported_version == 0x0304",
            );
            match param(m, "tls_version").as_str() {
                "1.3" => assert!(tls13 > 0, "{what}: TLS 1.3 not negotiated"),
                _ => assert_eq!(tls13, 0, "{what}: TLS 1.3 negotiated"),
            }
            // the client offers h2 only when it asks for HTTP/2
            let h2 = param(m, "http_version") == "2";
            let offered = tshark(
                pcap,
                "tls.handshake.type == 1",
                &["tls.handshake.extensions_alpn_str"],
            );
            let want = if h2 { "h2,http/1.1" } else { "http/1.1" };
            assert!(
                offered.iter().all(|a| a == want),
                "{what}: ALPN {offered:?}"
            );
            // TLS 1.2 shows the server's choice (TLS 1.3 encrypts it);
            // apache's mod_http2 is inactive under the prefork MPM, where
            // apache may choose no protocol at all
            if param(m, "tls_version") == "1.2" {
                let chosen = tshark(
                    pcap,
                    "tls.handshake.type == 2",
                    &["tls.handshake.extensions_alpn_str"],
                );
                let apache = m.scenario == "apache";
                let h2 = h2 && !(apache && param(m, "mpm") == "prefork");
                assert!(
                    chosen.iter().all(|a| if h2 {
                        a == "h2"
                    } else {
                        a == "http/1.1" || (apache && a.is_empty())
                    }),
                    "{what}: ALPN {chosen:?}"
                );
            }
            // one connection per request, or one for all
            let want = if param(m, "curl_connection") == "keep-alive" {
                1
            } else {
                int(m, "requests") + int(m, "misses") + 1
            };
            assert_eq!(hellos.len(), want, "{what}: connections");
        }
        _ => {}
    }
}

#[test]
fn nginx_serves_every_subscenario_from_the_first_packet() {
    serves_every_subscenario_from_the_first_packet("nginx", "510");
}

#[test]
fn apache_serves_every_subscenario_from_the_first_packet() {
    serves_every_subscenario_from_the_first_packet("apache", "530");
}

fn serves_every_subscenario_from_the_first_packet(scenario: &str, seed: &str) {
    if !docker_required(&format!("{scenario} runs")) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        scenario,
        "--subscenario",
        "all",
        "--seed",
        seed,
        "--jobs",
        "3",
        // a run ends when its client exits (5-30 s on an idle host); the
        // wider bound keeps a busy host's slow starts (container start-up,
        // RSA key generation) from failing the test
        "--duration",
        "150",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3", "4", "5", "6"] {
        let run = out.path().join(format!("{scenario}-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "{scenario} {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["client"], 0, "{scenario} {sub}");
        let https = param(&m, "scheme") == "https";
        assert_eq!(https, ["2", "4", "6"].contains(&sub), "{scenario} {sub}");
        for side in ["client", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            let what = format!("{scenario} {sub} {side}");
            assert!(
                first_tcp_is_syn(&pcap),
                "{what}: first TCP packet is not a SYN"
            );
            if https {
                check_https(&m, sub, &pcap, &what);
            } else {
                check_http(&m, sub, &pcap, &what);
            }
        }
    }
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 6 * 2, "{labels}");
}
