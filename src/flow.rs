//! Flows: what a packet's flow key is, and how packets group into
//! bidirectional flows.
//!
//! Every packet gets a flow, so every packet is attributable: IP packets
//! by protocol and the two (address, port) ends, ARP by the two protocol
//! addresses, other Ethernet frames by ethertype and MACs, anything else
//! by its link type. A flow ends after `idle_timeout` without packets, when
//! a TCP SYN reopens a connection that was closed (FIN both ways or RST),
//! or when the caller ends every flow (at a chunk boundary). Flow ids
//! count from 1 in the order of first packets, so the same packets in the
//! same order give the same ids: `dataset` and `features` rely on that.

use std::collections::HashMap;
use std::fmt;

use crate::pcapio::{to_ethernet, LINKTYPE_ETHERNET};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    /// IP protocol number.
    Ip(u8),
    Arp,
    /// Another ethertype.
    Ether(u16),
    /// A link type this module cannot look into.
    Link(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    None,
    V4([u8; 4]),
    V6([u8; 16]),
    Mac([u8; 6]),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::None => Ok(()),
            Addr::V4(a) => write!(f, "{}", std::net::Ipv4Addr::from(*a)),
            Addr::V6(a) => write!(f, "{}", std::net::Ipv6Addr::from(*a)),
            Addr::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proto::Ip(6) => f.write_str("tcp"),
            Proto::Ip(17) => f.write_str("udp"),
            Proto::Ip(1) => f.write_str("icmp"),
            Proto::Ip(58) => f.write_str("icmpv6"),
            Proto::Ip(132) => f.write_str("sctp"),
            Proto::Ip(p) => write!(f, "ip-{p}"),
            Proto::Arp => f.write_str("arp"),
            Proto::Ether(t) => write!(f, "ether-0x{t:04x}"),
            Proto::Link(l) => write!(f, "link-{l}"),
        }
    }
}

/// A flow key with its two ends in canonical order (`a` <= `b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub proto: Proto,
    pub a: Addr,
    pub pa: u16,
    pub b: Addr,
    pub pb: u16,
}

/// What the flow logic needs of one packet.
#[derive(Debug, Clone, Copy)]
pub struct Dissected {
    pub key: FlowKey,
    /// The packet goes from `a` to `b`.
    pub from_a: bool,
    pub tcp_flags: Option<u8>,
}

const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_RST: u8 = 0x04;
const TCP_ACK: u8 = 0x10;

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn ordered(
    proto: Proto,
    src: Addr,
    sp: u16,
    dst: Addr,
    dp: u16,
    tcp_flags: Option<u8>,
) -> Dissected {
    let from_a = (src, sp) <= (dst, dp);
    let key = if from_a {
        FlowKey {
            proto,
            a: src,
            pa: sp,
            b: dst,
            pb: dp,
        }
    } else {
        FlowKey {
            proto,
            a: dst,
            pa: dp,
            b: src,
            pb: sp,
        }
    };
    Dissected {
        key,
        from_a,
        tcp_flags,
    }
}

/// The flow key of a packet of any link type; never fails.
pub fn dissect(linktype: u32, data: &[u8], scratch: &mut Vec<u8>) -> Dissected {
    let frame = if linktype == LINKTYPE_ETHERNET {
        Some(data)
    } else if to_ethernet(linktype, data, scratch).is_some() {
        Some(&scratch[..])
    } else {
        None
    };
    frame.and_then(dissect_ethernet).unwrap_or(Dissected {
        key: FlowKey {
            proto: Proto::Link(linktype),
            a: Addr::None,
            pa: 0,
            b: Addr::None,
            pb: 0,
        },
        from_a: true,
        tcp_flags: None,
    })
}

fn dissect_ethernet(d: &[u8]) -> Option<Dissected> {
    let mut ethertype = be16(d, 12)?;
    let mut at = 14;
    while matches!(ethertype, 0x8100 | 0x88a8) {
        ethertype = be16(d, at + 2)?;
        at += 4;
    }
    let l3 = d.get(at..)?;
    let ip = match ethertype {
        0x0800 => dissect_ipv4(l3),
        0x86dd => dissect_ipv6(l3),
        0x0806 if l3.len() >= 28 && be16(l3, 2) == Some(0x0800) => {
            let spa = Addr::V4(l3[14..18].try_into().ok()?);
            let tpa = Addr::V4(l3[24..28].try_into().ok()?);
            Some(ordered(Proto::Arp, spa, 0, tpa, 0, None))
        }
        _ => None,
    };
    ip.or_else(|| {
        let dst = Addr::Mac(d.get(0..6)?.try_into().ok()?);
        let src = Addr::Mac(d.get(6..12)?.try_into().ok()?);
        Some(ordered(Proto::Ether(ethertype), src, 0, dst, 0, None))
    })
}

