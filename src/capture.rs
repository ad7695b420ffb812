//! Capture files: reading the pcaps tcpdump wrote and summarising them.
//!
//! Pure file reading: no Docker, no randomness. Packets are streamed, so
//! memory stays bounded whatever the size of a capture.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};

use crate::manifest::{sha256_file, CaptureRecord};
use crate::pcapio::Reader;

/// The name labels use for a link type.
pub fn linktype_name(linktype: u32) -> String {
    match linktype {
        0 => "NULL".into(),
        1 => "ETHERNET".into(),
        101 => "RAW".into(),
        108 => "LOOP".into(),
        113 => "LINUX_SLL".into(),
        228 => "IPV4".into(),
        229 => "IPV6".into(),
        276 => "LINUX_SLL2".into(),
        n => format!("LINKTYPE_{n}"),
    }
}

/// Summarise a capture for the labels: hash, link type, counts, time span.
/// A record cut short at the end (tcpdump stopped mid-write) is left out.
pub fn summarise(run_dir: &Path, rel: &str, service: &str, network: &str) -> Result<CaptureRecord> {
    let path = run_dir.join(rel);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader =
        Reader::new(file).with_context(|| format!("{} is not a pcap file", path.display()))?;
    let (mut packets, mut bytes) = (0u64, 0u64);
    let (mut first, mut last) = (None, None);
    let mut linktype = None;
    while reader
        .advance()
        .with_context(|| format!("reading {}", path.display()))?
    {
        let p = reader.packet();
        let ts = (p.ts_ns / 1000) as u64;
        first.get_or_insert(ts);
        last = Some(ts);
        linktype.get_or_insert(p.linktype);
        packets += 1;
        bytes += u64::from(p.orig_len);
    }
    let linktype = linktype_name(linktype.unwrap_or_else(|| reader.header_linktype()));
    Ok(CaptureRecord {
        pcap: rel.to_string(),
        service: service.to_string(),
        network: network.to_string(),
        sha256: sha256_file(&path)?,
        linktype,
        packets,
        bytes,
        first_timestamp_us: first,
        last_timestamp_us: last,
    })
}
