//! The Mopidy scenario for real: all five subscenarios run under Docker.
//! mpc's MPD commands reach Mopidy on port 6600 (each connection greeted
//! with "OK MPD"), with the password when there is one; each subscenario's
//! own commands are on the wire (load, next, random or shuffle, pause,
//! stats, search, find...). Mopidy streams MP3 to Icecast as a source
//! (SOURCE with the drawn mount, password and station name), stops
//! sending while paused, reconnects after stops and skips, and the
//! listener GETs the mount with its player's user agent and receives
//! audio/mpeg.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;

const SEED: &str = "950";

fn float(m: &Manifest, name: &str) -> f64 {
    match &m.parameters[name].value {
        Value::Float(f) => *f,
        Value::Int(i) => *i as f64,
        v => panic!("{name} is not a number: {v:?}"),
    }
}

/// tshark with port 8000 (Icecast) dissected as HTTP.
fn ts(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-n",
        "-d",
        "tcp.port==8000,http",
        "-o",
        "http.desegment_body:FALSE",
        "-r",
    ])
    .arg(pcap)
    .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().expect("tshark runs");
    assert!(o.status.success(), "tshark: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The TCP payload of the packets matching a filter, one byte string per
/// TCP stream, in sequence order (retransmissions dropped).
fn streams(pcap: &Path, filter: &str) -> BTreeMap<u64, Vec<u8>> {
    let filter = format!("tcp.len > 0 && ({filter})");
    let mut segs: BTreeMap<(u64, u64), Vec<u8>> = BTreeMap::new();
    for line in tshark(pcap, &filter, &["tcp.stream", "tcp.seq", "tcp.payload"]) {
        let f: Vec<&str> = line.split('\t').collect();
        let hex: String = f[2].chars().filter(|c| c.is_ascii_hexdigit()).collect();
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        segs.entry((f[0].parse().unwrap(), f[1].parse().unwrap()))
            .or_insert(bytes);
    }
    let mut out: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for ((stream, seq), bytes) in segs {
        let data = out.entry(stream).or_default();
        if seq == data.len() as u64 + 1 {
            data.extend(bytes);
        }
    }
    out
}

/// Every line of every stream, as text.
fn lines(streams: &BTreeMap<u64, Vec<u8>>) -> Vec<String> {
    streams
        .values()
        .flat_map(|d| {
            String::from_utf8_lossy(d)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn base64(input: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in input.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn mopidy_subscenarios_control_over_mpd_and_stream_to_icecast() {
    if !docker_required("mopidy runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "mopidy",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "3",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3", "4", "5"] {
        check_run(&out.path().join(format!("mopidy-{sub}-0")), sub);
    }
    // every run verifies, pcaps included; labels cover the four services
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 5 * 4, "{labels}");
}

fn check_run(run: &Path, sub: &str) {
    let m = manifest(run);
    let results = m.results.as_ref().unwrap();
    assert_eq!(
        results.outcome,
        "completed",
        "mopidy {sub}\n{}",
        logs_tail(run, 40)
    );
    for w in ["controller", "listener"] {
        assert_eq!(results.exit_codes[w], 0, "mopidy {sub} {w}");
    }
    let pcap = |s: &str| run.join(format!("pcap/{s}.pcap"));
    for s in ["controller", "listener", "mopidy", "icecast"] {
        assert!(
            first_tcp_is_syn(&pcap(s)),
            "mopidy {sub} {s}: first TCP packet is not a SYN"
        );
    }
    let ip = |s: &str| m.services[s].ip.clone();

    // ---- MPD: mpc's commands and Mopidy's greeting on every connection ----
    let to_mpd = streams(&pcap("controller"), "tcp.dstport == 6600");
    let from_mpd = streams(&pcap("controller"), "tcp.srcport == 6600");
    assert!(
        to_mpd.len() >= 10,
        "mopidy {sub}: {} MPD connections",
        to_mpd.len()
    );
    for (s, data) in &from_mpd {
        assert!(
            data.starts_with(b"OK MPD "),
            "mopidy {sub}: MPD connection {s} not greeted: {:?}",
            String::from_utf8_lossy(&data[..data.len().min(40)])
        );
    }
    let sent = lines(&to_mpd);
    // a command given as `name "` matches any argument, others exactly
    let count = |cmd: &str| {
        sent.iter()
            .filter(|l| {
                if cmd.ends_with(" \"") {
                    l.starts_with(cmd)
                } else {
                    l.as_str() == cmd
                }
            })
            .count()
    };
    let has = |cmd: &str| count(cmd) > 0;
    let mut want = vec![
        "status".to_string(),
        "play".to_string(),
        "stop".to_string(),
        "currentsong".to_string(),
        format!("setvol \"{}\"", param_int(&m, "volume")),
    ];
    if param(&m, "mpd_auth") == "yes" {
        // every connection authenticates first
        let pw = format!("password \"{}\"", param(&m, "mpd_password"));
        for (s, data) in &to_mpd {
            assert!(
                data.starts_with(pw.as_bytes()),
                "mopidy {sub}: connection {s} does not start with the password"
            );
        }
    } else {
        assert!(
            !sent.iter().any(|l| l.starts_with("password")),
            "mopidy {sub}: a password without auth"
        );
    }
    if param(&m, "idle") == "yes" {
        want.push("idle".into());
    }
    match sub {
        "1" => {
            want.extend(["lsinfo \"\"".into(), "load \"".into()]);
            assert_eq!(
                count("next"),
                param_int(&m, "skips") as usize,
                "mopidy 1: {sent:?}"
            );
        }
        "2" => {
            want.extend(["list Artist".into(), "findadd Artist \"".into()]);
            if param(&m, "shuffle") == "random" {
                want.push("random \"1\"".into());
            } else {
                want.push("shuffle".into());
            }
            assert_eq!(
                count("next"),
                param_int(&m, "skips") as usize,
                "mopidy 2: {sent:?}"
            );
        }
        "3" => {
            want.push("load \"".into());
            let cycles = param_int(&m, "cycles") as usize;
            assert_eq!(count("pause \"1\""), cycles, "mopidy 3: {sent:?}");
        }
        "4" => {
            let lists = param_int(&m, "playlists") as usize;
            assert_eq!(count("load \""), lists, "mopidy 4: {sent:?}");
            assert!(count("clear") > lists, "mopidy 4: {sent:?}");
        }
        _ => {
            for c in [
                "stats",
                "outputs",
                "list Album",
                "list Genre",
                "search Artist \"",
            ] {
                want.push(c.into());
            }
            want.extend(["find Artist \"".into(), "findadd Artist \"".into()]);
        }
    }
    for w in &want {
        assert!(has(w), "mopidy {sub}: no `{w}` sent to MPD");
    }

    // ---- the stream: Mopidy is Icecast's source ----
    let mount = format!("/{}{}", param(&m, "mount"), param(&m, "mount_ext"));
    // the request of each source connection (its first segment), and the
    // bytes sent on it
    let to_icecast = format!("ip.dst == {} && tcp.dstport == 8000", ip("icecast"));
    let requests = ts(
        &pcap("mopidy"),
        &format!("{to_icecast} && tcp.payload[0:7] == \"SOURCE \""),
        &["tcp.stream", "tcp.payload"],
    );
    let mut sent_by: BTreeMap<String, usize> = BTreeMap::new();
    for l in ts(&pcap("mopidy"), &to_icecast, &["tcp.stream", "tcp.len"]) {
        let (s, n) = l.split_once('\t').unwrap();
        *sent_by.entry(s.to_string()).or_default() += n.parse::<usize>().unwrap();
    }
    let sources: Vec<(String, String)> = requests
        .iter()
        .map(|l| {
            let (s, hex) = l.split_once('\t').unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (s.to_string(), String::from_utf8_lossy(&bytes).to_string())
        })
        .filter(|(_, head)| head.starts_with(&format!("SOURCE {mount} HTTP/1.0\r\n")))
        .collect();
    assert!(
        !sources.is_empty(),
        "mopidy {sub}: no SOURCE {mount}: {requests:?}"
    );
    let auth = format!(
        "Authorization: Basic {}\r\n",
        base64(format!("source:{}", param(&m, "source_password")).as_bytes())
    );
    let station = format!("ice-name: {}\r\n", param(&m, "station"));
    // libshout first tries without credentials (401), then with them
    for (_, head) in &sources {
        for h in [&station, &"Content-Type: audio/mpeg\r\n".to_string()] {
            assert!(
                head.contains(h.as_str()),
                "mopidy {sub}: no {h:?} in {head:?}"
            );
        }
    }
    let logged_in: Vec<&String> = sources
        .iter()
        .filter(|(_, h)| h.contains(&auth))
        .map(|(s, _)| s)
        .collect();
    assert!(
        !logged_in.is_empty(),
        "mopidy {sub}: no SOURCE with {auth:?}"
    );
    let streamed: usize = logged_in.iter().map(|s| sent_by[*s]).sum();
    assert!(
        streamed > 20_000,
        "mopidy {sub}: {streamed} bytes to Icecast"
    );
    // stops and skips restart the source; pauses leave it silent
    match sub {
        "2" | "4" => assert!(
            logged_in.len() >= 2,
            "mopidy {sub}: the source never restarted"
        ),
        "3" => {
            let pause = float(&m, "pause");
            let times = ts(
                &pcap("mopidy"),
                &format!(
                    "ip.dst == {} && tcp.dstport == 8000 && tcp.len > 100",
                    ip("icecast")
                ),
                &["frame.time_relative", "tcp.stream"],
            );
            // silences within a source connection (metadata updates run on
            // connections of their own, in between)
            let mut gaps = 0;
            let mut last: BTreeMap<String, f64> = BTreeMap::new();
            for t in &times {
                let (at, stream) = t.split_once('\t').unwrap();
                let at: f64 = at.parse().unwrap();
                if let Some(prev) = last.insert(stream.to_string(), at) {
                    if logged_in.contains(&&stream.to_string())
                        && at - prev > (pause * 0.8).max(1.0)
                    {
                        gaps += 1;
                    }
                }
            }
            let cycles = param_int(&m, "cycles");
            assert!(
                gaps >= cycles,
                "mopidy 3: {gaps} silences in the source for {cycles} pauses"
            );
        }
        _ => {}
    }

    // ---- the listener tunes in ----
    let listener = pcap("listener");
    let gets = ts(
        &listener,
        "http.request.method == \"GET\"",
        &["http.request.uri", "http.user_agent", "http.request.line"],
    );
    assert!(!gets.is_empty(), "mopidy {sub}: the listener sent no GET");
    let agent = param(&m, "listener_agent");
    let icy = param(&m, "listener_icy") == "yes";
    for g in &gets {
        let f: Vec<&str> = g.split('\t').collect();
        assert_eq!(f[0], mount, "mopidy {sub}: {g}");
        assert_eq!(f[1], agent, "mopidy {sub}: {g}");
        assert_eq!(f[2].contains("Icy-MetaData: 1"), icy, "mopidy {sub}: {g}");
    }
    let ok = ts(
        &listener,
        "http.response.code == 200",
        &["http.content_type", "http.server"],
    );
    assert!(
        ok.iter().any(|r| r.starts_with("audio/mpeg\tIcecast")),
        "mopidy {sub}: no 200 audio/mpeg from Icecast: {ok:?}"
    );
    let heard: usize = ts(&listener, "tcp.srcport == 8000", &["tcp.len"])
        .iter()
        .map(|n| n.parse::<usize>().unwrap())
        .sum();
    assert!(
        heard > 8_000,
        "mopidy {sub}: the listener heard {heard} bytes"
    );
}
