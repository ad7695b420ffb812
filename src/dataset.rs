//! Datasets: the captures of finished runs merged into one labelled
//! capture.
//!
//! Runs are grouped in chunks (runs that ran side by side). Each chunk's
//! captures are merged by timestamp (k-way, streaming), and chunks are
//! shifted so that each starts `gap` after the previous one ends while
//! keeping its own timing. Every packet gets a flow (`flow`), every flow
//! a label from its run's manifest: `flows.csv`, and on request
//! `packets.csv`; pcapng output carries the label as a packet comment.
//! `dataset.yaml` records inputs with sha256, the chunks and their shifts,
//! counts and the outputs' sha256.
//!
//! Bounded resources: a file that is not in time order is sorted through
//! temporary runs of at most `spill_bytes`; more than `max_open` inputs are
//! merged in rounds through temporary files; damaged packets are skipped
//! and counted per capture. Reads run manifests and captures only; draws
//! no random numbers; the output is a function of the inputs and options.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::flow::{dissect, Flow, Tracker};
use crate::label::csv_field;
use crate::manifest::{sha256_file, FileHasher, Manifest};
use crate::pcapio::{OutFormat, Reader, Skips, Writer};

pub const DATASET_MANIFEST: &str = "dataset.yaml";
pub const FLOWS_FILE: &str = "flows.csv";
pub const PACKETS_FILE: &str = "packets.csv";

/// How to build a dataset.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run directories, chunk by chunk.
    pub chunks: Vec<Vec<PathBuf>>,
    pub out: PathBuf,
    /// Silence between one chunk's last packet and the next one's first.
    pub gap_ns: i64,
    /// Dataset time of the first chunk's first packet [default: its own].
    pub start_ns: Option<i64>,
    /// Drop a packet seen again by another capture of the same run within
    /// this window (the two ends of one link).
    pub dedupe_window_ns: Option<i64>,
    pub format: OutFormat,
    /// pcap timestamps in nanoseconds (pcapng always is).
    pub nanos: bool,
    pub packet_labels: bool,
    pub idle_timeout_s: f64,
    pub max_open: usize,
    pub spill_bytes: usize,
}

impl Options {
    pub fn new(chunks: Vec<Vec<PathBuf>>, out: PathBuf) -> Self {
        Options {
            chunks,
            out,
            gap_ns: 1_000_000_000,
            start_ns: None,
            dedupe_window_ns: None,
            format: OutFormat::Pcap,
            nanos: false,
            packet_labels: false,
            idle_timeout_s: 120.0,
            max_open: 256,
            spill_bytes: 64 << 20,
        }
    }
}

