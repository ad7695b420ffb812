//! Streaming capture files: a reader for pcap and pcapng that never aborts
//! on bad data, and a writer for both.
//!
//! The reader owns one buffer and hands out the current packet by
//! reference, so a merge can hold the head packet of many files without
//! copying. Damaged input is skipped and counted (`Skips`), never fatal:
//! an implausible pcap record header starts a resynchronisation that looks
//! for the next plausible header; a pcapng block whose lengths disagree is
//! skipped the same way; a record cut short at the end of a file counts
//! as truncated. Block decoding of pcapng is pcap-parser's; the buffer,
//! the resynchronisation and the timestamps (every interface's
//! `if_tsresol` and `if_tsoffset`) are ours.

use std::io::{self, Read, Write};

use pcap_parser::{pcapng, Block};
use serde::{Deserialize, Serialize};

/// Largest captured length accepted (Wireshark's limit for Ethernet).
pub const MAX_CAPLEN: u32 = 262_144;
/// Largest pcapng block accepted.
const MAX_BLOCK: usize = 16 << 20;
const READ_CHUNK: usize = 1 << 20;

pub const LINKTYPE_ETHERNET: u32 = 1;

/// What a reader skipped, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skips {
    /// Damaged regions (an implausible header or block) passed over.
    pub corrupt: u64,
    /// A record cut short by the end of the file.
    pub truncated: u64,
    /// Packets whose link type the output cannot carry.
    pub unsupported_linktype: u64,
}

impl Skips {
    pub fn total(&self) -> u64 {
        self.corrupt + self.truncated + self.unsupported_linktype
    }
}

/// The packet a reader is positioned on.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Nanoseconds since the epoch.
    pub ts_ns: i64,
    pub linktype: u32,
    pub orig_len: u32,
    pub data: &'a [u8],
}

#[derive(Debug, Clone, Copy)]
struct Iface {
    linktype: u32,
    /// Timestamp units per second.
    units: u64,
    offset_s: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        be: bool,
        nanos: bool,
        linktype: u32,
    },
    PcapNg {
        be: bool,
        ifaces: Vec<Iface>,
    },
}

#[derive(Debug, Default, Clone, Copy)]
struct Current {
    ts_ns: i64,
    linktype: u32,
    orig_len: u32,
    off: usize,
    len: usize,
}

/// A streaming reader of one capture file (pcap or pcapng, either byte
/// order, micro- or nanosecond pcap).
pub struct Reader<R: Read> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    format: Format,
    cur: Current,
    last_ts_ns: Option<i64>,
    pub skips: Skips,
    pub packets: u64,
}

fn u32_at(b: &[u8], be: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// Not a capture file: the first bytes match neither format.
#[derive(Debug)]
pub struct NotACapture;

impl std::fmt::Display for NotACapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a pcap or pcapng file (unknown magic number)")
    }
}

impl std::error::Error for NotACapture {}

impl<R: Read> Reader<R> {
    /// Reads the file header. Fails on I/O errors and when the file is
    /// neither pcap nor pcapng (`NotACapture`); an empty file is an
    /// error too.
    pub fn new(src: R) -> io::Result<Self> {
        Self::with_capacity(src, READ_CHUNK)
    }

    /// As `new`, with a read buffer of `capacity` bytes (it grows for
    /// larger records).
    pub fn with_capacity(src: R, capacity: usize) -> io::Result<Self> {
        let mut r = Reader {
            src,
            buf: vec![0; capacity.max(64)],
            start: 0,
            end: 0,
            eof: false,
            format: Format::Pcap {
                be: false,
                nanos: false,
                linktype: LINKTYPE_ETHERNET,
            },
            cur: Current::default(),
            last_ts_ns: None,
            skips: Skips::default(),
            packets: 0,
        };
        if !r.fill(24)? {
            if r.fill(12)? && r.head()[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
                // A pcapng file with a bare section header and nothing else.
            } else {
                return Err(io::Error::new(io::ErrorKind::InvalidData, NotACapture));
            }
        }
        let h = r.head();
        let magic_le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        r.format = match magic_le {
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xd4c3_b2a1 | 0x4d3c_b2a1 => {
                let be = matches!(magic_le, 0xd4c3_b2a1 | 0x4d3c_b2a1);
                let nanos = matches!(magic_le, 0xa1b2_3c4d | 0x4d3c_b2a1);
                // The link type's upper 16 bits carry FCS flags.
                let linktype = u32_at(&h[20..24], be) & 0xffff;
                r.start = 24;
                Format::Pcap {
                    be,
                    nanos,
                    linktype,
                }
            }
            0x0a0d_0d0a => Format::PcapNg {
                be: false,
                ifaces: Vec::new(),
            },
            _ => return Err(io::Error::new(io::ErrorKind::InvalidData, NotACapture)),
        };
        Ok(r)
    }

