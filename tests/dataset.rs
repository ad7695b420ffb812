//! Datasets from crafted captures: merge order, shifts, damaged input,
//! bounded file descriptors, flows, labels, features and verify.
//! No Docker: runs are rendered, then given captures written here.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use common::*;
use detgen::dataset::{self, DatasetManifest, Options, Quiet};
use detgen::manifest::{sha256_file, CaptureRecord, Manifest, RunResults};
use detgen::pcapio::{OutFormat, Reader, Writer};

const SEC: i64 = 1_000_000_000;

/// Timestamped frames of one capture.
type Frames = Vec<(i64, Vec<u8>)>;

/// An Ethernet + IPv4 + TCP frame with a payload of `len` bytes.
fn tcp(src: &str, sp: u16, dst: &str, dp: u16, flags: u8, len: usize) -> Vec<u8> {
    let ip = |s: &str| -> [u8; 4] { s.parse::<std::net::Ipv4Addr>().unwrap().octets() };
    let mut f = vec![0u8; 14 + 20 + 20 + len];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((40 + len) as u16).to_be_bytes());
    f[23] = 6;
    f[26..30].copy_from_slice(&ip(src));
    f[30..34].copy_from_slice(&ip(dst));
    f[34..36].copy_from_slice(&sp.to_be_bytes());
    f[36..38].copy_from_slice(&dp.to_be_bytes());
    f[46] = 0x50;
    f[47] = flags;
    for (i, b) in f[54..].iter_mut().enumerate() {
        *b = (i * 7 + len) as u8;
    }
    f
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

