//! The rtmp scenario for real: all five subscenarios run under Docker.
//! Every capture that uses TCP begins with a handshake; the publisher's
//! RTMP (or RTMPT) stream carries `connect` and `publish` with the drawn
//! stream key and flashVer, then audio and video messages; each drawn
//! viewer sends `play` (live, or the recording from the `vod`
//! application) with its drawn flashVer and receives audio and video
//! messages from the server, or fetches the HLS playlist and MPEG-TS
//! fragments over HTTP with its drawn User-Agent, or tunnels RTMP through
//! HTTP POSTs (/open, /send, /idle, /close, application/x-fcs) to port 80
//! and never touches port 1935; the viewer service runs as many copies as
//! the run drew viewers; every workload (publisher and viewers) exits 0,
//! having checked the frames it received.

mod common;

use std::path::Path;

use common::*;
use detgen::manifest::Manifest;

const SCENARIO: &str = "rtmp";
const SEED: &str = "938";

/// The AMF strings of the RTMP commands `src` sent (tab-free lines, one
/// per message, strings joined by commas).
fn amf_from(pcap: &Path, src: &str) -> Vec<String> {
    tshark(
        pcap,
        &format!("amf.string && ip.src == {src}"),
        &["amf.string"],
    )
}

/// Audio or video messages (`audio`: true for audio) from `src` to `dst`:
/// one value per message in each packet, RTMPT's HTTP bodies included.
fn media(pcap: &Path, src: &str, dst: &str, audio: bool) -> usize {
    let field = if audio {
        "rtmpt.audio.format"
    } else {
        "rtmpt.video.type"
    };
    tshark(
        pcap,
        &format!("{field} && ip.src == {src} && ip.dst == {dst}"),
        &[field],
    )
    .iter()
    .map(|l| l.split(',').count())
    .sum()
}

fn int(m: &Manifest, name: &str) -> usize {
    param(m, name).parse().unwrap()
}

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.split(',').any(|s| s == needle))
}