    fn head(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Makes at least `need` bytes available from `start`; false at end of
    /// file with fewer.
    fn fill(&mut self, need: usize) -> io::Result<bool> {
        while self.end - self.start < need {
            if self.eof {
                return Ok(false);
            }
            if self.start > 0 && self.start + need > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if need > self.buf.len() {
                self.buf.resize(need.next_power_of_two(), 0);
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// The file's link type: the pcap header's, or the first pcapng
    /// interface's (Ethernet before any interface is known).
    pub fn header_linktype(&self) -> u32 {
        match &self.format {
            Format::Pcap { linktype, .. } => *linktype,
            Format::PcapNg { ifaces, .. } => {
                ifaces.first().map_or(LINKTYPE_ETHERNET, |i| i.linktype)
            }
        }
    }

    /// The packet `advance` moved to.
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            ts_ns: self.cur.ts_ns,
            linktype: self.cur.linktype,
            orig_len: self.cur.orig_len,
            data: &self.buf[self.cur.off..self.cur.off + self.cur.len],
        }
    }

    /// Moves to the next packet; false at the end of the file. Only I/O
    /// errors are errors.
    pub fn advance(&mut self) -> io::Result<bool> {
        let found = match self.format {
            Format::Pcap {
                be,
                nanos,
                linktype,
            } => self.next_pcap(be, nanos, linktype)?,
            Format::PcapNg { .. } => self.next_pcapng()?,
        };
        if found {
            self.packets += 1;
            self.last_ts_ns = Some(self.cur.ts_ns);
        }
        Ok(found)
    }

    /// A pcap record header that could be real, and its timestamp.
    fn plausible_record(&self, h: &[u8], be: bool, nanos: bool) -> Option<(i64, u32, u32)> {
        let sec = u32_at(&h[0..4], be);
        let frac = u32_at(&h[4..8], be);
        let caplen = u32_at(&h[8..12], be);
        let orig = u32_at(&h[12..16], be);
        let limit = if nanos { 1_000_000_000 } else { 1_000_000 };
        if frac >= limit || caplen > MAX_CAPLEN || orig < caplen || orig > MAX_BLOCK as u32 {
            return None;
        }
        let ts = i64::from(sec) * 1_000_000_000 + i64::from(frac) * if nanos { 1 } else { 1000 };
        // Within a day of the previous packet: random bytes rarely are.
        if let Some(last) = self.last_ts_ns {
            if (ts - last).abs() > 86_400 * 1_000_000_000 {
                return None;
            }
        }
        Some((ts, caplen, orig))
    }

    fn next_pcap(&mut self, be: bool, nanos: bool, linktype: u32) -> io::Result<bool> {
        loop {
            if !self.fill(16)? {
                if self.end > self.start {
                    self.skips.truncated += 1;
                    self.start = self.end;
                }
                return Ok(false);
            }
            let Some((ts, caplen, orig)) = self.plausible_record(&self.head()[..16], be, nanos)
            else {
                self.skips.corrupt += 1;
                self.resync_pcap(be, nanos)?;
                continue;
            };
            let total = 16 + caplen as usize;
            if !self.fill(total)? {
                self.skips.truncated += 1;
                self.start = self.end;
                return Ok(false);
            }
            self.cur = Current {
                ts_ns: ts,
                linktype,
                orig_len: orig,
                off: self.start + 16,
                len: caplen as usize,
            };
            self.start += total;
            return Ok(true);
        }
    }

    /// Moves past a damaged region: to the first offset whose header is
    /// plausible and is followed by another plausible header (or the end
    /// of the file).
    fn resync_pcap(&mut self, be: bool, nanos: bool) -> io::Result<()> {
        loop {
            self.start += 1;
            if !self.fill(16)? {
                self.start = self.end;
                return Ok(());
            }
            let Some((_, caplen, _)) = self.plausible_record(&self.head()[..16], be, nanos) else {
                continue;
            };
            let next = 16 + caplen as usize;
            if !self.fill(next + 16)? {
                if self.end - self.start == next {
                    return Ok(());
                }
                continue;
            }
            if self
                .plausible_record(&self.head()[next..next + 16], be, nanos)
                .is_some()
            {
                return Ok(());
            }
        }
    }

    fn next_pcapng(&mut self) -> io::Result<bool> {
        loop {
            if !self.fill(12)? {
                if self.end > self.start {
                    self.skips.truncated += 1;
                    self.start = self.end;
                }
                return Ok(false);
            }
            let Format::PcapNg { be, .. } = self.format else {
                unreachable!("pcapng reader")
            };
            let h = self.head();
            let is_shb = h[..4] == [0x0a, 0x0d, 0x0d, 0x0a];
            let be = if is_shb {
                // The byte-order magic decides this section's endianness.
                match h[8..12] {
                    [0x1a, 0x2b, 0x3c, 0x4d] => true,
                    [0x4d, 0x3c, 0x2b, 0x1a] => false,
                    _ => {
                        self.skips.corrupt += 1;
                        self.resync_pcapng(be)?;
                        continue;
                    }
                }
            } else {
                be
            };
            let len = u32_at(&h[4..8], be) as usize;
            if len < 12 || len % 4 != 0 || len > MAX_BLOCK {
                self.skips.corrupt += 1;
                self.resync_pcapng(be)?;
                continue;
            }
            if !self.fill(len)? {
                self.skips.truncated += 1;
                self.start = self.end;
                return Ok(false);
            }
            if u32_at(&self.head()[len - 4..len], be) as usize != len {
                self.skips.corrupt += 1;
                self.resync_pcapng(be)?;
                continue;
            }
            let block_start = self.start;
            self.start += len;
            if let Some(found) = self.decode_block(block_start, len, be, is_shb) {
                return Ok(found);
            }
        }
    }

    /// Decodes one whole block. Some(true): a packet; None: not a packet
    /// (or a damaged one, counted).
    fn decode_block(&mut self, at: usize, len: usize, be: bool, is_shb: bool) -> Option<bool> {
        let bytes = &self.buf[at..at + len];
        let parsed = if be {
            pcapng::parse_block_be(bytes)
        } else {
            pcapng::parse_block_le(bytes)
        };
        let Format::PcapNg {
            be: section_be,
            ifaces,
        } = &mut self.format
        else {
            unreachable!("pcapng reader")
        };
        let block = match parsed {
            Ok((_, b)) => b,
            Err(_) => {
                self.skips.corrupt += 1;
                return None;
            }
        };
        match block {
            Block::SectionHeader(_) if is_shb => {
                *section_be = be;
                ifaces.clear();
                None
            }
            Block::InterfaceDescription(idb) => {
                // pcap-parser decodes if_tsresol; 0 means "absent": 10^-6.
                let units = idb.ts_resolution().unwrap_or(1_000_000).max(1);
                ifaces.push(Iface {
                    linktype: u32::from(idb.linktype.0 as u16),
                    units,
                    offset_s: idb.ts_offset(),
                });
                None
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = ifaces.get(epb.if_id as usize).copied() else {
                    self.skips.corrupt += 1;
                    return None;
                };
                if epb.caplen > MAX_CAPLEN {
                    self.skips.corrupt += 1;
                    return None;
                }
                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ns = (u128::from(raw) * 1_000_000_000 / u128::from(iface.units)) as i64;
                let off = epb.data.as_ptr() as usize - self.buf.as_ptr() as usize;
                self.cur = Current {
                    ts_ns: ns + iface.offset_s * 1_000_000_000,
                    linktype: iface.linktype,
                    orig_len: epb.origlen.max(epb.caplen),
                    off,
                    len: epb.caplen as usize,
                };
                Some(true)
            }
            Block::SimplePacket(spb) => {
                // No timestamp: it keeps the previous packet's.
                let Some(iface) = ifaces.first().copied() else {
                    self.skips.corrupt += 1;
                    return None;
                };
                let caplen = spb
                    .data
                    .len()
                    .min(spb.origlen as usize)
                    .min(MAX_CAPLEN as usize);
                let off = spb.data.as_ptr() as usize - self.buf.as_ptr() as usize;
                self.cur = Current {
                    ts_ns: self.last_ts_ns.unwrap_or(0),
                    linktype: iface.linktype,
                    orig_len: spb.origlen,
                    off,
                    len: caplen,
                };
                Some(true)
            }
            _ => None,
        }
    }

    /// Moves past a damaged pcapng region: to the next 4-byte aligned
    /// offset holding a known block type whose two lengths agree.
    fn resync_pcapng(&mut self, be: bool) -> io::Result<()> {
        const KNOWN: [u32; 6] = [0x0a0d_0d0a, 1, 3, 4, 5, 6];
        loop {
            self.start += 4;
            if !self.fill(12)? {
                self.start = self.end;
                return Ok(());
            }
            let h = self.head();
            let ty = u32_at(&h[0..4], be);
            let len = u32_at(&h[4..8], be) as usize;
            if !KNOWN.contains(&ty) || len < 12 || len % 4 != 0 || len > MAX_BLOCK {
                continue;
            }
            if !self.fill(len)? {
                continue;
            }
            if u32_at(&self.head()[len - 4..len], be) as usize == len {
                return Ok(());
            }
        }
    }
}

/// Ethernet framing of a packet of another link type, for outputs that
/// carry Ethernet only: Linux cooked (v1, v2), raw IP, IPv4, IPv6, BSD
/// loopback. `None` for link types with no IP payload to reframe.
pub fn to_ethernet(linktype: u32, data: &[u8], out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    let (src, ethertype, payload): ([u8; 6], u16, &[u8]) = match linktype {
        LINKTYPE_ETHERNET => {
            out.extend_from_slice(data);
            return Some(());
        }
        // LINUX_SLL: type(2) arphrd(2) halen(2) addr(8) protocol(2)
        113 if data.len() >= 16 => {
            let mut mac = [0u8; 6];
            if u16::from_be_bytes([data[4], data[5]]) == 6 {
                mac.copy_from_slice(&data[6..12]);
            }
            (mac, u16::from_be_bytes([data[14], data[15]]), &data[16..])
        }
        // LINUX_SLL2: protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) halen(1) addr(8)
        276 if data.len() >= 20 => {
            let mut mac = [0u8; 6];
            if data[11] == 6 {
                mac.copy_from_slice(&data[12..18]);
            }
            (mac, u16::from_be_bytes([data[0], data[1]]), &data[20..])
        }
        101 | 12 | 14 if !data.is_empty() => match data[0] >> 4 {
            4 => ([0; 6], 0x0800, data),
            6 => ([0; 6], 0x86dd, data),
            _ => return None,
        },
        228 => ([0; 6], 0x0800, data),
        229 => ([0; 6], 0x86dd, data),
        // NULL / LOOP: a 4-byte address family, host or network order.
        0 | 108 if data.len() >= 4 => {
            let fam = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let fam = if fam > 0xffff { fam.swap_bytes() } else { fam };
            match fam {
                2 => ([0; 6], 0x0800, &data[4..]),
                10 | 24 | 28 | 30 => ([0; 6], 0x86dd, &data[4..]),
                _ => return None,
            }
        }
        _ => return None,
    };
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&src);
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(payload);
    Some(())
}

/// Output container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    /// Classic pcap, Ethernet link type.
    Pcap,
    /// pcapng: one interface per input link type, a comment per packet.
    Pcapng,
}

