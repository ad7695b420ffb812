//! Fills rendered runs with large synthetic captures, for the dataset
//! benchmark (`scripts/bench-dataset.sh`).
//!
//! Usage: synth_captures MEGABYTES_PER_RUN FILES_PER_RUN RUN_DIR...
//!
//! Each run gets FILES_PER_RUN pcaps of interleaved TCP flows between its
//! client and server addresses, overlapping in time, with packet sizes
//! from a fixed-seed generator, and results in its manifest as if it had
//! run. Deterministic: the same arguments give the same bytes.

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::Path;

use detgen::manifest::{sha256_file, CaptureRecord, Manifest, RunResults};
use detgen::pcapio::{OutFormat, Writer};

/// xorshift64*: enough for sizes and gaps.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn frame(src: [u8; 4], sp: u16, dst: [u8; 4], dp: u16, payload: usize) -> Vec<u8> {
    let mut f = vec![0u8; 54 + payload];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((40 + payload) as u16).to_be_bytes());
    f[23] = 6;
    f[26..30].copy_from_slice(&src);
    f[30..34].copy_from_slice(&dst);
    f[34..36].copy_from_slice(&sp.to_be_bytes());
    f[36..38].copy_from_slice(&dp.to_be_bytes());
    f[46] = 0x50;
    f[47] = 0x18;
    f
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: synth_captures MEGABYTES_PER_RUN FILES_PER_RUN RUN_DIR...");
        std::process::exit(2);
    }
    let mb: u64 = args[0].parse().expect("megabytes");
    let files: u64 = args[1].parse().expect("file count");
    for (r, dir) in args[2..].iter().enumerate() {
        let run = Path::new(dir);
        let (_, mut m) = Manifest::read(run).expect("a rendered run");
        let ip = |s: &str| -> [u8; 4] {
            m.services[s]
                .ip
                .parse::<std::net::Ipv4Addr>()
                .expect("ipv4")
                .octets()
        };
        let (c, s) = (ip("client"), ip("server"));
        std::fs::create_dir_all(run.join("pcap")).expect("pcap dir");
        let mut captures = BTreeMap::new();
        let per_file = mb * 1_000_000 / files;
        for i in 0..files {
            let rel = format!("pcap/synth{i:04}.pcap");
            let path = run.join(&rel);
            let f = std::fs::File::create(&path).expect("create");
            let mut w = Writer::new(BufWriter::with_capacity(1 << 20, f), OutFormat::Pcap, false)
                .expect("header");
            let mut rng = Lcg(0x9e37_79b9_7f4a_7c15 ^ (r as u64) << 32 ^ i);
            let mut ts: i64 = 1_700_000_000_000_000_000 + i as i64 * 1_000_000;
            let (mut written, mut packets) = (0u64, 0u64);
            while written < per_file {
                let flow = (rng.next() % 64) as u16;
                let up = rng.next() % 2 == 0;
                let payload = match rng.next() % 4 {
                    0 => 0,
                    1 => (rng.next() % 200) as usize,
                    _ => 1448,
                };
                let d = if up {
                    frame(c, 30000 + flow, s, 80, payload)
                } else {
                    frame(s, 80, c, 30000 + flow, payload)
                };
                ts += 1_000 + (rng.next() % 50_000) as i64;
                w.write(ts, 1, d.len() as u32, &d, None).expect("write");
                written += 16 + d.len() as u64;
                packets += 1;
            }
            w.finish().expect("flush");
            captures.insert(
                format!("synth{i:04}"),
                CaptureRecord {
                    pcap: rel.clone(),
                    service: "client".into(),
                    network: "scenario".into(),
                    sha256: sha256_file(&path).expect("hash"),
                    linktype: "ETHERNET".into(),
                    packets,
                    bytes: written,
                    first_timestamp_us: None,
                    last_timestamp_us: None,
                },
            );
        }
        m.results = Some(RunResults {
            outcome: "completed".into(),
            started_at: "2023-11-14T22:13:20Z".into(),
            wall_seconds: 0.0,
            exit_codes: BTreeMap::new(),
            captures,
            wan: None,
            host: None,
        });
        std::fs::write(run.join("manifest.yaml"), m.to_text_with_results()).expect("manifest");
    }
}
