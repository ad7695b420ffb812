//! Capture files: reading the pcaps tcpdump wrote and summarising them.
//!
//! Pure file reading: no Docker, no randomness.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result};
use pcap_file::pcap::PcapReader;
use pcap_file::DataLink;

use crate::manifest::{sha256_file, CaptureRecord};

/// One packet: timestamp in microseconds since the epoch and its bytes.
#[derive(Debug, Clone)]
pub struct Packet {
    pub ts_micros: u64,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

pub struct Capture {
    pub linktype: DataLink,
    pub packets: Vec<Packet>,
}

/// Read a whole pcap file.
pub fn read(path: &Path) -> Result<Capture> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = PcapReader::new(BufReader::new(file))
        .with_context(|| format!("{} is not a pcap file", path.display()))?;
    let linktype = reader.header().datalink;
    let mut packets = Vec::new();
    while let Some(p) = reader.next_packet() {
        match p {
            Ok(p) => packets.push(Packet {
                ts_micros: p.timestamp.as_micros() as u64,
                orig_len: p.orig_len,
                data: p.data.into_owned(),
            }),
            // tcpdump stopped mid-write: keep what is complete.
            Err(pcap_file::PcapError::IncompleteBuffer) => break,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(Capture { linktype, packets })
}

/// Summarise a pcap for the labels: hash, link type, counts, time span.
pub fn summarise(run_dir: &Path, rel: &str) -> Result<CaptureRecord> {
    let path = run_dir.join(rel);
    let cap = read(&path)?;
    Ok(CaptureRecord {
        pcap: rel.to_string(),
        sha256: sha256_file(&path)?,
        linktype: format!("{:?}", cap.linktype),
        packets: cap.packets.len() as u64,
        bytes: cap.packets.iter().map(|p| p.orig_len as u64).sum(),
        first_timestamp_us: cap.packets.first().map(|p| p.ts_micros),
        last_timestamp_us: cap.packets.last().map(|p| p.ts_micros),
    })
}
