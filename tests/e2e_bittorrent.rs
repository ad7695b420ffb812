//! The BitTorrent scenario for real: all seven subscenarios run under
//! Docker. The seeder uploads its .torrent to the tracker's site and every
//! active peer announces to opentracker (HTTP, or UDP per BEP 15); the
//! leechers fetch the torrent (or its magnet link) from the site, shake
//! hands with the torrent's info hash and receive the payload in piece
//! messages - over TCP, over uTP, or encrypted so that no BitTorrent
//! message is visible; swarms trade pieces between leechers, magnet
//! leechers fetch the metadata over the extension protocol and run the
//! DHT; the leecher service runs as many copies as the run drew leechers.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;

const SEED: &str = "941";
/// Every client requests 16 KiB blocks.
const BLOCK: u64 = 16384;

/// Bytes of the payload and its file count.
fn payload(m: &Manifest) -> (u64, usize) {
    let Value::Files(files) = &m.parameters["payload"].value else {
        panic!("payload is not a file set")
    };
    (files.iter().map(|f| f.size).sum(), files.len())
}

/// tshark with BitTorrent over uTP dissected as well (its heuristic is off
/// by default).
fn bt(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "--enable-heuristic", "bt_utp_udp", "-r"])
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

/// Sum of a numeric field over the matching packets (lists summed too).
fn sum(pcap: &Path, filter: &str, field: &str) -> u64 {
    bt(pcap, filter, &[field])
        .iter()
        .flat_map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter_map(|v| v.parse::<u64>().ok())
        .sum()
}

/// Piece messages (type 7) in the matching packets.
fn pieces(pcap: &Path, filter: &str) -> usize {
    bt(
        pcap,
        &format!("bittorrent.msg.type == 7 && ({filter})"),
        &["bittorrent.msg.type"],
    )
    .iter()
    .flat_map(|l| l.split(','))
    .filter(|t| *t == "7")
    .count()
}

