//! The `scrapy` scenario for real: the four crawls run under Docker; each
//! capture begins with a TCP handshake, the crawler's requests (on the wire
//! over HTTP, in the server's access log over HTTPS, where the wire shows
//! TLS handshakes naming the sites) are many distinct pages of the allowed
//! sites only, carry the drawn User-Agent and honour robots.txt exactly
//! when the crawler was drawn to obey it; the sitemap crawl reads the
//! sitemap index and the gzipped sitemap.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

const SEED: &str = "900";
/// Scrapy's own User-Agent (the `default` choice).
const SCRAPY_UA: &str = "Scrapy/2.8.0 (+https://scrapy.org)";

/// One request of the crawler: host, path, User-Agent.
type Request = (String, String, String);

/// The requests on the wire (plain HTTP), from the crawler's capture.
fn wire_requests(pcap: &Path) -> Vec<Request> {
    tshark(
        pcap,
        "http.request",
        &["http.host", "http.request.uri", "http.user_agent"],
    )
    .into_iter()
    .map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        (f[0].to_string(), f[1].to_string(), f[2].to_string())
    })
    .collect()
}

/// The requests nginx logged (`ADDR SCHEME://HOST "GET PATH HTTP/1.1"
/// STATUS BYTES "AGENT"`) for a scheme.
fn logged_requests(log: &Path, scheme: &str) -> Vec<Request> {
    let prefix = format!("{scheme}://");
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find(&prefix)? + prefix.len()..];
            let (host, rest) = rest.split_once(" \"")?;
            let (request, rest) = rest.split_once('"')?;
            let path = request.split(' ').nth(1)?.to_string();
            let agent = rest.trim_end().strip_suffix('"')?.split_once(" \"")?.1;
            Some((host.to_string(), path, agent.to_string()))
        })
        .collect()
}