#[test]
fn rtmp_streams_reach_every_viewer() {
    if !docker_required("rtmp runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        SCENARIO,
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
    let mut modes = Vec::new();
    for sub in ["1", "2", "3", "4", "5"] {
        let run = out.path().join(format!("{SCENARIO}-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "{sub}\n{}",
            logs_tail(&run, 40)
        );
        for (w, code) in &results.exit_codes {
            assert_eq!(*code, 0, "{sub}: {w} failed");
        }
        let ip = |s: &str| m.services[s].ip.clone();
        let server = ip("server");
        let key = param(&m, "key");
        let app = param(&m, "app");
        let tunnel = sub == "5";

        // ---- the publisher ----
        let pcap = run.join("pcap/publisher.pcap");
        assert!(first_tcp_is_syn(&pcap), "{sub}: publisher: no SYN first");
        let sent = amf_from(&pcap, &ip("publisher"));
        assert!(has(&sent, "connect") && has(&sent, &app), "{sub}: {sent:?}");
        assert!(has(&sent, "publish") && has(&sent, &key), "{sub}: {sent:?}");
        let flashver = param(&m, "pub_flashver");
        if !flashver.is_empty() {
            // (a flashVer may hold commas, tshark's separator)
            assert!(
                sent.iter().any(|l| l.contains(&flashver)),
                "{sub}: flashVer {flashver}: {sent:?}"
            );
        }
        let answers = amf_from(&pcap, &server);
        assert!(
            has(&answers, "NetStream.Publish.Start"),
            "{sub}: {answers:?}"
        );
        // at least half the frames of the broadcast, and its sound
        let fps = int(&m, "fps");
        let frames = media(&pcap, &ip("publisher"), &server, false);
        assert!(
            frames >= int(&m, "duration") * fps / 2,
            "{sub}: {frames} video"
        );
        let sounds = media(&pcap, &ip("publisher"), &server, true);
        assert!(sounds >= 20, "{sub}: {sounds} audio");
        let publisher_tunnels = tunnel && param(&m, "pub_proto") == "rtmpt";
        let on_1935 = tshark(&pcap, "tcp.port == 1935", &["frame.number"]);
        assert_eq!(
            on_1935.is_empty(),
            publisher_tunnels,
            "{sub}: publisher port"
        );

        // ---- the viewers ----
        let drawn: usize = param(&m, "viewers").parse().unwrap();
        let viewers: Vec<String> = (1..=drawn).map(|n| format!("viewer-{n}")).collect();
        assert_eq!(copies(&m, "viewer"), viewers, "{sub}: viewers");
        for viewer in &viewers {
            let pcap = run.join(format!("pcap/{viewer}.pcap"));
            assert!(first_tcp_is_syn(&pcap), "{sub}: {viewer}: no SYN first");
            assert!(results.exit_codes.contains_key(viewer), "{sub}: {viewer}");
            let me = ip(viewer);
            let own = |p: &str| param(&m, &format!("{viewer}.{p}"));
            if sub == "3" {
                // HLS: the playlist and fragments over HTTP, no RTMP
                modes.push("hls");
                let uris = tshark(
                    &pcap,
                    &format!("http.request && ip.src == {me}"),
                    &["http.request.uri", "http.user_agent"],
                );
                let ua = own("user_agent");
                assert!(
                    uris.iter().all(|u| u.ends_with(&format!("\t{ua}"))),
                    "{sub} {viewer}: {uris:?}"
                );
                assert!(
                    uris.iter()
                        .any(|u| u.starts_with(&format!("/hls/{key}.m3u8\t"))),
                    "{sub} {viewer}: no playlist request: {uris:?}"
                );
                let fragments = uris
                    .iter()
                    .filter(|u| u.starts_with(&format!("/hls/{key}-")) && u.contains(".ts\t"))
                    .count();
                assert!(fragments >= 2, "{sub} {viewer}: {uris:?}");
                let ok = tshark(
                    &pcap,
                    "(http.response.code == 200 || http.response.code == 206) && http.content_type == \"video/mp2t\"",
                    &["frame.number"],
                );
                assert!(ok.len() >= 2, "{sub} {viewer}: fragments not served");
                assert!(tshark(&pcap, "rtmpt", &["frame.number"]).is_empty());
                continue;
            }
            let sent = amf_from(&pcap, &me);
            assert!(
                has(&sent, "play") && has(&sent, &key),
                "{sub} {viewer}: {sent:?}"
            );
            let fv = own("flashver");
            assert!(
                sent.iter().any(|l| l.contains(&fv)),
                "{sub} {viewer}: flashVer {fv}: {sent:?}"
            );
            let vod = sub == "4" && viewer == "viewer-2";
            let answers = amf_from(&pcap, &server);
            if vod {
                modes.push("vod");
                assert!(
                    has(&sent, "vod"),
                    "{sub} {viewer}: not the vod app: {sent:?}"
                );
                assert!(
                    answers.iter().any(|a| a.contains("Start video on demand")),
                    "{sub} {viewer}: {answers:?}"
                );
            } else {
                modes.push(if tunnel { "rtmpt" } else { "live" });
                assert!(has(&sent, &app), "{sub} {viewer}: {sent:?}");
                assert!(
                    answers.iter().any(|a| a.contains("Start live")),
                    "{sub} {viewer}: {answers:?}"
                );
            }
            // at least half the frames of the time watched (all of the
            // recording for rtmpdump), and sound
            let watched = if vod && own("tool") == "rtmpdump" {
                int(&m, "duration")
            } else {
                own("seconds").parse().unwrap()
            };
            let frames = media(&pcap, &server, &me, false);
            assert!(
                frames >= watched * fps / 2,
                "{sub} {viewer}: {frames} video"
            );
            let sounds = media(&pcap, &server, &me, true);
            assert!(sounds >= 5, "{sub} {viewer}: {sounds} audio");
            let on_1935 = tshark(&pcap, "tcp.port == 1935", &["frame.number"]);
            if tunnel {
                // RTMPT: HTTP POSTs to port 80 only
                assert!(on_1935.is_empty(), "{sub} {viewer}: RTMP on 1935");
                let posts = tshark(
                    &pcap,
                    &format!(
                        "http.request.method == \"POST\" && ip.src == {me} && tcp.dstport == 80"
                    ),
                    &["http.request.uri", "http.content_type"],
                );
                assert!(
                    posts.iter().all(|p| p.ends_with("\tapplication/x-fcs")),
                    "{sub} {viewer}: {posts:?}"
                );
                for cmd in ["/open/1", "/send/", "/idle/", "/close/"] {
                    assert!(
                        posts.iter().any(|p| p.starts_with(cmd)),
                        "{sub} {viewer}: no {cmd}: {posts:?}"
                    );
                }
            } else {
                assert!(!on_1935.is_empty(), "{sub} {viewer}: no RTMP on 1935");
                // no HTTP, but the replay's check that the broadcast is over
                let http = tshark(&pcap, "http.request", &["http.request.uri"]);
                if vod {
                    assert!(
                        !http.is_empty() && http.iter().all(|u| u == "/stat"),
                        "{sub} {viewer}: {http:?}"
                    );
                } else {
                    assert!(http.is_empty(), "{sub} {viewer}: {http:?}");
                }
            }
        }

        // ---- the server saw it all: the publish, and one RTMP play or
        // the HLS requests of each drawn viewer ----
        let pcap = run.join("pcap/server.pcap");
        assert!(first_tcp_is_syn(&pcap), "{sub}: server: no SYN first");
        let all = tshark(&pcap, "amf.string", &["amf.string"]);
        assert!(has(&all, "publish"), "{sub}: server: {all:?}");
        let plays: usize = all
            .iter()
            .map(|l| l.split(',').filter(|s| *s == "play").count())
            .sum();
        if sub == "3" {
            assert_eq!(plays, 0, "{sub}: server: RTMP plays");
            let from: std::collections::BTreeSet<String> =
                tshark(&pcap, "http.request.uri contains \".m3u8\"", &["ip.src"])
                    .into_iter()
                    .collect();
            let expected = viewers.iter().map(|v| ip(v)).collect();
            assert_eq!(from, expected, "{sub}: server: HLS viewers");
        } else {
            assert_eq!(plays, drawn, "{sub}: server: RTMP plays");
        }
    }
    for mode in ["live", "hls", "vod", "rtmpt"] {
        assert!(modes.contains(&mode), "seed {SEED} never ran {mode}");
    }
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
}
