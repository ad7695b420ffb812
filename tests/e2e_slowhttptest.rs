//! The slowhttptest scenario for real: all 8 subscenarios (four attack modes,
//! over HTTP and over HTTPS) run under Docker against Apache, every capture
//! begins with a TCP handshake, and each mode leaves its signature on the
//! wire: unfinished request heads trickling more header lines (slow
//! headers), a large Content-Length with a trickle of body bytes (slow
//! body), a Range header of hundreds of ranges (range), tiny and zero
//! receive windows (slow read). Over HTTPS the same connections are TLS:
//! ClientHellos, data still sent seconds into a connection (slow headers
//! and body), large request records (range), tiny windows (slow read).
//!
//! tshark is slow to start on a busy host, so each capture is read at most
//! twice (its packets, and the attacker's bytes per connection) and the
//! signatures are counted here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;

const SEED: &str = "650";

fn int_param(m: &Manifest, name: &str) -> i64 {
    match &m.parameters[name].value {
        Value::Int(i) => *i,
        v => panic!("{name} is not an integer: {v:?}"),
    }
}

/// One TCP packet as tshark dissects it.
#[derive(Debug)]
struct Pkt {
    src: String,
    stream: u64,
    syn: bool,
    ack: bool,
    rst: bool,
    len: u64,
    /// Seconds since the first packet of its connection.
    rel: f64,
    window: u64,
    client_hello: bool,
    /// Lengths of the TLS application-data records in the packet.
    tls_app: Vec<u64>,
    http_method: String,
    http_code: String,
}

const FIELDS: &[&str] = &[
    "ip.src",
    "tcp.stream",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.reset",
    "tcp.len",
    "tcp.time_relative",
    "tcp.window_size",
    "tls.handshake.type",
    "tls.record.content_type",
    "tls.record.opaque_type",
    "tls.record.length",
    "http.request.method",
    "http.response.code",
];

fn packets(pcap: &Path) -> Vec<Pkt> {
    let flag = |v: &str| v == "1" || v == "True";
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    tshark(pcap, "tcp", FIELDS)
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), FIELDS.len(), "{l}");
            // Content types of TLS 1.2 records and outer types of TLS 1.3
            // ones, in record order, beside the record lengths.
            let mut types = list(f[9]);
            types.extend(list(f[10]));
            let lengths: Vec<u64> = list(f[11]).iter().map(|n| n.parse().unwrap()).collect();
            let tls_app = types
                .iter()
                .zip(&lengths)
                .filter(|(t, _)| t.as_str() == "23")
                .map(|(_, n)| *n)
                .collect();
            Pkt {
                src: f[0].to_string(),
                stream: f[1].parse().unwrap(),
                syn: flag(f[2]),
                ack: flag(f[3]),
                rst: flag(f[4]),
                len: f[5].parse().unwrap(),
                rel: f[6].parse().unwrap(),
                window: f[7].parse().unwrap_or(u64::MAX),
                client_hello: list(f[8]).iter().any(|t| t == "1"),
                tls_app,
                http_method: f[12].to_string(),
                http_code: f[13].to_string(),
            }
        })
        .collect()
}

