//! Capture files: reading the pcaps tcpdump wrote and summarising them.
//!
//! Pure file reading: no Docker, no randomness. Packets are streamed, so
//! memory stays bounded whatever the size of a capture.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result};
use pcap_file::pcap::PcapReader;

use crate::manifest::{sha256_file, CaptureRecord};

/// Summarise a pcap for the labels: hash, link type, counts, time span.
pub fn summarise(run_dir: &Path, rel: &str, service: &str, network: &str) -> Result<CaptureRecord> {
    let path = run_dir.join(rel);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = PcapReader::new(BufReader::new(file))
        .with_context(|| format!("{} is not a pcap file", path.display()))?;
    let linktype = reader.header().datalink;
    let (mut packets, mut bytes) = (0u64, 0u64);
    let (mut first, mut last) = (None, None);
    while let Some(p) = reader.next_packet() {
        match p {
            Ok(p) => {
                let ts = p.timestamp.as_micros() as u64;
                first.get_or_insert(ts);
                last = Some(ts);
                packets += 1;
                bytes += u64::from(p.orig_len);
            }
            // tcpdump stopped mid-write: keep what is complete.
            Err(pcap_file::PcapError::IncompleteBuffer) => break,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(CaptureRecord {
        pcap: rel.to_string(),
        service: service.to_string(),
        network: network.to_string(),
        sha256: sha256_file(&path)?,
        linktype: format!("{linktype:?}"),
        packets,
        bytes,
        first_timestamp_us: first,
        last_timestamp_us: last,
    })
}