/// `dataset.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetManifest {
    pub detgen_version: String,
    pub options: OptionsRecord,
    pub chunks: Vec<ChunkRecord>,
    pub inputs: Vec<InputRun>,
    pub totals: Totals,
    /// sha256 of every output file, by name.
    pub outputs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsRecord {
    pub format: OutFormat,
    /// `us` or `ns`.
    pub precision: String,
    pub gap_ns: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ns: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_window_ns: Option<i64>,
    pub idle_timeout_s: f64,
    pub packet_labels: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkRecord {
    pub index: usize,
    /// Run ids, in input order.
    pub runs: Vec<String>,
    /// Number (1-based, as in Wireshark) of the chunk's first packet in
    /// the dataset; its flows start there.
    pub first_packet: u64,
    pub packets: u64,
    /// Added to every timestamp of the chunk.
    pub shift_ns: i64,
    /// First and last packet, before the shift.
    pub original_start_ns: Option<i64>,
    pub original_end_ns: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputRun {
    pub run_id: String,
    pub path: String,
    pub manifest_sha256: String,
    pub chunk: usize,
    pub scenario: String,
    pub subscenario: String,
    pub class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_category: Option<String>,
    pub captures: Vec<InputCapture>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputCapture {
    pub pcap: String,
    pub service: String,
    pub network: String,
    pub sha256: String,
    /// Packets read (damaged ones not included).
    pub packets: u64,
    pub skipped: Skips,
    pub deduplicated: u64,
    /// Timestamps never went backwards in the file.
    pub time_ordered: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub input_packets: u64,
    pub skipped: u64,
    pub deduplicated: u64,
    pub packets: u64,
    pub flows: u64,
}

/// Progress reports while building (from several threads).
pub trait Progress: Sync {
    fn phase(&self, name: &str, total_bytes: u64);
    fn advance(&self, bytes: u64);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// One capture file of one run: the unit a packet is attributed to.
struct Source {
    run: usize,
    path: PathBuf,
    pcap: String,
    service: String,
    network: String,
    size: u64,
    /// Known not to be in time order: sorted before merging.
    unordered: bool,
    packets: u64,
    skips: Skips,
    sha256: String,
    deduplicated: u64,
}

struct RunInfo {
    manifest: Manifest,
    path: String,
    manifest_sha256: String,
    chunk: usize,
    /// Address -> (service, role).
    hosts: HashMap<String, (String, String)>,
}

fn open_capture(path: &Path) -> Result<Reader<File>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Reader::with_capacity(f, 256 << 10).with_context(|| format!("reading {}", path.display()))
}

/// Reads a run directory's manifest and lists its captures.
fn load_run(
    dir: &Path,
    chunk: usize,
    runs: &mut Vec<RunInfo>,
    sources: &mut Vec<Source>,
) -> Result<()> {
    let (_, manifest) = Manifest::read(dir)?;
    let Some(results) = &manifest.results else {
        bail!(
            "{}: the run has no results (it was rendered but not run); run it with `detgen run` or leave it out",
            dir.display()
        );
    };
    let mut hosts = HashMap::new();
    for (name, svc) in &manifest.services {
        for ip in svc.networks.values().chain(std::iter::once(&svc.ip)) {
            hosts.insert(ip.clone(), (name.clone(), svc.role.clone()));
        }
    }
    let run = runs.len();
    for cap in results.captures.values() {
        let path = dir.join(&cap.pcap);
        let size = std::fs::metadata(&path)
            .with_context(|| {
                format!(
                    "{}: capture listed in the manifest is missing",
                    path.display()
                )
            })?
            .len();
        sources.push(Source {
            run,
            path,
            pcap: cap.pcap.clone(),
            service: cap.service.clone(),
            network: cap.network.clone(),
            size,
            unordered: false,
            packets: 0,
            skips: Skips::default(),
            sha256: cap.sha256.clone(),
            deduplicated: 0,
        });
    }
    runs.push(RunInfo {
        path: dir.display().to_string(),
        manifest_sha256: sha256_file(&dir.join(crate::manifest::MANIFEST_FILE))?,
        manifest,
        chunk,
        hosts,
    });
    Ok(())
}

// ---------------------------------------------------------------------
// Merge inputs: capture files and temporary sorted runs.

const SPILL_MAGIC: &[u8; 8] = b"DGSPILL1";

/// A temporary file of packets in time order, each with its source.
struct SpillWriter {
    w: BufWriter<File>,
}

impl SpillWriter {
    fn create(dir: &Path, n: usize) -> Result<(PathBuf, Self)> {
        let path = dir.join(format!("spill-{n}.bin"));
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        w.write_all(SPILL_MAGIC)?;
        Ok((path, SpillWriter { w }))
    }

    fn write(&mut self, p: &Head<'_>) -> io::Result<()> {
        self.w.write_all(&p.ts_ns.to_le_bytes())?;
        self.w.write_all(&p.source.to_le_bytes())?;
        self.w.write_all(&p.linktype.to_le_bytes())?;
        self.w.write_all(&p.orig_len.to_le_bytes())?;
        self.w.write_all(&(p.data.len() as u32).to_le_bytes())?;
        self.w.write_all(p.data)
    }

    fn finish(mut self) -> io::Result<()> {
        self.w.flush()
    }
}

struct SpillReader {
    r: BufReader<File>,
    ts_ns: i64,
    source: u32,
    linktype: u32,
    orig_len: u32,
    data: Vec<u8>,
}

impl SpillReader {
    fn open(path: &Path) -> Result<Self> {
        let mut r = BufReader::with_capacity(256 << 10, File::open(path)?);
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)?;
        if &magic != SPILL_MAGIC {
            bail!("{}: not a spill file", path.display());
        }
        Ok(SpillReader {
            r,
            ts_ns: 0,
            source: 0,
            linktype: 0,
            orig_len: 0,
            data: Vec::new(),
        })
    }

    fn advance(&mut self) -> io::Result<bool> {
        let mut h = [0u8; 24];
        match self.r.read_exact(&mut h) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        self.ts_ns = i64::from_le_bytes(h[0..8].try_into().expect("8 bytes"));
        self.source = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
        self.linktype = u32::from_le_bytes(h[12..16].try_into().expect("4 bytes"));
        self.orig_len = u32::from_le_bytes(h[16..20].try_into().expect("4 bytes"));
        let len = u32::from_le_bytes(h[20..24].try_into().expect("4 bytes")) as usize;
        self.data.resize(len, 0);
        self.r.read_exact(&mut self.data)?;
        Ok(true)
    }
}

/// A packet at the head of a merge input.
struct Head<'a> {
    ts_ns: i64,
    source: u32,
    linktype: u32,
    orig_len: u32,
    data: &'a [u8],
}

enum Input {
    Capture { r: Reader<File>, source: u32 },
    Spill(SpillReader),
}

impl Input {
    /// The current packet's time, once there is one.
    fn head_ts(&self) -> Option<i64> {
        match self {
            Input::Capture { r, .. } => (r.packets > 0).then(|| r.packet().ts_ns),
            Input::Spill(s) => Some(s.ts_ns),
        }
    }

    fn advance(&mut self) -> io::Result<bool> {
        match self {
            Input::Capture { r, .. } => r.advance(),
            Input::Spill(s) => s.advance(),
        }
    }

    fn head(&self) -> Head<'_> {
        match self {
            Input::Capture { r, source } => {
                let p = r.packet();
                Head {
                    ts_ns: p.ts_ns,
                    source: *source,
                    linktype: p.linktype,
                    orig_len: p.orig_len,
                    data: p.data,
                }
            }
            Input::Spill(s) => Head {
                ts_ns: s.ts_ns,
                source: s.source,
                linktype: s.linktype,
                orig_len: s.orig_len,
                data: &s.data,
            },
        }
    }
}

