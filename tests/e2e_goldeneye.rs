//! The goldeneye scenario for real: the GoldenEye emulation floods the web
//! server over HTTP and over HTTPS; over HTTP every request carries its own
//! random query string, user agents vary, and the keep-alive and no-cache
//! headers GoldenEye sends are there.

mod common;

use std::collections::BTreeSet;

use common::*;

const SEED: &str = "680";

#[test]
fn goldeneye_floods_with_random_queries_and_keep_alive_headers() {
    if !docker_required("goldeneye runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // Runs may last 180 s: on a busy host starting the containers alone can
    // take most of the spec's 60.
    let o = detgen(&[
        "run",
        "goldeneye",
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
    for sub in ["1", "2"] {
        let run = out.path().join(format!("goldeneye-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "goldeneye {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["attacker"], 0, "goldeneye {sub}");
        assert_eq!(m.attack_category.as_deref(), Some("dos"));
        for side in ["attacker", "victim"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "goldeneye {sub} {side}: first TCP packet is not a SYN"
            );
        }
        let a = &m.services["attacker"].ip;
        let v = &m.services["victim"].ip;
        let pcap = run.join("pcap/victim.pcap");
        let port = if sub == "1" { 80 } else { 443 };
        let to_victim = format!("ip.src == {a} && ip.dst == {v} && tcp.dstport == {port}");
        let syns = tshark(
            &pcap,
            &format!("{to_victim} && tcp.flags.syn == 1 && tcp.flags.ack == 0"),
            &["frame.number"],
        )
        .len();
        assert!(syns >= 50, "goldeneye {sub}: only {syns} connections");
        if sub == "2" {
            let hellos = tshark(
                &pcap,
                &format!("{to_victim} && tls.handshake.type == 1"),
                &["frame.number"],
            )
            .len();
            assert!(hellos >= 50, "goldeneye 2: {hellos} ClientHellos");
            let answers = tshark(
                &pcap,
                &format!("ip.src == {v} && tls.app_data"),
                &["frame.number"],
            )
            .len();
            assert!(answers >= 50, "goldeneye 2: {answers} TLS records answered");
            continue;
        }
        // Over HTTP: the requests themselves.
        let requests = tshark(
            &pcap,
            &format!("{to_victim} && http.request"),
            &[
                "http.request.method",
                "http.request.uri",
                "http.user_agent",
                "http.connection",
                "http.cache_control",
            ],
        );
        let n = requests.len();
        assert!(n >= 50, "only {n} requests");
        let page = param(&m, "page");
        let prefix = match param(&m, "target").as_str() {
            "root" => "/?".to_string(),
            "page" => format!("/{page}.html?"),
            _ => format!("/{page}.html?id={}&", param(&m, "query_id")),
        };
        let mut methods = BTreeSet::new();
        let mut uris = BTreeSet::new();
        let mut agents = BTreeSet::new();
        for r in &requests {
            let f: Vec<&str> = r.split('\t').collect();
            assert_eq!(f.len(), 5, "{r}");
            methods.insert(f[0].to_string());
            assert!(
                f[1].starts_with(&prefix),
                "{} does not start with {prefix}",
                f[1]
            );
            assert!(
                f[1][prefix.len()..].contains('='),
                "no random query: {}",
                f[1]
            );
            uris.insert(f[1].to_string());
            agents.insert(f[2].to_string());
            assert_eq!(f[3], "keep-alive", "{r}");
            assert!(f[4] == "no-cache" || f[4] == "max-age=0", "{r}");
        }
        // Random query strings: (nearly) every request asks for its own URL.
        assert!(
            uris.len() * 100 >= n * 95,
            "{} distinct URLs in {n}",
            uris.len()
        );
        assert!(agents.len() >= 5, "user agents: {agents:?}");
        let want: BTreeSet<String> = match param(&m, "method").as_str() {
            "get" => ["GET"].map(String::from).into(),
            "post" => ["POST"].map(String::from).into(),
            _ => ["GET", "POST"].map(String::from).into(),
        };
        assert_eq!(methods, want);
        // Every request announces a Keep-Alive value.
        let keep_alive = tshark(
            &pcap,
            &format!("{to_victim} && http.request && http.request.line contains \"Keep-Alive: \""),
            &["frame.number"],
        )
        .len();
        assert_eq!(keep_alive, n, "requests with a Keep-Alive header");
        let answers = tshark(
            &pcap,
            &format!("ip.src == {v} && http.response"),
            &["frame.number"],
        )
        .len();
        assert!(answers >= 50, "only {answers} responses");
    }
    // every run verifies, pcaps included
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 2 * 2, "{labels}");
}