/// A streaming writer of pcap (Ethernet) or pcapng (any link type, a
/// comment per packet). Little-endian; pcap in micro- or nanoseconds,
/// pcapng in nanoseconds.
pub struct Writer<W: Write> {
    w: W,
    format: OutFormat,
    nanos: bool,
    /// pcapng: the link type of each interface written so far.
    ifaces: Vec<u32>,
    scratch: Vec<u8>,
    pub packets: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(mut w: W, format: OutFormat, nanos: bool) -> io::Result<Self> {
        match format {
            OutFormat::Pcap => {
                let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
                w.write_all(&magic.to_le_bytes())?;
                w.write_all(&2u16.to_le_bytes())?;
                w.write_all(&4u16.to_le_bytes())?;
                w.write_all(&0i32.to_le_bytes())?;
                w.write_all(&0u32.to_le_bytes())?;
                w.write_all(&MAX_CAPLEN.to_le_bytes())?;
                w.write_all(&LINKTYPE_ETHERNET.to_le_bytes())?;
            }
            OutFormat::Pcapng => {
                // Section header: no options, section length unknown.
                w.write_all(&0x0a0d_0d0au32.to_le_bytes())?;
                w.write_all(&28u32.to_le_bytes())?;
                w.write_all(&0x1a2b_3c4du32.to_le_bytes())?;
                w.write_all(&1u16.to_le_bytes())?;
                w.write_all(&0u16.to_le_bytes())?;
                w.write_all(&(-1i64).to_le_bytes())?;
                w.write_all(&28u32.to_le_bytes())?;
            }
        }
        Ok(Writer {
            w,
            format,
            nanos: nanos || format == OutFormat::Pcapng,
            ifaces: Vec::new(),
            scratch: Vec::new(),
            packets: 0,
        })
    }