fn dissect_ipv4(d: &[u8]) -> Option<Dissected> {
    if d.len() < 20 || d[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    let proto = d[9];
    let src = Addr::V4(d[12..16].try_into().ok()?);
    let dst = Addr::V4(d[16..20].try_into().ok()?);
    let fragment_offset = be16(d, 6)? & 0x1fff;
    let l4 = if fragment_offset == 0 {
        d.get(ihl..)
    } else {
        None
    };
    Some(transport(proto, src, dst, l4))
}

fn dissect_ipv6(d: &[u8]) -> Option<Dissected> {
    if d.len() < 40 || d[0] >> 4 != 6 {
        return None;
    }
    let src = Addr::V6(d[8..24].try_into().ok()?);
    let dst = Addr::V6(d[24..40].try_into().ok()?);
    let mut next = d[6];
    let mut at = 40;
    let mut l4 = Some(at);
    // Hop-by-hop, routing, destination options; a fragment header ends
    // the walk unless it is the first fragment.
    loop {
        match next {
            0 | 43 | 60 => {
                let len = (usize::from(*d.get(at + 1)?) + 1) * 8;
                next = *d.get(at)?;
                at += len;
                l4 = Some(at);
            }
            44 => {
                let offset = be16(d, at + 2)? >> 3;
                next = *d.get(at)?;
                at += 8;
                l4 = if offset == 0 { Some(at) } else { None };
                if l4.is_none() {
                    break;
                }
            }
            _ => break,
        }
    }
    Some(transport(next, src, dst, l4.and_then(|at| d.get(at..))))
}

fn transport(proto: u8, src: Addr, dst: Addr, l4: Option<&[u8]>) -> Dissected {
    let (sp, dp, flags) = match (proto, l4) {
        (6, Some(t)) if t.len() >= 14 => (
            be16(t, 0).unwrap_or(0),
            be16(t, 2).unwrap_or(0),
            Some(t[13]),
        ),
        (17 | 132 | 136, Some(t)) if t.len() >= 4 => {
            (be16(t, 0).unwrap_or(0), be16(t, 2).unwrap_or(0), None)
        }
        _ => (0, 0, None),
    };
    ordered(Proto::Ip(proto), src, sp, dst, dp, flags)
}

/// One bidirectional flow. "Forward" is the direction of its first packet.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: u64,
    pub key: FlowKey,
    /// The first packet went from `key.a` to `key.b`.
    pub fwd_from_a: bool,
    pub first_ns: i64,
    pub last_ns: i64,
    pub fwd_packets: u64,
    pub fwd_bytes: u64,
    pub bwd_packets: u64,
    pub bwd_bytes: u64,
    /// The source (caller's numbering) of the first packet.
    pub origin: u32,
    /// Every source that contributed a packet, sorted.
    pub sources: Vec<u32>,
    /// The first packets: (forward?, size, timestamp), up to the tracker's
    /// `first_n` + 1 (N inter-arrival times need N + 1 packets).
    pub head: Vec<(bool, u32, i64)>,
    /// Inter-arrival times in seconds: count, mean, sum of squared
    /// deviations (Welford).
    pub iat_n: u64,
    pub iat_mean: f64,
    pub iat_m2: f64,
    fin_fwd: bool,
    fin_bwd: bool,
    rst: bool,
}

impl Flow {
    /// The ends in the forward direction: (src, sport, dst, dport).
    pub fn endpoints(&self) -> (Addr, u16, Addr, u16) {
        let k = &self.key;
        if self.fwd_from_a {
            (k.a, k.pa, k.b, k.pb)
        } else {
            (k.b, k.pb, k.a, k.pa)
        }
    }

