//! The wan-wget scenario for real: the drawn sites, user agent and
//! failures are on the wire (HTTP in clear, TLS server names), and a broken
//! download is resumed with a Range request.

mod common;

use std::path::Path;

use common::*;
use detgen::sample::Value;

fn text_param(m: &detgen::manifest::Manifest, name: &str) -> String {
    match &m.parameters[name].value {
        Value::Str(s) => s.clone(),
        v => panic!("{name}: {v:?}"),
    }
}

fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn sites(m: &detgen::manifest::Manifest) -> Vec<String> {
    sorted_unique(
        text_param(m, "visit")
            .split(' ')
            .map(String::from)
            .collect(),
    )
}

#[test]
fn wan_wget_puts_the_drawn_sites_agents_and_failures_on_the_wire() {
    if !docker_required("wan-wget runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "wan-wget",
        "--subscenario",
        "all",
        "--seed",
        "861",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run_of = |sub: &str| out.path().join(format!("wan-wget-{sub}-0"));
    for sub in ["1", "2", "3", "4", "5"] {
        let m = manifest(&run_of(sub));
        let r = m.results.as_ref().unwrap();
        assert_eq!(
            (r.outcome.as_str(), r.exit_codes["client"]),
            ("completed", 0),
            "sub {sub}"
        );
    }
    let pcap = |sub: &str| run_of(sub).join("pcap/client.pcap");
    let snis = |p: &Path| {
        sorted_unique(tshark(
            p,
            "tls.handshake.type == 1",
            &["tls.handshake.extensions_server_name"],
        ))
    };

    // 1, 3: HTTPS to every visited site by name, nothing in clear
    for sub in ["1", "3"] {
        let m = manifest(&run_of(sub));
        assert_eq!(snis(&pcap(sub)), sites(&m), "sub {sub}");
        assert!(tshark(&pcap(sub), "http.request", &["http.host"]).is_empty());
        assert!(first_tcp_is_syn(&pcap(sub)));
    }
    // 2: plain HTTP, each visited site's front page and stylesheet, as the
    // drawn browser
    let m = manifest(&run_of("2"));
    let requests = tshark(
        &pcap("2"),
        "http.request",
        &["http.host", "http.request.uri", "http.user_agent"],
    );
    let agent = text_param(&m, "agent");
    for site in sites(&m) {
        for uri in ["/", "/static/site.css"] {
            let want = format!("{site}\t{uri}\t{agent}");
            assert!(requests.contains(&want), "no `{want}` in {requests:?}");
        }
    }
    // 4: lookups of the missing names fail; the missing page is a 404
    let m = manifest(&run_of("4"));
    let queried = sorted_unique(tshark(
        &pcap("4"),
        "dns.flags.response == 0",
        &["dns.qry.name"],
    ));
    let missing = sorted_unique(
        text_param(&m, "missing")
            .split(' ')
            .map(String::from)
            .collect(),
    );
    assert_eq!(queried, missing);
    let answers = tshark(
        &pcap("4"),
        "http.response",
        &["http.response.code", "http.response_for.uri"],
    );
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(answers[0].starts_with("404\t") && answers[0].contains(&text_param(&m, "page_suffix")));
    // 5: two TLS sessions; the second asks for the rest (206 in the log)
    let hellos = tshark(&pcap("5"), "tls.handshake.type == 1", &["frame.number"]);
    assert_eq!(hellos.len(), 2, "{hellos:?}");
    let log = std::fs::read_to_string(run_of("5").join("logs/web.log")).unwrap();
    assert!(
        log.contains("\"GET /static/download.bin HTTP/1.1\" 206 "),
        "{log}"
    );
}