    /// Writes one packet. False (and nothing written) when plain pcap
    /// cannot carry its link type.
    pub fn write(
        &mut self,
        ts_ns: i64,
        linktype: u32,
        orig_len: u32,
        data: &[u8],
        comment: Option<&str>,
    ) -> io::Result<bool> {
        match self.format {
            OutFormat::Pcap => {
                let mut scratch = std::mem::take(&mut self.scratch);
                let framed = if linktype == LINKTYPE_ETHERNET {
                    data
                } else if to_ethernet(linktype, data, &mut scratch).is_some() {
                    &scratch[..]
                } else {
                    self.scratch = scratch;
                    return Ok(false);
                };
                let grown = framed.len().saturating_sub(data.len()) as u32;
                let (sec, frac) = split_ts(ts_ns, self.nanos);
                self.w.write_all(&sec.to_le_bytes())?;
                self.w.write_all(&frac.to_le_bytes())?;
                self.w.write_all(&(framed.len() as u32).to_le_bytes())?;
                self.w
                    .write_all(&(orig_len.max(data.len() as u32) + grown).to_le_bytes())?;
                self.w.write_all(framed)?;
                self.scratch = scratch;
            }
            OutFormat::Pcapng => {
                let if_id = match self.ifaces.iter().position(|&l| l == linktype) {
                    Some(i) => i,
                    None => {
                        self.write_idb(linktype)?;
                        self.ifaces.push(linktype);
                        self.ifaces.len() - 1
                    }
                };
                let pad = |n: usize| (4 - n % 4) % 4;
                let opt_len = match comment {
                    Some(c) => 4 + c.len() + pad(c.len()) + 4,
                    None => 0,
                };
                let total = 28 + data.len() + pad(data.len()) + opt_len + 4;
                let ts = ts_ns.max(0) as u64;
                self.w.write_all(&6u32.to_le_bytes())?;
                self.w.write_all(&(total as u32).to_le_bytes())?;
                self.w.write_all(&(if_id as u32).to_le_bytes())?;
                self.w.write_all(&((ts >> 32) as u32).to_le_bytes())?;
                self.w.write_all(&(ts as u32).to_le_bytes())?;
                self.w.write_all(&(data.len() as u32).to_le_bytes())?;
                self.w
                    .write_all(&orig_len.max(data.len() as u32).to_le_bytes())?;
                self.w.write_all(data)?;
                self.w.write_all(&[0; 3][..pad(data.len())])?;
                if let Some(c) = comment {
                    self.w.write_all(&1u16.to_le_bytes())?;
                    self.w.write_all(&(c.len() as u16).to_le_bytes())?;
                    self.w.write_all(c.as_bytes())?;
                    self.w.write_all(&[0; 3][..pad(c.len())])?;
                    self.w.write_all(&[0; 4])?; // opt_endofopt
                }
                self.w.write_all(&(total as u32).to_le_bytes())?;
            }
        }
        self.packets += 1;
        Ok(true)
    }