/// Where a merge input comes from, before it is opened.
enum Planned {
    Capture(u32),
    Spill(PathBuf),
}

fn open_planned(p: &Planned, sources: &[Source]) -> Result<Input> {
    Ok(match p {
        Planned::Capture(s) => Input::Capture {
            r: open_capture(&sources[*s as usize].path)?,
            source: *s,
        },
        Planned::Spill(path) => Input::Spill(SpillReader::open(path)?),
    })
}

/// Captures turned out not to be in time order: the build starts again
/// with them sorted first.
#[derive(Debug)]
struct Disorder(Vec<u32>);

impl std::fmt::Display for Disorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "inputs {:?} are not in time order", self.0)
    }
}

impl std::error::Error for Disorder {}

/// Packets read and skipped per source, filled in as captures end.
type ReadStats = Vec<(u64, Skips)>;

/// Moves an input on; records a capture's counts when it ends, and
/// captures whose time goes backwards.
fn step(input: &mut Input, stats: &mut ReadStats, disordered: &mut Vec<u32>) -> Result<bool> {
    let before = input.head_ts();
    if !input.advance()? {
        if let Input::Capture { r, source } = input {
            stats[*source as usize] = (r.packets, r.skips);
        }
        return Ok(false);
    }
    if let (Input::Capture { source, .. }, Some(t)) = (&*input, before) {
        if input.head().ts_ns < t && !disordered.contains(source) {
            disordered.push(*source);
        }
    }
    Ok(true)
}