#[test]
fn bittorrent_subscenarios_share_the_payload_through_the_tracker() {
    if !docker_required("bittorrent runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "bittorrent",
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
    for sub in ["1", "2", "3", "4", "5", "6", "7"] {
        check_run(&out.path().join(format!("bittorrent-{sub}-0")), sub);
    }
    // every run verifies, pcaps included; labels cover every service
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_labels_cover_runs(out.path());
}

fn check_run(run: &Path, sub: &str) {
    let m = manifest(run);
    let results = m.results.as_ref().unwrap();
    assert_eq!(
        results.outcome,
        "completed",
        "bittorrent {sub}\n{}",
        logs_tail(run, 40)
    );
    // one copy of the leecher service per drawn leecher
    let active = param_int(&m, "leechers") as usize;
    let leechers: Vec<String> = (1..=active).map(|k| format!("leecher-{k}")).collect();
    assert_eq!(copies(&m, "leecher"), leechers, "bittorrent {sub}");
    let ip = |s: &str| m.services[s].ip.clone();
    let pcap = |s: &str| run.join(format!("pcap/{s}.pcap"));
    let (total, nfiles) = payload(&m);
    let blocks = total.div_ceil(BLOCK) as usize;
    for l in &leechers {
        assert_eq!(results.exit_codes[l], 0, "bittorrent {sub} {l}");
    }
    let peers: Vec<&str> = std::iter::once("seeder")
        .chain(leechers.iter().map(String::as_str))
        .collect();
    for s in peers.iter().chain(std::iter::once(&"tracker")) {
        assert!(
            first_tcp_is_syn(&pcap(s)),
            "bittorrent {sub} {s}: first TCP packet is not a SYN"
        );
    }

    // ---- the site: upload, then each leecher's visit ----
    let tracker = pcap("tracker");
    let site = tshark(
        &tracker,
        "http.request && tcp.dstport == 80",
        &["ip.src", "http.request.method", "http.request.uri"],
    );
    let upload = format!("{}\tPOST\t/upload", ip("seeder"));
    assert!(site.contains(&upload), "bittorrent {sub}: {site:?}");
    // the info hash, as the site links the torrent's page
    let hash = site
        .iter()
        .find_map(|l| l.split("/torrent/").nth(1))
        .unwrap_or_else(|| panic!("bittorrent {sub}: no torrent page visited: {site:?}"))
        .to_string();
    assert_eq!(hash.len(), 40, "bittorrent {sub}: {hash}");
    let magnet = param(&m, "fetch") == "magnet";
    for l in &leechers {
        let mine: Vec<&String> = site.iter().filter(|s| s.starts_with(&ip(l))).collect();
        for want in ["/".to_string(), format!("/torrent/{hash}")] {
            assert!(
                mine.iter().any(|s| s.ends_with(&format!("\tGET\t{want}"))),
                "bittorrent {sub} {l}: no GET {want}: {mine:?}"
            );
        }
        let fetched = mine.iter().any(|s| s.ends_with(".torrent"));
        assert_eq!(fetched, !magnet, "bittorrent {sub} {l}: .torrent {mine:?}");
    }
    // the metainfo the site served: a folder's `files` list or one `length`
    if !magnet {
        let torrents = tshark(
            &tracker,
            "http.content_type == \"application/x-bittorrent\"",
            &["http.file_data"],
        );
        assert!(!torrents.is_empty(), "bittorrent {sub}: no .torrent served");
        let bencoded = torrents[0].as_str();
        let multi = bencoded.contains("5:files");
        assert_eq!(multi, sub == "3", "bittorrent {sub}: {bencoded:.200}");
        if multi {
            assert!(nfiles >= 2, "bittorrent {sub}: {nfiles} files");
        }
    }

    // ---- announces: HTTP GET /announce or BEP 15 over UDP ----
    let udp = param(&m, "tracker_proto") == "udp";
    let encrypted = param(&m, "encryption") == "required";
    if udp {
        assert!(
            tshark(
                &tracker,
                "http.request.uri contains \"announce\"",
                &["ip.src"]
            )
            .is_empty(),
            "bittorrent {sub}: HTTP announces in the UDP subscenario"
        );
        // a connect request (protocol id 0x41727101980) from every peer
        let connects = tshark(
            &tracker,
            "udp.dstport == 6969 && udp.payload[0:8] == 00:00:04:17:27:10:19:80",
            &["ip.src"],
        );
        for p in &peers {
            assert!(
                connects.contains(&ip(p)),
                "bittorrent {sub}: no UDP connect from {p}: {connects:?}"
            );
        }
    } else {
        let announces = tshark(
            &tracker,
            "http.request.uri contains \"/announce?\"",
            &["ip.src", "http.request.uri"],
        );
        for p in &peers {
            let mine: Vec<&String> = announces.iter().filter(|a| a.starts_with(&ip(p))).collect();
            assert!(
                mine.iter().any(|a| a.contains("event=started")),
                "bittorrent {sub}: no started announce from {p}: {mine:?}"
            );
            // ctorrent gets a few seconds to say goodbye, and is killed
            // when its "stopped" announce takes longer
            let client = match *p {
                "seeder" => param(&m, "seeder_client"),
                l => param(&m, &format!("{l}.client")),
            };
            if *p != "seeder" && client != "ctorrent" {
                assert!(
                    mine.iter().any(|a| a.contains("event=stopped")),
                    "bittorrent {sub}: {p} never announced that it stopped: {mine:?}"
                );
            }
            assert_eq!(
                mine.iter().all(|a| a.contains("requirecrypto=1")),
                encrypted,
                "bittorrent {sub}: {p}'s announces and MSE: {mine:?}"
            );
        }
    }

    // ---- the peer wire ----
    let mut traded = false;
    for l in &leechers {
        let p = pcap(l);
        let me = ip(l);
        if encrypted {
            // MSE/PE: no BitTorrent handshake or message in clear, yet at
            // least the payload came in from the other peers
            let clear = bt(&p, "bittorrent", &["frame.number"]);
            assert!(clear.is_empty(), "bittorrent {sub} {l}: {clear:?}");
            let got = sum(
                &p,
                &format!(
                    "ip.dst == {me} && tcp.len > 0 && !(tcp.srcport == 80 || tcp.srcport == 6969)"
                ),
                "tcp.len",
            );
            assert!(got >= total, "bittorrent {sub} {l}: {got} < {total} bytes");
            continue;
        }
        let hashes: BTreeSet<String> = bt(&p, "bittorrent.info_hash", &["bittorrent.info_hash"])
            .into_iter()
            .collect();
        assert!(
            hashes.len() == 1 && hashes.contains(&hash),
            "bittorrent {sub} {l}: handshakes {hashes:?}, torrent {hash}"
        );
        let received = pieces(&p, &format!("ip.dst == {me}"));
        assert!(
            received >= blocks,
            "bittorrent {sub} {l}: {received} piece messages for {blocks} blocks"
        );
        for other in leechers.iter().filter(|o| *o != l) {
            traded |= pieces(&p, &format!("ip.src == {} && ip.dst == {me}", ip(other))) > 0;
        }
        if sub == "7" {
            // uTP: the data arrives in ST_DATA packets, no peer TCP at all
            let got = sum(
                &p,
                &format!("ip.dst == {me} && bt-utp.type == 0"),
                "bt-utp.len",
            );
            assert!(
                got >= total,
                "bittorrent 7 {l}: {got} < {total} bytes over uTP"
            );
            let tcp_peers = tshark(
                &p,
                "tcp && !(tcp.port == 80 || tcp.port == 6969)",
                &["frame.number"],
            );
            assert!(
                tcp_peers.is_empty(),
                "bittorrent 7 {l}: peer TCP {tcp_peers:?}"
            );
        }
        if magnet {
            // the metadata over the extension protocol, and the DHT
            let ext = bt(&p, "bittorrent.msg.type == 20", &["frame.number"]);
            assert!(
                !ext.is_empty(),
                "bittorrent {sub} {l}: no extended messages"
            );
            let dht = bt(&p, "bt-dht", &["frame.number"]);
            assert!(!dht.is_empty(), "bittorrent {sub} {l}: no DHT traffic");
        }
    }
    if sub == "2" {
        assert!(
            traded,
            "bittorrent 2: no piece went from one leecher to another"
        );
    }
}