    /// Population standard deviation of the inter-arrival times.
    pub fn iat_std(&self) -> f64 {
        if self.iat_n == 0 {
            0.0
        } else {
            (self.iat_m2 / self.iat_n as f64).sqrt()
        }
    }

    fn closed(&self) -> bool {
        self.rst || (self.fin_fwd && self.fin_bwd)
    }
}

/// Groups packets into flows. Finished flows wait in `finished` until the
/// caller takes them, in a deterministic order.
pub struct Tracker {
    idle_ns: i64,
    first_n: usize,
    next_id: u64,
    active: HashMap<FlowKey, Flow>,
    finished: Vec<Flow>,
    next_sweep_ns: i64,
}

impl Tracker {
    pub fn new(idle_timeout_s: f64, first_n: usize) -> Self {
        Tracker {
            idle_ns: (idle_timeout_s * 1e9) as i64,
            first_n,
            next_id: 1,
            active: HashMap::new(),
            finished: Vec::new(),
            next_sweep_ns: i64::MIN,
        }
    }

    /// Adds a packet; returns its flow's id and whether it goes forward.
    pub fn observe(&mut self, ts_ns: i64, size: u32, d: &Dissected, source: u32) -> (u64, bool) {
        if ts_ns >= self.next_sweep_ns {
            self.sweep(ts_ns);
        }
        let syn_only = d
            .tcp_flags
            .is_some_and(|f| f & (TCP_SYN | TCP_ACK) == TCP_SYN);
        if let Some(f) = self.active.get(&d.key) {
            if ts_ns - f.last_ns > self.idle_ns || (syn_only && f.closed()) {
                let f = self.active.remove(&d.key).expect("present");
                self.finished.push(f);
            }
        }
        let first_n = self.first_n;
        let next_id = &mut self.next_id;
        let flow = self.active.entry(d.key).or_insert_with(|| {
            let id = *next_id;
            *next_id += 1;
            Flow {
                id,
                key: d.key,
                fwd_from_a: d.from_a,
                first_ns: ts_ns,
                last_ns: ts_ns,
                fwd_packets: 0,
                fwd_bytes: 0,
                bwd_packets: 0,
                bwd_bytes: 0,
                origin: source,
                sources: Vec::new(),
                head: Vec::with_capacity(if first_n > 0 { first_n + 1 } else { 0 }),
                iat_n: 0,
                iat_mean: 0.0,
                iat_m2: 0.0,
                fin_fwd: false,
                fin_bwd: false,
                rst: false,
            }
        });
        let fwd = d.from_a == flow.fwd_from_a;
        if fwd {
            flow.fwd_packets += 1;
            flow.fwd_bytes += u64::from(size);
        } else {
            flow.bwd_packets += 1;
            flow.bwd_bytes += u64::from(size);
        }
        if flow.fwd_packets + flow.bwd_packets > 1 {
            let iat = (ts_ns - flow.last_ns) as f64 / 1e9;
            flow.iat_n += 1;
            let delta = iat - flow.iat_mean;
            flow.iat_mean += delta / flow.iat_n as f64;
            flow.iat_m2 += delta * (iat - flow.iat_mean);
        }
        flow.last_ns = flow.last_ns.max(ts_ns);
        if first_n > 0 && flow.head.len() <= first_n {
            flow.head.push((fwd, size, ts_ns));
        }
        if let Err(at) = flow.sources.binary_search(&source) {
            flow.sources.insert(at, source);
        }
        if let Some(flags) = d.tcp_flags {
            if flags & TCP_RST != 0 {
                flow.rst = true;
            }
            if flags & TCP_FIN != 0 {
                if fwd {
                    flow.fin_fwd = true;
                } else {
                    flow.fin_bwd = true;
                }
            }
        }
        (flow.id, fwd)
    }

    /// Ends idle flows; runs at most every half timeout of packet time.
    fn sweep(&mut self, now_ns: i64) {
        let idle = self.idle_ns;
        let expired: Vec<FlowKey> = self
            .active
            .iter()
            .filter(|(_, f)| now_ns - f.last_ns > idle)
            .map(|(k, _)| *k)
            .collect();
        let mut done: Vec<Flow> = expired
            .iter()
            .filter_map(|k| self.active.remove(k))
            .collect();
        done.sort_by_key(|f| f.id);
        self.finished.extend(done);
        self.next_sweep_ns = now_ns.saturating_add((idle / 2).max(1));
    }