/// k-way merge by (timestamp, input position): calls `emit` for every
/// packet in order. A capture found out of order stops the emitting; the
/// merge then only reads on, to find every such capture, and fails with
/// `Disorder`.
fn merge(
    inputs: Vec<Input>,
    stats: &mut ReadStats,
    mut emit: impl FnMut(&Head<'_>) -> Result<()>,
) -> Result<()> {
    let mut inputs = inputs;
    let mut heap = BinaryHeap::with_capacity(inputs.len());
    let mut disordered = Vec::new();
    for (i, input) in inputs.iter_mut().enumerate() {
        if step(input, stats, &mut disordered)? {
            heap.push(Reverse((input.head().ts_ns, i)));
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        if disordered.is_empty() {
            emit(&inputs[i].head())?;
        }
        if step(&mut inputs[i], stats, &mut disordered)? {
            heap.push(Reverse((inputs[i].head().ts_ns, i)));
        }
    }
    if disordered.is_empty() {
        Ok(())
    } else {
        Err(Disorder(disordered).into())
    }
}

/// Sorts a capture that is not in time order into spill files of at most
/// `budget` bytes each (stable: equal timestamps keep file order).
fn sort_capture(
    source: u32,
    s: &Source,
    tmp: &Path,
    budget: usize,
    spills: &mut usize,
    stats: &mut ReadStats,
) -> Result<Vec<PathBuf>> {
    let mut r = open_capture(&s.path)?;
    let mut out = Vec::new();
    let mut arena: Vec<u8> = Vec::new();
    let mut index: Vec<(i64, usize, u32, u32, u32)> = Vec::new(); // ts, offset, len, linktype, orig
    let mut flush =
        |arena: &mut Vec<u8>, index: &mut Vec<(i64, usize, u32, u32, u32)>| -> Result<()> {
            if index.is_empty() {
                return Ok(());
            }
            index.sort_by_key(|e| (e.0, e.1));
            let (path, mut w) = SpillWriter::create(tmp, *spills)?;
            *spills += 1;
            for &(ts_ns, off, len, linktype, orig_len) in index.iter() {
                w.write(&Head {
                    ts_ns,
                    source,
                    linktype,
                    orig_len,
                    data: &arena[off..off + len as usize],
                })?;
            }
            w.finish()?;
            out.push(path);
            arena.clear();
            index.clear();
            Ok(())
        };
    while r.advance()? {
        let p = r.packet();
        index.push((
            p.ts_ns,
            arena.len(),
            p.data.len() as u32,
            p.linktype,
            p.orig_len,
        ));
        arena.extend_from_slice(p.data);
        if arena.len() >= budget {
            flush(&mut arena, &mut index)?;
        }
    }
    flush(&mut arena, &mut index)?;
    stats[source as usize] = (r.packets, r.skips);
    Ok(out)
}

/// Brings a chunk's inputs down to `max_open` by merging groups of them
/// into spill files.
fn reduce(
    mut planned: Vec<Planned>,
    sources: &[Source],
    tmp: &Path,
    max_open: usize,
    spills: &mut usize,
    stats: &mut ReadStats,
) -> Result<Vec<Planned>> {
    let max_open = max_open.max(2);
    while planned.len() > max_open {
        let mut next = Vec::new();
        let mut rest = planned.into_iter().peekable();
        while rest.peek().is_some() {
            let group: Vec<Planned> = rest.by_ref().take(max_open).collect();
            if group.len() == 1 {
                next.extend(group);
                continue;
            }
            let inputs = group
                .iter()
                .map(|p| open_planned(p, sources))
                .collect::<Result<Vec<_>>>()?;
            let (path, mut w) = SpillWriter::create(tmp, *spills)?;
            *spills += 1;
            merge(inputs, stats, |h| Ok(w.write(h)?))?;
            w.finish()?;
            for p in group {
                if let Planned::Spill(old) = p {
                    let _ = std::fs::remove_file(old);
                }
            }
            next.push(Planned::Spill(path));
        }
        planned = next;
    }
    Ok(planned)
}

// ---------------------------------------------------------------------
// Output.

/// An output file written and hashed on two background threads (the
/// hash is the slowest part of a build: it gets a core of its own), so
/// the merge only fills buffers.
struct HashedOutput {
    buf: Vec<u8>,
    tx: Vec<std::sync::mpsc::SyncSender<Arc<Vec<u8>>>>,
    writer: Option<std::thread::JoinHandle<io::Result<()>>>,
    hasher: Option<std::thread::JoinHandle<String>>,
}

const OUT_BUF: usize = 1 << 20;

impl HashedOutput {
    fn create(path: &Path) -> Result<Self> {
        let mut file =
            File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let (write_tx, write_rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(8);
        let (hash_tx, hash_rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(8);
        let writer = std::thread::spawn(move || {
            for block in write_rx {
                file.write_all(&block)?;
            }
            file.flush()
        });
        let hasher = std::thread::spawn(move || {
            let mut h = FileHasher::new();
            for block in hash_rx {
                h.update(&block);
            }
            h.hex()
        });
        Ok(HashedOutput {
            buf: Vec::with_capacity(OUT_BUF),
            tx: vec![write_tx, hash_tx],
            writer: Some(writer),
            hasher: Some(hasher),
        })
    }

    fn send(&mut self) -> io::Result<()> {
        let block = Arc::new(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(OUT_BUF),
        ));
        if !self.tx.is_empty() && self.tx.iter().all(|tx| tx.send(block.clone()).is_ok()) {
            return Ok(());
        }
        // A thread stopped: the writer's error says why.
        Err(self
            .join()
            .err()
            .unwrap_or_else(|| io::Error::other("output writer stopped")))
    }

    /// Closes the channels and waits for both threads (once; a second call
    /// has nothing to wait for and returns an empty hash).
    fn join(&mut self) -> io::Result<String> {
        self.tx.clear();
        let written = match self.writer.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("output writer panicked")),
            None => Ok(()),
        };
        let hash = match self.hasher.take().map(|h| h.join()) {
            Some(Ok(hash)) => Ok(hash),
            Some(Err(_)) => Err(io::Error::other("output hasher panicked")),
            None => Ok(String::new()),
        };
        written?;
        hash
    }

    /// Flushes, waits for the threads and returns the file's sha256.
    fn finish(mut self) -> io::Result<String> {
        if !self.buf.is_empty() {
            self.send()?;
        }
        self.join()
    }
}

impl Drop for HashedOutput {
    /// An abandoned output still waits for its writer thread.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

impl Write for HashedOutput {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= OUT_BUF {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub use crate::label::format_ts;

pub const FLOW_COLUMNS: &[&str] = &[
    "flow_id",
    "chunk",
    "run_id",
    "scenario",
    "subscenario",
    "subscenario_name",
    "class",
    "attack_category",
    "protocol",
    "src_addr",
    "src_port",
    "dst_addr",
    "dst_port",
    "start",
    "end",
    "duration",
    "fwd_packets",
    "fwd_bytes",
    "bwd_packets",
    "bwd_bytes",
    "src_service",
    "src_role",
    "dst_service",
    "dst_role",
    "network",
    "captured_by",
];

const PACKET_COLUMNS: &[&str] = &[
    "packet",
    "timestamp",
    "flow_id",
    "run_id",
    "capture",
    "class",
    "attack_category",
];

/// Stem of a capture file name: `<service>` or `<service>.<network>`.
fn capture_stem(pcap: &str) -> &str {
    let name = pcap.rsplit('/').next().unwrap_or(pcap);
    name.strip_suffix(".pcap").unwrap_or(name)
}

fn flow_row(f: &Flow, chunk: usize, runs: &[RunInfo], sources: &[Source], nanos: bool) -> String {
    let origin = &sources[f.origin as usize];
    let run = &runs[origin.run];
    let m = &run.manifest;
    let (src, sport, dst, dport) = f.endpoints();
    let (src, dst) = (src.to_string(), dst.to_string());
    let none = (String::new(), String::new());
    let (ss, sr) = run.hosts.get(&src).unwrap_or(&none);
    let (ds, dr) = run.hosts.get(&dst).unwrap_or(&none);
    let captured: Vec<&str> = f
        .sources
        .iter()
        .map(|s| capture_stem(&sources[*s as usize].pcap))
        .collect();
    let fields = [
        f.id.to_string(),
        chunk.to_string(),
        m.run.id.clone(),
        m.scenario.clone(),
        m.subscenario.id.clone(),
        m.subscenario.name.clone(),
        m.class.to_string(),
        m.attack_category.clone().unwrap_or_default(),
        f.key.proto.to_string(),
        src,
        sport.to_string(),
        dst,
        dport.to_string(),
        format_ts(f.first_ns, nanos),
        format_ts(f.last_ns, nanos),
        format_ts(f.last_ns - f.first_ns, nanos),
        f.fwd_packets.to_string(),
        f.fwd_bytes.to_string(),
        f.bwd_packets.to_string(),
        f.bwd_bytes.to_string(),
        ss.clone(),
        sr.clone(),
        ds.clone(),
        dr.clone(),
        origin.network.clone(),
        captured.join(";"),
    ];
    let mut line = fields
        .iter()
        .map(|s| csv_field(s))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Drops the second sighting of a packet by another capture of the same
/// run within the window.
struct Dedupe {
    window_ns: i64,
    seen: HashMap<u64, (i64, u32)>,
    order: VecDeque<(i64, u64)>,
}

impl Dedupe {
    fn is_duplicate(
        &mut self,
        ts: i64,
        run: usize,
        source: u32,
        orig_len: u32,
        data: &[u8],
    ) -> bool {
        while let Some(&(t, k)) = self.order.front() {
            if ts - t <= self.window_ns {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&k).is_some_and(|&(t2, _)| t2 == t) {
                self.seen.remove(&k);
            }
        }
        // SipHash with fixed keys: the same on every machine.
        #[allow(deprecated)]
        let mut h = std::hash::SipHasher::new();
        run.hash(&mut h);
        orig_len.hash(&mut h);
        data.hash(&mut h);
        let key = h.finish();
        if let Some(&(t, s)) = self.seen.get(&key) {
            if s != source && ts - t <= self.window_ns {
                self.seen.remove(&key);
                return true;
            }
        }
        self.seen.insert(key, (ts, source));
        self.order.push_back((ts, key));
        false
    }
}

/// Builds a dataset into `opts.out` (which must not exist or be empty).
pub fn build(opts: &Options, progress: &dyn Progress) -> Result<DatasetManifest> {
    let mut unordered = std::collections::BTreeSet::new();
    loop {
        match attempt(opts, &unordered, progress) {
            Err(e) => match e.downcast_ref::<Disorder>() {
                // Start again with that capture sorted; rare, since
                // tcpdump writes in time order.
                Some(Disorder(found)) if found.iter().any(|s| !unordered.contains(s)) => {
                    unordered.extend(found.iter().copied());
                    for entry in std::fs::read_dir(&opts.out)? {
                        let path = entry?.path();
                        if path.is_dir() {
                            std::fs::remove_dir_all(&path)?;
                        } else {
                            std::fs::remove_file(&path)?;
                        }
                    }
                }
                _ => return Err(e),
            },
            ok => return ok,
        }
    }
}

/// One try at a build, sorting the captures known to be out of order.
fn attempt(
    opts: &Options,
    unordered: &std::collections::BTreeSet<u32>,
    progress: &dyn Progress,
) -> Result<DatasetManifest> {
    if opts.chunks.iter().all(|c| c.is_empty()) {
        bail!("no runs given: name run directories (or folders of them)");
    }
    if opts.out.exists() && std::fs::read_dir(&opts.out)?.next().is_some() {
        bail!(
            "{}: exists and is not empty; choose another --out or pass --force",
            opts.out.display()
        );
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;

    let mut runs = Vec::new();
    let mut sources = Vec::new();
    for (c, chunk) in opts.chunks.iter().enumerate() {
        for dir in chunk {
            load_run(dir, c, &mut runs, &mut sources)?;
        }
    }
    for &s in unordered {
        sources[s as usize].unordered = true;
    }
    let total: u64 = sources.iter().map(|s| s.size).sum();
    let mut stats: ReadStats = vec![(0, Skips::default()); sources.len()];

    let tmp = tempfile::Builder::new()
        .prefix(".detgen-merge-")
        .tempdir_in(&opts.out)?;
    let nanos = opts.nanos || opts.format == OutFormat::Pcapng;
    let ext = match opts.format {
        OutFormat::Pcap => "pcap",
        OutFormat::Pcapng => "pcapng",
    };
    let capture_name = format!("dataset.{ext}");
    let mut writer = Writer::new(
        HashedOutput::create(&opts.out.join(&capture_name))?,
        opts.format,
        opts.nanos,
    )?;
    let mut flows_out = HashedOutput::create(&opts.out.join(FLOWS_FILE))?;
    flows_out.write_all(format!("{}\n", FLOW_COLUMNS.join(",")).as_bytes())?;
    let mut packets_out = match opts.packet_labels {
        true => {
            let mut w = HashedOutput::create(&opts.out.join(PACKETS_FILE))?;
            w.write_all(format!("{}\n", PACKET_COLUMNS.join(",")).as_bytes())?;
            Some(w)
        }
        false => None,
    };
    let mut dedupe = opts.dedupe_window_ns.map(|w| Dedupe {
        window_ns: w,
        seen: HashMap::new(),
        order: VecDeque::new(),
    });
    let mut tracker = Tracker::new(opts.idle_timeout_s, 0);
    let mut scratch = Vec::new();
    let mut totals = Totals::default();
    let mut chunks = Vec::new();
    let mut prev_end: Option<i64> = None;
    let mut spills = 0usize;
    let mut unsupported = vec![0u64; sources.len()];
    progress.phase("merging", total);

    for (c, _) in opts.chunks.iter().enumerate() {
        let members: Vec<u32> = (0..sources.len() as u32)
            .filter(|&s| runs[sources[s as usize].run].chunk == c)
            .collect();
        let first_packet = writer.packets + 1;
        let mut planned = Vec::new();
        for &s in &members {
            let src = &sources[s as usize];
            if src.unordered {
                let sorted = sort_capture(
                    s,
                    src,
                    tmp.path(),
                    opts.spill_bytes,
                    &mut spills,
                    &mut stats,
                )?;
                planned.extend(sorted.into_iter().map(Planned::Spill));
            } else {
                planned.push(Planned::Capture(s));
            }
        }
        let planned = reduce(
            planned,
            &sources,
            tmp.path(),
            opts.max_open,
            &mut spills,
            &mut stats,
        )?;
        // The merge meets the chunk's first packet first: the shift is
        // known from then on.
        let (mut start, mut end, mut shift) = (None, None, 0i64);
        let inputs = planned
            .iter()
            .map(|p| open_planned(p, &sources))
            .collect::<Result<Vec<_>>>()?;
        let mut last_written = None;
        let mut dedup_counts = vec![0u64; sources.len()];
        merge(inputs, &mut stats, |h| {
            progress.advance(h.data.len() as u64 + 16);
            if start.is_none() {
                start = Some(h.ts_ns);
                shift = match prev_end {
                    None => opts.start_ns.map_or(0, |t| t - h.ts_ns),
                    Some(p) => p + opts.gap_ns - h.ts_ns,
                };
            }
            end = Some(h.ts_ns);
            let src = &sources[h.source as usize];
            let mut ts = h.ts_ns + shift;
            if !nanos {
                ts -= ts.rem_euclid(1000);
            }
            if let Some(d) = dedupe.as_mut() {
                if d.is_duplicate(ts, src.run, h.source, h.orig_len, h.data) {
                    dedup_counts[h.source as usize] += 1;
                    return Ok(());
                }
            }
            // The size recorded is what the output carries: pcap output
            // gains an Ethernet header for other link types.
            let extra = match (opts.format, h.linktype) {
                (OutFormat::Pcap, l) if l != crate::pcapio::LINKTYPE_ETHERNET => {
                    if crate::pcapio::to_ethernet(l, h.data, &mut scratch).is_none() {
                        unsupported[h.source as usize] += 1;
                        return Ok(());
                    }
                    scratch.len() as i64 - h.data.len() as i64
                }
                _ => 0,
            };
            let size = (i64::from(h.orig_len.max(h.data.len() as u32)) + extra) as u32;
            let d = dissect(h.linktype, h.data, &mut scratch);
            let (flow, _) = tracker.observe(ts, size, &d, h.source);
            let run = &runs[src.run];
            let m = &run.manifest;
            let stem = capture_stem(&src.pcap);
            let comment = (opts.format == OutFormat::Pcapng).then(|| {
                let mut c = format!(
                    "detgen flow={flow} run={} capture={stem} class={}",
                    m.run.id, m.class
                );
                if let Some(a) = &m.attack_category {
                    c.push_str(&format!(" attack_category={a}"));
                }
                c
            });
            if !writer.write(ts, h.linktype, h.orig_len, h.data, comment.as_deref())? {
                unsupported[h.source as usize] += 1;
                return Ok(());
            }
            last_written = Some(ts);
            if let Some(p) = packets_out.as_mut() {
                let row = [
                    writer.packets.to_string(),
                    format_ts(ts, nanos),
                    flow.to_string(),
                    m.run.id.clone(),
                    stem.to_string(),
                    m.class.to_string(),
                    m.attack_category.clone().unwrap_or_default(),
                ];
                let line = row
                    .iter()
                    .map(|s| csv_field(s))
                    .collect::<Vec<_>>()
                    .join(",");
                p.write_all(line.as_bytes())?;
                p.write_all(b"\n")?;
            }
            for f in tracker.take_finished() {
                totals.flows += 1;
                flows_out.write_all(flow_row(&f, c, &runs, &sources, nanos).as_bytes())?;
            }
            Ok(())
        })?;
        tracker.end_all();
        for f in tracker.take_finished() {
            totals.flows += 1;
            flows_out.write_all(flow_row(&f, c, &runs, &sources, nanos).as_bytes())?;
        }
        for (s, n) in dedup_counts.iter().enumerate() {
            sources[s].deduplicated += n;
        }
        if let Some(t) = last_written {
            prev_end = Some(t);
        }
        chunks.push(ChunkRecord {
            index: c,
            runs: runs
                .iter()
                .filter(|r| r.chunk == c)
                .map(|r| r.manifest.run.id.clone())
                .collect(),
            first_packet,
            packets: writer.packets + 1 - first_packet,
            shift_ns: shift,
            original_start_ns: start,
            original_end_ns: end,
        });
    }
    let mut outputs = BTreeMap::new();
    outputs.insert(capture_name, writer.finish()?.finish()?);
    outputs.insert(FLOWS_FILE.to_string(), flows_out.finish()?);
    if let Some(p) = packets_out {
        outputs.insert(PACKETS_FILE.to_string(), p.finish()?);
    }
    drop(tmp);

    for (s, n) in unsupported.iter().enumerate() {
        let (packets, skips) = stats[s];
        sources[s].packets = packets;
        sources[s].skips = skips;
        sources[s].skips.unsupported_linktype += n;
    }
    let mut inputs: Vec<InputRun> = runs
        .iter()
        .map(|r| InputRun {
            run_id: r.manifest.run.id.clone(),
            path: r.path.clone(),
            manifest_sha256: r.manifest_sha256.clone(),
            chunk: r.chunk,
            scenario: r.manifest.scenario.clone(),
            subscenario: r.manifest.subscenario.id.clone(),
            class: r.manifest.class.to_string(),
            attack_category: r.manifest.attack_category.clone(),
            captures: Vec::new(),
        })
        .collect();
    for s in &sources {
        totals.input_packets += s.packets;
        totals.skipped += s.skips.total();
        totals.deduplicated += s.deduplicated;
        inputs[s.run].captures.push(InputCapture {
            pcap: s.pcap.clone(),
            service: s.service.clone(),
            network: s.network.clone(),
            sha256: s.sha256.clone(),
            packets: s.packets,
            skipped: s.skips,
            deduplicated: s.deduplicated,
            time_ordered: !s.unordered,
        });
    }
    totals.packets = chunks.iter().map(|c| c.packets).sum();
    let manifest = DatasetManifest {
        detgen_version: env!("CARGO_PKG_VERSION").to_string(),
        options: OptionsRecord {
            format: opts.format,
            precision: if nanos { "ns" } else { "us" }.to_string(),
            gap_ns: opts.gap_ns,
            start_ns: opts.start_ns,
            dedupe_window_ns: opts.dedupe_window_ns,
            idle_timeout_s: opts.idle_timeout_s,
            packet_labels: opts.packet_labels,
        },
        chunks,
        inputs,
        totals,
        outputs,
    };
    std::fs::write(
        opts.out.join(DATASET_MANIFEST),
        serde_yaml_ng::to_string(&manifest)?,
    )?;
    Ok(manifest)
}

impl DatasetManifest {
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(DATASET_MANIFEST);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_yaml_ng::from_str(&text)
            .with_context(|| format!("{}: not a dataset manifest", path.display()))
    }

    /// The dataset's capture file name.
    pub fn capture_file(&self) -> String {
        match self.options.format {
            OutFormat::Pcap => "dataset.pcap".into(),
            OutFormat::Pcapng => "dataset.pcapng".into(),
        }
    }
}

/// Is this a dataset directory?
pub fn is_dataset(dir: &Path) -> bool {
    dir.join(DATASET_MANIFEST).is_file()
}

/// A chunk plan: `chunks:` a list of lists of run directories, relative
/// to the plan file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    chunks: Vec<Vec<PathBuf>>,
}

pub fn read_plan(path: &Path) -> Result<Vec<Vec<PathBuf>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let plan: Plan = serde_yaml_ng::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(":{}", l.line()))
            .unwrap_or_default();
        anyhow::anyhow!(
            "{}{at}: {e}; expected `chunks:` as a list of lists of run directories",
            path.display()
        )
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(plan
        .chunks
        .into_iter()
        .map(|c| c.into_iter().map(|p| base.join(p)).collect())
        .collect())
}