fn write_pcap(path: &Path, packets: &[(i64, Vec<u8>)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = Writer::new(std::io::BufWriter::new(f), OutFormat::Pcap, false).unwrap();
    for (ts, d) in packets {
        w.write(*ts, 1, d.len() as u32, d, None).unwrap();
    }
    w.finish().unwrap();
}

/// A rendered ping run (not run).
fn render_run(root: &Path, seed: u64) -> PathBuf {
    let out = root.join(format!("runs-{seed}"));
    let o = detgen(&[
        "render",
        "ping",
        "--seed",
        &seed.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    out.join("ping-1-0")
}

/// Gives a rendered run captures and results, as if it had run: each
/// capture is (file stem, service, packets).
fn give_captures(run: &Path, captures: &[(&str, &str, Frames)]) -> PathBuf {
    std::fs::create_dir_all(run.join("pcap")).unwrap();
    let mut m = manifest(run);
    let mut records = BTreeMap::new();
    for (stem, service, packets) in captures {
        let rel = format!("pcap/{stem}.pcap");
        write_pcap(&run.join(&rel), packets);
        records.insert(
            stem.to_string(),
            CaptureRecord {
                pcap: rel.clone(),
                service: service.to_string(),
                network: "scenario".into(),
                sha256: sha256_file(&run.join(&rel)).unwrap(),
                linktype: "ETHERNET".into(),
                packets: packets.len() as u64,
                bytes: 0,
                first_timestamp_us: None,
                last_timestamp_us: None,
            },
        );
    }
    m.results = Some(RunResults {
        outcome: "completed".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        wall_seconds: 1.0,
        exit_codes: BTreeMap::new(),
        captures: records,
        wan: None,
        host: None,
    });
    std::fs::write(run.join("manifest.yaml"), m.to_text_with_results()).unwrap();
    run.to_path_buf()
}

fn ips(run: &Path) -> (String, String) {
    let m: Manifest = manifest(run);
    (
        m.services["client"].ip.clone(),
        m.services["server"].ip.clone(),
    )
}

/// A TCP connection: handshake, `n` data segments each way, close; one
/// packet every `step` ns from `t0`.
fn connection(c: &str, s: &str, sport: u16, t0: i64, step: i64, n: usize) -> Vec<(i64, Vec<u8>)> {
    let mut v = vec![
        tcp(c, sport, s, 80, SYN, 0),
        tcp(s, 80, c, sport, SYN | ACK, 0),
        tcp(c, sport, s, 80, ACK, 0),
    ];
    for i in 0..n {
        v.push(tcp(c, sport, s, 80, PSH | ACK, 10 + i));
        v.push(tcp(s, 80, c, sport, PSH | ACK, 100 + i));
    }
    v.push(tcp(c, sport, s, 80, FIN | ACK, 0));
    v.push(tcp(s, 80, c, sport, FIN | ACK, 0));
    v.push(tcp(c, sport, s, 80, ACK, 0));
    v.into_iter()
        .enumerate()
        .map(|(i, f)| (t0 + i as i64 * step, f))
        .collect()
}

fn read_capture(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let mut r = Reader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut v = Vec::new();
    while r.advance().unwrap() {
        let p = r.packet();
        v.push((p.ts_ns, p.data.to_vec()));
    }
    assert_eq!(r.skips.total(), 0, "the dataset itself is clean");
    v
}

fn csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn chunks_merge_in_time_order_and_follow_each_other_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let r1 = render_run(tmp.path(), 11);
    let (c, s) = ips(&r1);
    // Run 1: two connections interleaved across two captures.
    let a = connection(&c, &s, 40000, 1_000 * SEC + 17_000, 3_000_000, 5);
    let b = connection(&c, &s, 40001, 1_000 * SEC + 1_500_000, 3_000_000, 5);
    let r1 = give_captures(
        &r1,
        &[
            ("client", "client", a.clone()),
            ("server", "server", b.clone()),
        ],
    );
    // Run 2, a day later.
    let r2 = render_run(tmp.path(), 12);
    let (c2, s2) = ips(&r2);
    let d = connection(&c2, &s2, 50000, 90_000 * SEC + 123_000, 1_000_000, 3);
    let r2 = give_captures(&r2, &[("client", "client", d.clone())]);

    let out = tmp.path().join("ds");
    let mut opts = Options::new(vec![vec![r1], vec![r2]], out.clone());
    opts.gap_ns = 2_500_000_000;
    opts.packet_labels = true;
    let m = dataset::build(&opts, &Quiet).unwrap();
    let got = read_capture(&out.join("dataset.pcap"));

    let inputs = a.len() + b.len() + d.len();
    assert_eq!(got.len(), inputs);
    assert_eq!(m.totals.packets, inputs as u64);
    assert_eq!(m.totals.input_packets, inputs as u64);
    assert!(
        got.windows(2).all(|w| w[0].0 <= w[1].0),
        "timestamps never go backwards"
    );
    // Chunk 0 keeps its own time; chunk 1 starts 2.5 s after chunk 0 ends.
    let chunk0_end = a.last().unwrap().0.max(b.last().unwrap().0);
    assert_eq!(m.chunks[0].shift_ns, 0);
    assert_eq!(m.chunks[1].first_packet, (a.len() + b.len() + 1) as u64);
    let first1 = &got[a.len() + b.len()];
    assert_eq!(
        first1.0,
        chunk0_end + 2_500_000_000,
        "shift exact to the microsecond"
    );
    assert_eq!(first1.1, d[0].1);
    // Chunk 1 keeps its internal timing.
    for (i, p) in d.iter().enumerate() {
        assert_eq!(got[a.len() + b.len() + i].0 - first1.0, p.0 - d[0].0);
    }

    // Labels: every packet has a row and a flow; flows add up.
    let packets = csv(&out.join("packets.csv"));
    let flows = csv(&out.join("flows.csv"));
    assert_eq!(packets.len(), inputs);
    assert_eq!(flows.len(), 3, "three TCP connections");
    let flow_ids: Vec<&String> = flows.iter().map(|f| &f["flow_id"]).collect();
    assert!(packets.iter().all(|p| flow_ids.contains(&&p["flow_id"])));
    let total: u64 = flows
        .iter()
        .map(|f| {
            f["fwd_packets"].parse::<u64>().unwrap() + f["bwd_packets"].parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(total, inputs as u64);
    let f = flows.iter().find(|f| f["src_port"] == "40000").unwrap();
    assert_eq!(
        (f["src_service"].as_str(), f["dst_service"].as_str()),
        ("client", "server")
    );
    assert_eq!(
        (f["src_role"].as_str(), f["dst_role"].as_str()),
        ("client", "server")
    );
    assert_eq!(
        (
            f["class"].as_str(),
            f["scenario"].as_str(),
            f["protocol"].as_str()
        ),
        ("benign", "ping", "tcp")
    );
    assert_eq!(
        (f["fwd_packets"].as_str(), f["bwd_packets"].as_str()),
        ("9", "7")
    );
    assert_eq!(f["start"], dataset::format_ts(a[0].0, false));

    // The same inputs give the same bytes.
    let again = tmp.path().join("ds-again");
    let mut opts2 = opts.clone();
    opts2.out = again.clone();
    dataset::build(&opts2, &Quiet).unwrap();
    for name in ["dataset.pcap", "flows.csv", "packets.csv", "dataset.yaml"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name} differs between builds"
        );
    }
}

#[test]
fn out_of_order_damaged_and_many_inputs_are_handled_within_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let run = render_run(tmp.path(), 21);
    let (c, s) = ips(&run);
    // 1000 captures of one run, each a connection on its own port; every
    // third file is written in reverse time order.
    let mut caps = Vec::new();
    let mut expected = 0;
    for i in 0..1000u16 {
        let mut conn = connection(
            &c,
            &s,
            20000 + i,
            5_000 * SEC + i64::from(i) * 7_000,
            1_000_000,
            2,
        );
        if i % 3 == 0 {
            conn.reverse();
        }
        expected += conn.len();
        caps.push((format!("client{i}"), conn));
    }
    let refs: Vec<(&str, &str, Frames)> = caps
        .iter()
        .map(|(n, p)| (n.as_str(), "client", p.clone()))
        .collect();
    let run = give_captures(&run, &refs);
    // Damage one file: an impossible record length in its third packet.
    let victim = run.join("pcap/client1.pcap");
    let mut bytes = std::fs::read(&victim).unwrap();
    let first_len = u32::from_le_bytes(bytes[24 + 8..24 + 12].try_into().unwrap()) as usize;
    let second_len = u32::from_le_bytes(
        bytes[24 + 16 + first_len + 8..24 + 16 + first_len + 12]
            .try_into()
            .unwrap(),
    ) as usize;
    let third = 24 + 2 * 16 + first_len + second_len;
    bytes[third + 8..third + 12].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    std::fs::write(&victim, &bytes).unwrap();

    let out = tmp.path().join("ds");
    let mut opts = Options::new(vec![vec![run]], out.clone());
    opts.max_open = 16;
    opts.spill_bytes = 4096;
    let m = dataset::build(&opts, &Quiet).unwrap();
    let got = read_capture(&out.join("dataset.pcap"));
    assert_eq!(
        m.totals.skipped, 1,
        "one damaged packet skipped and counted"
    );
    assert_eq!(m.totals.input_packets, expected as u64 - 1);
    assert_eq!(
        got.len() as u64,
        m.totals.input_packets,
        "every packet read is written"
    );
    assert!(
        got.windows(2).all(|w| w[0].0 <= w[1].0),
        "sorted despite reversed files"
    );
    let unordered = m.inputs[0]
        .captures
        .iter()
        .filter(|c| !c.time_ordered)
        .count();
    assert_eq!(unordered, 334);
    assert_eq!(csv(&out.join("flows.csv")).len(), 1000);
}

#[test]
fn dedupe_drops_the_second_sighting_only() {
    let tmp = tempfile::tempdir().unwrap();
    let run = render_run(tmp.path(), 31);
    let (c, s) = ips(&run);
    let conn = connection(&c, &s, 41000, 7_000 * SEC, 2_000_000, 4);
    // The server sees each packet 40 us later; it also sends one packet
    // the client never sees.
    let mut server: Vec<(i64, Vec<u8>)> =
        conn.iter().map(|(t, f)| (t + 40_000, f.clone())).collect();
    server.push((7_001 * SEC, tcp(&s, 80, &c, 41000, ACK | PSH, 999)));
    let run = give_captures(
        &run,
        &[
            ("client", "client", conn.clone()),
            ("server", "server", server.clone()),
        ],
    );
    let out = tmp.path().join("ds");
    let mut opts = Options::new(vec![vec![run.clone()]], out.clone());
    opts.dedupe_window_ns = Some(1_000_000);
    let m = dataset::build(&opts, &Quiet).unwrap();
    assert_eq!(m.totals.deduplicated, conn.len() as u64);
    assert_eq!(m.totals.packets, conn.len() as u64 + 1);
    let got = read_capture(&out.join("dataset.pcap"));
    assert_eq!(got[0].0, conn[0].0, "the first sighting is kept");
    // A window shorter than the capture offset keeps both copies.
    let mut opts = Options::new(vec![vec![run]], tmp.path().join("ds-narrow"));
    opts.dedupe_window_ns = Some(10_000);
    assert_eq!(
        dataset::build(&opts, &Quiet).unwrap().totals.deduplicated,
        0
    );
}

#[test]
fn flows_end_on_close_and_reopen_idle_time_and_chunk_boundaries() {
    let tmp = tempfile::tempdir().unwrap();
    let run1 = render_run(tmp.path(), 41);
    let (c, s) = ips(&run1);
    let t0 = 9_000 * SEC;
    let mut p = connection(&c, &s, 42000, t0, 1_000_000, 1);
    // The same ports reopened right after the close: a second flow.
    p.extend(connection(&c, &s, 42000, t0 + SEC, 1_000_000, 1));
    // The same TCP ports silent for 200 s (no close): an idle split.
    p.push((t0 + 2 * SEC, tcp(&c, 43000, &s, 80, ACK | PSH, 5)));
    p.push((t0 + 202 * SEC, tcp(&c, 43000, &s, 80, ACK | PSH, 6)));
    let run1 = give_captures(&run1, &[("client", "client", p)]);
    // Chunk 2 continues port 43000 right after the gap: still a new flow.
    let run2 = give_captures(
        &render_run(tmp.path(), 42),
        &[(
            "client",
            "client",
            vec![(t0 + 300 * SEC, tcp(&c, 43000, &s, 80, ACK | PSH, 7))],
        )],
    );
    let out = tmp.path().join("ds");
    let mut opts = Options::new(vec![vec![run1], vec![run2]], out.clone());
    opts.idle_timeout_s = 120.0;
    dataset::build(&opts, &Quiet).unwrap();
    let flows = csv(&out.join("flows.csv"));
    let by_port = |port: &str| flows.iter().filter(|f| f["src_port"] == port).count();
    assert_eq!(by_port("42000"), 2, "close then SYN on the same ports");
    assert_eq!(by_port("43000"), 3, "idle timeout, then the chunk boundary");
    assert_eq!(flows.len(), 5);

    // Features re-derive the same flows and carry the labels.
    let mut buf = Vec::new();
    let n = detgen::features::write(&out, 4, &mut buf).unwrap();
    assert_eq!(n, 5);
    let text = String::from_utf8(buf).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(header.len(), 1 + 7 + 8 + 3 * 4);
    let first = text.lines().nth(1).unwrap();
    assert!(first.contains(",benign,"), "{first}");
    let cols: Vec<&str> = first.split(',').collect();
    let at = |name: &str| cols[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!((at("dir_1"), at("dir_2"), at("size_1")), ("1", "-1", "54"));
    assert_eq!(at("iat_1"), "0.001000000");
}

#[test]
fn pcapng_carries_labels_and_verify_catches_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let run = render_run(tmp.path(), 51);
    let (c, s) = ips(&run);
    let run = give_captures(
        &run,
        &[(
            "client",
            "client",
            connection(&c, &s, 44000, 3_000 * SEC, 500_000, 3),
        )],
    );
    let out = tmp.path().join("ds");
    let o = detgen(&[
        "dataset",
        "build",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "pcapng",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["totals"]["packets"], 12);
    let dm = DatasetManifest::read(&out).unwrap();
    assert_eq!(dm.capture_file(), "dataset.pcapng");

    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok()
    {
        let comments = tshark(&out.join("dataset.pcapng"), "", &["frame.comment"]);
        assert_eq!(comments.len(), 12);
        assert!(
            comments
                .iter()
                .all(|c| c.starts_with("detgen flow=1 run=ping-1-0 capture=client class=benign")),
            "{comments:?}"
        );
    }

    let o = detgen(&["verify", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    // Change one byte of the flows table.
    let flows = out.join("flows.csv");
    let t = std::fs::read_to_string(&flows)
        .unwrap()
        .replacen(",tcp,", ",udp,", 1);
    std::fs::write(&flows, t).unwrap();
    let o = detgen(&["verify", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("hash-mismatch: flows.csv"));
    // Features notice a flows table that no longer matches the capture.
    let t = std::fs::read_to_string(&flows).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    let mut cols: Vec<String> = lines[1].split(',').map(String::from).collect();
    let fwd = lines[0]
        .split(',')
        .position(|h| h == "fwd_packets")
        .unwrap();
    cols[fwd] = "99".into();
    std::fs::write(&flows, format!("{}\n{}\n", lines[0], cols.join(","))).unwrap();
    let o = detgen(&["features", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("changed since it was built"),
        "{}",
        text(&o)
    );
}

#[test]
fn compare_tells_same_from_different_traffic() {
    let tmp = tempfile::tempdir().unwrap();
    let run_a = render_run(tmp.path(), 61);
    let (c, s) = ips(&run_a);
    // Steady 10 ms spacing against 10 ms with a 40 ms step every other packet.
    let steady = |port: u16, t0: i64| connection(&c, &s, port, t0, 10_000_000, 40);
    let run_a = give_captures(&run_a, &[("client", "client", steady(45000, 100 * SEC))]);
    let run_b = give_captures(
        &render_run(tmp.path(), 62),
        &[("client", "client", steady(45001, 200 * SEC))],
    );
    let mut slow = steady(45002, 300 * SEC);
    for (i, p) in slow.iter_mut().enumerate() {
        p.0 += (i as i64 / 2) * 40_000_000;
    }
    let run_c = give_captures(&render_run(tmp.path(), 63), &[("client", "client", slow)]);
    let same = detgen(&[
        "compare",
        run_a.to_str().unwrap(),
        run_b.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    let v: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert!(v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["verdict"] == "same"));
    let diff = detgen(&[
        "compare",
        run_a.to_str().unwrap(),
        run_c.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(diff.status.code(), Some(3), "{}", text(&diff));
    let v: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    let verdict = |m: &str, d: &str| {
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["metric"] == m && t["direction"] == d)
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(verdict("iat", "overall"), "different");
    assert_eq!(verdict("size", "overall"), "same");
}

/// A pcap with any link type, precision and snap length.
fn write_raw_pcap(
    path: &Path,
    linktype: u32,
    nanos: bool,
    snaplen: u32,
    packets: &[(i64, u32, Vec<u8>)],
) {
    let mut b = Vec::new();
    b.extend_from_slice(&(if nanos { 0xa1b2_3c4du32 } else { 0xa1b2_c3d4 }).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&snaplen.to_le_bytes());
    b.extend_from_slice(&linktype.to_le_bytes());
    for (ts, orig, d) in packets {
        let frac = ts % SEC;
        b.extend_from_slice(&((ts / SEC) as u32).to_le_bytes());
        b.extend_from_slice(&((if nanos { frac } else { frac / 1000 }) as u32).to_le_bytes());
        b.extend_from_slice(&(d.len() as u32).to_le_bytes());
        b.extend_from_slice(&orig.to_le_bytes());
        b.extend_from_slice(d);
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn mixed_link_types_precisions_and_snap_lengths() {
    let tmp = tempfile::tempdir().unwrap();
    let run = render_run(tmp.path(), 71);
    let (c, s) = ips(&run);
    let t0 = 4_000 * SEC;
    let eth = connection(&c, &s, 46000, t0, 1_000_000, 2);
    let run = give_captures(
        &run,
        &[
            ("client", "client", eth.clone()),
            ("server", "server", vec![]),
        ],
    );
    // The server's capture: Linux cooked (SLL), nanoseconds, snap length 96,
    // the same frames without their Ethernet header, 250 ns after the client's.
    let sll: Vec<(i64, u32, Vec<u8>)> = eth
        .iter()
        .map(|(t, f)| {
            let mut d = vec![0, 0, 0, 1, 0, 6, 2, 66, 10, 0, 0, 3, 0, 0, 0x08, 0x00];
            d.extend_from_slice(&f[14..]);
            let orig = d.len() as u32;
            d.truncate(96);
            (t + 250, orig, d)
        })
        .collect();
    write_raw_pcap(&run.join("pcap/server.pcap"), 113, true, 96, &sll);

    let out = tmp.path().join("ds-pcap");
    let m = dataset::build(&Options::new(vec![vec![run.clone()]], out.clone()), &Quiet).unwrap();
    assert_eq!(m.totals.packets, 2 * eth.len() as u64);
    let mut r = Reader::new(std::fs::File::open(out.join("dataset.pcap")).unwrap()).unwrap();
    let mut n = 0;
    while r.advance().unwrap() {
        let p = r.packet();
        assert_eq!(p.linktype, 1);
        assert_eq!(
            &p.data[12..14],
            &[0x08, 0x00],
            "an Ethernet header in front of the cooked packet"
        );
        n += 1;
    }
    assert_eq!(n, 2 * eth.len());
    // Both views of a packet are the same flow.
    assert_eq!(csv(&out.join("flows.csv")).len(), 1);

    let out = tmp.path().join("ds-ng");
    let mut opts = Options::new(vec![vec![run]], out.clone());
    opts.format = OutFormat::Pcapng;
    dataset::build(&opts, &Quiet).unwrap();
    let mut r = Reader::new(std::fs::File::open(out.join("dataset.pcapng")).unwrap()).unwrap();
    let mut seen = Vec::new();
    while r.advance().unwrap() {
        let p = r.packet();
        seen.push((p.ts_ns, p.linktype, p.data.len()));
    }
    assert_eq!(seen[0], (t0, 1, 54));
    assert_eq!(
        seen[1],
        (t0 + 250, 113, 16 + 40),
        "link type and nanoseconds kept"
    );
    assert!(
        seen.iter().all(|x| x.2 <= 96 || x.1 == 1),
        "snap length kept"
    );
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok()
    {
        let ng = tshark(&out.join("dataset.pcapng"), "tcp", &["frame.number"]);
        assert_eq!(ng.len(), seen.len(), "tshark dissects both link types");
    }
}