    fn write_idb(&mut self, linktype: u32) -> io::Result<()> {
        // if_tsresol = 9 (nanoseconds): option 9, length 1, padded.
        self.w.write_all(&1u32.to_le_bytes())?;
        self.w.write_all(&32u32.to_le_bytes())?;
        self.w.write_all(&(linktype as u16).to_le_bytes())?;
        self.w.write_all(&0u16.to_le_bytes())?;
        self.w.write_all(&MAX_CAPLEN.to_le_bytes())?;
        self.w.write_all(&9u16.to_le_bytes())?;
        self.w.write_all(&1u16.to_le_bytes())?;
        self.w.write_all(&[9, 0, 0, 0])?;
        self.w.write_all(&[0; 4])?;
        self.w.write_all(&32u32.to_le_bytes())
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Seconds and the fraction (micro- or nanoseconds) of a timestamp;
/// microseconds round down.
fn split_ts(ts_ns: i64, nanos: bool) -> (u32, u32) {
    let ts = ts_ns.max(0);
    let sec = (ts / 1_000_000_000) as u32;
    let frac = (ts % 1_000_000_000) as u32;
    (sec, if nanos { frac } else { frac / 1000 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_bytes(packets: &[(i64, &[u8])], nanos: bool) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), OutFormat::Pcap, nanos).unwrap();
        for (ts, d) in packets {
            w.write(*ts, LINKTYPE_ETHERNET, d.len() as u32, d, None)
                .unwrap();
        }
        w.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> (Vec<(i64, Vec<u8>)>, Skips) {
        let mut r = Reader::new(bytes).unwrap();
        let mut out = Vec::new();
        while r.advance().unwrap() {
            let p = r.packet();
            out.push((p.ts_ns, p.data.to_vec()));
        }
        (out, r.skips)
    }

    const A: &[u8] = &[1u8; 60];
    const B: &[u8] = &[2u8; 74];
    const C: &[u8] = &[3u8; 1514];

    #[test]
    fn pcap_round_trip_in_both_precisions() {
        let pkts = [
            (1_700_000_000_123_456_789, A),
            (1_700_000_001_000_000_000, B),
        ];
        let (got, skips) = read_all(&pcap_bytes(&pkts, true));
        assert_eq!(skips, Skips::default());
        assert_eq!(got[0].0, 1_700_000_000_123_456_789);
        assert_eq!(got[1].1, B);
        let (got, _) = read_all(&pcap_bytes(&pkts, false));
        assert_eq!(
            got[0].0, 1_700_000_000_123_456_000,
            "microseconds round down"
        );
    }

    #[test]
    fn pcapng_round_trip_keeps_link_types_and_nanoseconds() {
        let mut w = Writer::new(Vec::new(), OutFormat::Pcapng, true).unwrap();
        w.write(5_000_000_007, LINKTYPE_ETHERNET, 60, A, Some("flow=1"))
            .unwrap();
        w.write(
            6_000_000_009,
            101,
            74,
            &[0x45; 74],
            Some("a comment of odd length"),
        )
        .unwrap();
        let bytes = w.finish().unwrap();
        let mut r = Reader::new(&bytes[..]).unwrap();
        assert!(r.advance().unwrap());
        assert_eq!((r.packet().ts_ns, r.packet().linktype), (5_000_000_007, 1));
        assert!(r.advance().unwrap());
        assert_eq!(
            (r.packet().ts_ns, r.packet().linktype),
            (6_000_000_009, 101)
        );
        assert!(!r.advance().unwrap());
        assert_eq!(r.skips, Skips::default());
    }

    #[test]
    fn a_truncated_last_record_is_counted_not_fatal() {
        let bytes = pcap_bytes(&[(1_000_000_000, A), (2_000_000_000, C)], false);
        let cut = &bytes[..bytes.len() - 100];
        let (got, skips) = read_all(cut);
        assert_eq!(got.len(), 1);
        assert_eq!(skips.truncated, 1);
    }

    #[test]
    fn a_corrupt_record_header_is_skipped_and_reading_resumes() {
        let pkts: Vec<(i64, &[u8])> = (0..10)
            .map(|i| (1_000_000_000 + i * 1000, if i % 2 == 0 { A } else { B }))
            .collect();
        let mut bytes = pcap_bytes(&pkts, false);
        // Packet 3's header: caplen far beyond any snaplen.
        let off = 24 + 2 * (16 + 60) + (16 + 74);
        bytes[off + 8..off + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        let (got, skips) = read_all(&bytes);
        assert_eq!(skips.corrupt, 1);
        assert_eq!(got.len(), 9, "only the damaged packet is lost");
        assert_eq!(got[3].0, 1_000_000_000 + 4000);
    }

    #[test]
    fn garbage_is_not_a_capture() {
        assert!(Reader::new(&b"hello, this is not a capture file at all"[..]).is_err());
        assert!(Reader::new(&b""[..]).is_err());
    }

    #[test]
    fn cooked_and_raw_captures_gain_an_ethernet_header() {
        let ip = [0x45u8, 0, 0, 20];
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 66, 172, 17, 0, 2, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        let mut out = Vec::new();
        to_ethernet(113, &sll, &mut out).unwrap();
        assert_eq!(&out[6..12], &[2, 66, 172, 17, 0, 2]);
        assert_eq!(&out[12..14], &[0x08, 0x00]);
        assert_eq!(&out[14..], &ip);
        to_ethernet(101, &[0x60, 0, 0, 0], &mut out).unwrap();
        assert_eq!(&out[12..14], &[0x86, 0xdd]);
        assert!(to_ethernet(147, &ip, &mut out).is_none());
    }
}
