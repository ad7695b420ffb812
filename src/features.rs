//! Flow features for machine learning, from a built dataset.
//!
//! Re-reads the dataset capture and groups it into flows with the same
//! `flow::Tracker` settings and chunk boundaries that `dataset build`
//! used, so flow ids match `flows.csv` (checked: counts must agree, or the
//! dataset changed since it was built). One CSV row per flow: its labels
//! from `flows.csv`, duration, packets and bytes per direction, mean and
//! standard deviation of inter-arrival times, and the direction, size and
//! inter-arrival time of its first N packets. Reads files only.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::dataset::{DatasetManifest, FLOWS_FILE};
use crate::flow::{dissect, Flow, Tracker};
use crate::label::csv_field;
use crate::pcapio::Reader;

/// Label columns carried over from `flows.csv`.
const LABELS: &[&str] = &[
    "run_id",
    "scenario",
    "subscenario",
    "class",
    "attack_category",
    "src_role",
    "dst_role",
];

struct Known {
    labels: Vec<String>,
    packets: u64,
}

fn csv_split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn read_flows(path: &Path) -> Result<HashMap<u64, Known>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = BufReader::new(f).lines();
    let header = csv_split(&lines.next().transpose()?.unwrap_or_default());
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name}", path.display()))
    };
    let id = col("flow_id")?;
    let fwd = col("fwd_packets")?;
    let bwd = col("bwd_packets")?;
    let labels = LABELS.iter().map(|l| col(l)).collect::<Result<Vec<_>>>()?;
    let mut known = HashMap::new();
    for (n, line) in lines.enumerate() {
        let row = csv_split(&line?);
        let parse = |i: usize| -> Result<u64> {
            row.get(i).and_then(|v| v.parse().ok()).with_context(|| {
                format!(
                    "{}:{}: bad number in column {}",
                    path.display(),
                    n + 2,
                    header[i]
                )
            })
        };
        known.insert(
            parse(id)?,
            Known {
                labels: labels
                    .iter()
                    .map(|&i| row.get(i).cloned().unwrap_or_default())
                    .collect(),
                packets: parse(fwd)? + parse(bwd)?,
            },
        );
    }
    Ok(known)
}

pub fn columns(first_n: usize) -> Vec<String> {
    let mut c: Vec<String> = ["flow_id"]
        .iter()
        .chain(LABELS)
        .map(|s| s.to_string())
        .collect();
    for s in [
        "protocol",
        "duration",
        "fwd_packets",
        "bwd_packets",
        "fwd_bytes",
        "bwd_bytes",
        "iat_mean",
        "iat_std",
    ] {
        c.push(s.into());
    }
    for k in 1..=first_n {
        c.push(format!("dir_{k}"));
        c.push(format!("size_{k}"));
        c.push(format!("iat_{k}"));
    }
    c
}

fn row(f: &Flow, k: &Known, first_n: usize) -> String {
    let mut v: Vec<String> = vec![f.id.to_string()];
    v.extend(k.labels.iter().map(|s| csv_field(s)));
    v.push(f.key.proto.to_string());
    v.push(format!("{:.9}", (f.last_ns - f.first_ns) as f64 / 1e9));
    v.push(f.fwd_packets.to_string());
    v.push(f.bwd_packets.to_string());
    v.push(f.fwd_bytes.to_string());
    v.push(f.bwd_bytes.to_string());
    v.push(format!("{:.9}", f.iat_mean));
    v.push(format!("{:.9}", f.iat_std()));
    for i in 0..first_n {
        match f.head.get(i) {
            Some(&(fwd, size, ts)) => {
                v.push(if fwd { "1" } else { "-1" }.into());
                v.push(size.to_string());
                // The time to the next packet of the flow, if any.
                v.push(match f.head.get(i + 1) {
                    Some(&(_, _, next)) => format!("{:.9}", (next - ts) as f64 / 1e9),
                    None => String::new(),
                });
            }
            None => v.extend([String::new(), String::new(), String::new()]),
        }
    }
    let mut line = v.join(",");
    line.push('\n');
    line
}

/// Writes the features of every flow of the dataset in `dir`; returns
/// the number of flows.
pub fn write(dir: &Path, first_n: usize, out: &mut dyn Write) -> Result<u64> {
    let m = DatasetManifest::read(dir)?;
    let known = read_flows(&dir.join(FLOWS_FILE))?;
    let pcap = dir.join(m.capture_file());
    let f = File::open(&pcap).with_context(|| format!("opening {}", pcap.display()))?;
    let mut r = Reader::new(f).with_context(|| format!("reading {}", pcap.display()))?;
    let mut boundaries: Vec<u64> = m
        .chunks
        .iter()
        .filter(|c| c.packets > 0)
        .map(|c| c.first_packet)
        .collect();
    boundaries.reverse();
    let mut tracker = Tracker::new(m.options.idle_timeout_s, first_n);
    let mut scratch = Vec::new();
    out.write_all(format!("{}\n", columns(first_n).join(",")).as_bytes())?;
    let mut flows = 0u64;
    let mut emit = |fs: Vec<Flow>, out: &mut dyn Write| -> Result<()> {
        for f in fs {
            let Some(k) = known.get(&f.id) else {
                bail!("flow {} is not in {FLOWS_FILE}: the dataset changed since it was built; rebuild it", f.id);
            };
            if k.packets != f.fwd_packets + f.bwd_packets {
                bail!(
                    "flow {} has {} packets in the capture and {} in {FLOWS_FILE}: the dataset changed since it was built; rebuild it",
                    f.id,
                    f.fwd_packets + f.bwd_packets,
                    k.packets
                );
            }
            out.write_all(row(&f, k, first_n).as_bytes())?;
            flows += 1;
        }
        Ok(())
    };
    let mut n = 0u64;
    while r.advance()? {
        n += 1;
        if boundaries.last() == Some(&n) {
            boundaries.pop();
            tracker.end_all();
        }
        let p = r.packet();
        let d = dissect(p.linktype, p.data, &mut scratch);
        tracker.observe(p.ts_ns, p.orig_len.max(p.data.len() as u32), &d, 0);
        let done = tracker.take_finished();
        if !done.is_empty() {
            emit(done, out)?;
        }
    }
    tracker.end_all();
    emit(tracker.take_finished(), out)?;
    if r.skips.total() > 0 {
        bail!(
            "{}: {} damaged packets; the dataset changed since it was built",
            pcap.display(),
            r.skips.total()
        );
    }
    if flows != known.len() as u64 {
        bail!(
            "{} flows in the capture, {} in {FLOWS_FILE}: the dataset changed since it was built; rebuild it",
            flows,
            known.len()
        );
    }
    Ok(flows)
}