#[test]
fn scrapy_crawls_many_pages_of_the_allowed_sites_with_the_drawn_agent_and_robots_policy() {
    if !docker_required("scrapy runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "scrapy",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut schemes = BTreeSet::new();
    for sub in ["1", "2", "3", "4"] {
        let what = format!("scrapy {sub}");
        let run = out.path().join(format!("scrapy-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "{what}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["crawler"], 0, "{what}");
        let crawler = run.join("pcap/crawler.pcap");
        for side in ["crawler", "web"] {
            assert!(
                first_tcp_is_syn(&run.join(format!("pcap/{side}.pcap"))),
                "{what} {side}: first TCP packet is not a SYN"
            );
        }
        let scheme = param(&m, "scheme");
        schemes.insert(scheme.clone());
        let allowed: BTreeSet<String> = match sub {
            "3" => param(&m, "sitemap_sites")
                .split(' ')
                .map(String::from)
                .collect(),
            "4" => std::iter::once("portal.test".to_string())
                .chain(param(&m, "visit").split(' ').map(String::from))
                .collect(),
            _ => [param(&m, "site")].into_iter().collect(),
        };
        let requests = if scheme == "http" {
            let wire = wire_requests(&crawler);
            assert!(
                tshark(&crawler, "tls.handshake", &["frame.number"]).is_empty(),
                "{what}: TLS over http"
            );
            // Every response the crawler got is on the wire too.
            let codes: BTreeSet<String> =
                tshark(&crawler, "http.response", &["http.response.code"])
                    .into_iter()
                    .collect();
            assert!(codes.contains("200"), "{what}: {codes:?}");
            wire
        } else {
            // HTTPS: TLS handshakes naming the allowed sites, no clear HTTP;
            // the requests themselves are in nginx's log.
            assert!(
                tshark(&crawler, "http.request", &["frame.number"]).is_empty(),
                "{what}: clear HTTP over https"
            );
            let sni: BTreeSet<String> = tshark(
                &crawler,
                "tls.handshake.type == 1",
                &["tls.handshake.extensions_server_name"],
            )
            .into_iter()
            .collect();
            assert!(!sni.is_empty(), "{what}: no TLS ClientHello");
            assert!(
                sni.is_subset(&allowed),
                "{what}: SNI {sni:?} not in {allowed:?}"
            );
            assert!(
                !tshark(&crawler, "tls.handshake.type == 2", &["frame.number"]).is_empty(),
                "{what}: no ServerHello"
            );
            if sub == "2" && param(&m, "tls_method") == "TLSv1.2" {
                let versions = tshark(
                    &crawler,
                    "tls.handshake.type == 2",
                    &["tls.handshake.version"],
                );
                assert!(
                    versions.iter().all(|v| v == "0x0303"),
                    "{what}: {versions:?}"
                );
                assert!(
                    tshark(
                        &crawler,
                        "tls.handshake.extensions.supported_version == 0x0304",
                        &["frame.number"]
                    )
                    .is_empty(),
                    "{what}: TLS 1.3 offered though pinned to 1.2"
                );
            }
            logged_requests(&run.join("logs/web.log"), "https")
        };
        // Many distinct pages, of the allowed sites only.
        let uris: BTreeSet<(String, String)> = requests
            .iter()
            .map(|(h, u, _)| (h.clone(), u.clone()))
            .collect();
        assert!(
            uris.len() >= 10,
            "{what}: only {} distinct requests: {uris:?}",
            uris.len()
        );
        let hosts: BTreeSet<String> = uris.iter().map(|(h, _)| h.clone()).collect();
        assert!(
            hosts.is_subset(&allowed),
            "{what}: hosts {hosts:?} beyond {allowed:?}"
        );
        if sub == "4" {
            assert!(hosts.len() >= 2, "{what}: only {hosts:?}");
        }
        // The drawn User-Agent on every request.
        let drawn = param(&m, "user_agent");
        let want = if drawn == "default" {
            SCRAPY_UA.to_string()
        } else {
            drawn
        };
        assert!(
            requests.iter().all(|(_, _, a)| *a == want),
            "{what}: agents {:?}, want {want}",
            requests
                .iter()
                .map(|r| r.2.clone())
                .collect::<BTreeSet<_>>()
        );
        // robots.txt: fetched (first, on every host) exactly when obeyed,
        // and then nothing it disallows is requested.
        let robots: BTreeSet<String> = requests
            .iter()
            .filter(|(_, u, _)| u == "/robots.txt")
            .map(|(h, _, _)| h.clone())
            .collect();
        let obey = param(&m, "obey_robots") == "yes";
        if obey || sub == "3" {
            assert_eq!(robots, hosts, "{what}: robots.txt not asked of every host");
            for h in &hosts {
                let first = requests.iter().find(|(rh, _, _)| rh == h).unwrap();
                assert_eq!(first.1, "/robots.txt", "{what}: {h} asked first {first:?}");
            }
        } else {
            assert!(
                robots.is_empty(),
                "{what}: robots.txt asked, though ignored"
            );
        }
        if obey {
            let disallow = param(&m, "disallow");
            let bad: Vec<&Request> = requests
                .iter()
                .filter(|(_, u, _)| disallow.split(' ').any(|p| u.starts_with(p)))
                .collect();
            assert!(bad.is_empty(), "{what}: disallowed pages fetched: {bad:?}");
        }
        // The sitemap spider walks the index and every section sitemap,
        // one of them gzipped, and then the pages they list.
        if sub == "3" {
            let paths: BTreeSet<&str> = requests.iter().map(|(_, u, _)| u.as_str()).collect();
            assert!(paths.contains("/sitemap.xml"), "{what}: {paths:?}");
            assert!(
                paths.iter().any(|p| p.ends_with(".xml.gz")),
                "{what}: {paths:?}"
            );
            assert!(
                paths.iter().filter(|p| p.ends_with(".html")).count() >= 5,
                "{what}: {paths:?}"
            );
        }
    }
    assert_eq!(
        schemes,
        ["http", "https"].map(String::from).into(),
        "seed {SEED} covers both schemes"
    );
    // every run verifies, pcaps included; labels cover both services
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 4 * 2, "{labels}");
    assert!(labels.contains(",crawler,client,"), "{labels}");
}