    /// Ends every active flow (end of input, chunk boundary).
    pub fn end_all(&mut self) {
        let mut done: Vec<Flow> = self.active.drain().map(|(_, f)| f).collect();
        done.sort_by_key(|f| f.id);
        self.finished.extend(done);
        self.next_sweep_ns = i64::MIN;
    }

    /// Takes the flows that ended, in the order they ended.
    pub fn take_finished(&mut self) -> Vec<Flow> {
        std::mem::take(&mut self.finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet + IPv4 + TCP frame.
    pub fn tcp_frame(src: [u8; 4], sp: u16, dst: [u8; 4], dp: u16, flags: u8) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 20];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[23] = 6;
        f[26..30].copy_from_slice(&src);
        f[30..34].copy_from_slice(&dst);
        f[34..36].copy_from_slice(&sp.to_be_bytes());
        f[36..38].copy_from_slice(&dp.to_be_bytes());
        f[46] = 0x50;
        f[47] = flags;
        f
    }

    fn d(frame: &[u8]) -> Dissected {
        dissect(1, frame, &mut Vec::new())
    }

    const C: [u8; 4] = [10, 0, 0, 2];
    const S: [u8; 4] = [10, 0, 0, 3];

    #[test]
    fn both_directions_share_one_key() {
        let there = d(&tcp_frame(C, 40000, S, 21, TCP_SYN));
        let back = d(&tcp_frame(S, 21, C, 40000, TCP_SYN | TCP_ACK));
        assert_eq!(there.key, back.key);
        assert_ne!(there.from_a, back.from_a);
        assert_eq!(there.key.proto.to_string(), "tcp");
    }

    #[test]
    fn flows_split_on_idle_timeout_and_on_a_reopened_connection() {
        let mut t = Tracker::new(10.0, 3);
        let syn = d(&tcp_frame(C, 40000, S, 21, TCP_SYN));
        let synack = d(&tcp_frame(S, 21, C, 40000, TCP_SYN | TCP_ACK));
        let fin_c = d(&tcp_frame(C, 40000, S, 21, TCP_FIN | TCP_ACK));
        let fin_s = d(&tcp_frame(S, 21, C, 40000, TCP_FIN | TCP_ACK));
        let s = 1_000_000_000;
        assert_eq!(t.observe(0, 60, &syn, 0).0, 1);
        assert_eq!(t.observe(s, 60, &synack, 1).0, 1);
        assert_eq!(t.observe(2 * s, 60, &fin_c, 0).0, 1);
        assert_eq!(t.observe(3 * s, 60, &fin_s, 1).0, 1);
        // The same ports again after a close: a new connection.
        assert_eq!(t.observe(4 * s, 60, &syn, 0).0, 2);
        // 11 s of silence: a new flow.
        assert_eq!(t.observe(15 * s, 60, &synack, 0).0, 3);
        t.end_all();
        let flows = t.take_finished();
        assert_eq!(
            flows.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let f = &flows[0];
        assert_eq!((f.fwd_packets, f.bwd_packets), (2, 2));
        assert_eq!(f.endpoints().1, 40000, "forward is the SYN's direction");
        assert_eq!(f.sources, vec![0, 1]);
        assert_eq!(f.head.len(), 4, "first_n + 1 packets kept");
        assert!((f.iat_mean - 1.0).abs() < 1e-12 && f.iat_std() < 1e-12);
        assert_eq!(
            flows[2].fwd_from_a, synack.from_a,
            "forward is the first packet's direction"
        );
    }

    #[test]
    fn anything_gets_a_flow() {
        let junk = dissect(147, &[1, 2, 3], &mut Vec::new());
        assert_eq!(junk.key.proto, Proto::Link(147));
        let short = dissect(1, &[0; 5], &mut Vec::new());
        assert_eq!(short.key.proto, Proto::Link(1));
        let mut arp = vec![0u8; 42];
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        arp[16..18].copy_from_slice(&[0x08, 0x00]);
        arp[28..32].copy_from_slice(&C);
        arp[38..42].copy_from_slice(&S);
        let a = dissect(1, &arp, &mut Vec::new());
        assert_eq!(a.key.proto, Proto::Arp);
        assert_eq!(a.key.a, Addr::V4(C));
    }
}