/// What the attacker sent on each connection, its segments concatenated.
fn attacker_bytes(pcap: &Path, attacker: &str) -> BTreeMap<u64, Vec<u8>> {
    let mut out: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let filter = format!("ip.src == {attacker} && tcp.len > 0");
    for l in tshark(pcap, &filter, &["tcp.stream", "tcp.payload"]) {
        let (s, hex) = l.split_once('\t').unwrap();
        let bytes = out.entry(s.parse().unwrap()).or_default();
        let hex = hex.replace(':', "");
        for i in (0..hex.len()).step_by(2) {
            bytes.push(u8::from_str_radix(&hex[i..i + 2], 16).unwrap());
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn count_streams<'a>(pkts: impl Iterator<Item = &'a Pkt>) -> usize {
    pkts.map(|p| p.stream).collect::<BTreeSet<_>>().len()
}

#[test]
fn slowhttptest_modes_leave_their_signatures_over_http_and_https() {
    if !docker_required("slowhttptest runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // The shortest drawn attack length keeps the test short; the rest is
    // drawn. Runs may last 180 s: on a busy host starting the containers
    // alone can take most of the spec's 60.
    let o = detgen(&[
        "run",
        "slowhttptest",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "4",
        "--duration",
        "180",
        "--set",
        "length=15",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in 1..=8 {
        let run = out.path().join(format!("slowhttptest-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "slowhttptest {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["attacker"], 0, "slowhttptest {sub}");
        assert_eq!(m.class.to_string(), "malicious");
        assert_eq!(m.attack_category.as_deref(), Some("dos"));
        assert!(
            first_tcp_is_syn(&run.join("pcap/attacker.pcap")),
            "slowhttptest {sub} attacker: first TCP packet is not a SYN"
        );
        let a = m.services["attacker"].ip.clone();
        let v = m.services["victim"].ip.clone();
        let pcap = run.join("pcap/victim.pcap");
        let pkts = packets(&pcap);
        let first = &pkts[0];
        assert!(
            first.syn && !first.ack && first.src == a,
            "slowhttptest {sub} victim: first TCP packet is not the attacker's SYN: {first:?}"
        );
        let from_a = || pkts.iter().filter(|p| p.src == a);
        let from_v = || pkts.iter().filter(|p| p.src == v);
        let ctx = format!("slowhttptest {sub} ({})", m.subscenario.name);
        // Many connections: the attack's, and one probe a second.
        let syns = from_a().filter(|p| p.syn && !p.ack).count();
        assert!(syns >= 20, "{ctx}: only {syns} connections");
        // Connections on which the attacker still sends data 2 s after its SYN.
        let late = count_streams(from_a().filter(|p| p.len > 0 && p.rel >= 2.0));
        let https = sub > 4;
        if https {
            let hellos = from_a().filter(|p| p.client_hello).count();
            assert!(hellos >= 20, "{ctx}: {hellos} ClientHellos");
        }
        let page = format!("/{}.html", param(&m, "page"));
        let sent = if https {
            BTreeMap::new()
        } else {
            attacker_bytes(&pcap, &a)
        };
        let heads = |verb: &str| -> Vec<&Vec<u8>> {
            let start = format!("{verb} {page} HTTP/1.1\r\n");
            sent.values()
                .filter(|b| b.starts_with(start.as_bytes()))
                .collect()
        };
        match sub {
            // slow headers: request heads that never end, more header
            // lines trickling in
            1 => {
                let verb = param(&m, "verb");
                let all = heads(&verb);
                let unfinished: Vec<_> = all
                    .iter()
                    .filter(|b| find(b, b"\r\n\r\n").is_none())
                    .collect();
                assert!(
                    unfinished.len() >= 20,
                    "{ctx}: {} unfinished request heads of {}",
                    unfinished.len(),
                    all.len()
                );
                let trickled = unfinished
                    .iter()
                    .filter(|b| b.split(|c| *c == b'\n').count() > 6)
                    .count();
                assert!(trickled >= 20, "{ctx}: {trickled} heads got more lines");
                assert!(late >= 20, "{ctx}: only {late} connections trickle headers");
                let complete = all.len() - unfinished.len();
                assert!(complete < unfinished.len(), "{ctx}: {complete} complete");
            }
            // slow body: POSTs announcing the drawn Content-Length, whose
            // body trickles in and never arrives in full
            2 => {
                let cl = int_param(&m, "content_length") as usize;
                let header = format!("\r\nContent-Length: {cl}\r\n");
                let posts: Vec<_> = heads("POST")
                    .into_iter()
                    .filter(|b| find(b, header.as_bytes()).is_some())
                    .collect();
                assert!(posts.len() >= 20, "{ctx}: {} slow POSTs", posts.len());
                let bodies: Vec<usize> = posts
                    .iter()
                    .map(|b| b.len() - find(b, b"\r\n\r\n").expect("headers end") - 4)
                    .collect();
                assert!(bodies.iter().all(|n| *n < cl), "{ctx}: {bodies:?} of {cl}");
                let trickled = bodies.iter().filter(|n| **n > 0).count();
                assert!(trickled >= 20, "{ctx}: {trickled} bodies begun");
                assert!(
                    late >= 20,
                    "{ctx}: only {late} connections trickle the body"
                );
            }
            // range: Range headers of b+2 overlapping ranges, answered 206
            3 => {
                let (ra, rb) = (int_param(&m, "range_start"), int_param(&m, "range_limit"));
                let verb = param(&m, "verb");
                let head = format!("\r\nRange: bytes=0-,{ra}-0,{ra}-1,{ra}-2,");
                let tail = format!(",{ra}-{rb}\r\n");
                let ranged = heads(&verb)
                    .into_iter()
                    .filter(|b| find(b, head.as_bytes()).is_some())
                    .filter(|b| find(b, tail.as_bytes()).is_some())
                    .count();
                assert!(
                    ranged >= 20,
                    "{ctx}: {ranged} requests with {} ranges",
                    rb + 2
                );
                let partial = from_v().filter(|p| p.http_code == "206").count();
                assert!(partial >= 1, "{ctx}: the victim answered no range request");
            }
            // slow read: complete requests, then tiny and zero windows
            4 | 8 => {
                if sub == 4 {
                    let complete = heads("GET")
                        .into_iter()
                        .filter(|b| find(b, b"\r\n\r\n").is_some())
                        .count();
                    assert!(complete >= 20, "{ctx}: {complete} complete GETs");
                }
                let tiny = count_streams(from_a().filter(|p| !p.syn && p.window <= 2048));
                assert!(tiny >= 20, "{ctx}: {tiny} connections with a tiny window");
                let zero = from_a()
                    .filter(|p| !p.syn && !p.rst && p.window == 0)
                    .count();
                assert!(zero >= 1, "{ctx}: the attacker never closed its window");
            }
            5 | 6 => assert!(
                late >= 20,
                "{ctx}: only {late} TLS connections trickle data"
            ),
            // range over TLS: the request heads of several kB as records
            7 => {
                let big = count_streams(from_a().filter(|p| p.tls_app.iter().any(|n| *n > 1000)));
                assert!(big >= 20, "{ctx}: {big} large TLS requests");
            }
            _ => unreachable!(),
        }
        // tshark dissects HTTP requests (at least the probe's, which are
        // complete) over HTTP.
        if !https {
            let requests = from_a().filter(|p| !p.http_method.is_empty()).count();
            assert!(requests >= 1, "{ctx}: no HTTP request dissected");
        }
    }
    // every run verifies, pcaps included
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 8 * 2, "{labels}");
    assert!(labels.contains(",attacker,") && labels.contains(",victim,"));
}
