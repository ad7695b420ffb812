//! The mirai scenario for real: the infected devices register with the CNC
//! and heartbeat, the operator's telnet session types the attack, the
//! binary attack command reaches every bot, and the victim's capture holds
//! the flood (UDP datagrams, SYNs that never complete a handshake, bare
//! ACKs) from exactly the infected devices at their capped rate; the telnet
//! scanners sweep the network with Mirai's SYNs, brute-force the device,
//! and report the working logins (none when the password was changed).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;

const SEED: &str = "969";
/// The device's logins in this test: heavy in Mirai's table, so that the
/// scanners' random picks find one within the run (the scenario draws them).
const ACCOUNTS: &[&str] = &["root:xc3511", "admin:admin", "support:support"];

/// tshark's fields of the packets matching a filter, split.
fn rows(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    tshark(pcap, filter, fields)
        .iter()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    let h: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// One TCP segment with a payload.
struct Seg {
    src: String,
    dst: String,
    sport: u16,
    dport: u16,
    stream: u64,
    seq: u64,
    data: Vec<u8>,
}

/// Every TCP segment with a payload in a capture.
fn segments(pcap: &Path) -> Vec<Seg> {
    let fields = [
        "ip.src",
        "ip.dst",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.stream",
        "tcp.seq",
        "tcp.payload",
    ];
    rows(pcap, "tcp.len > 0 && !icmp", &fields)
        .into_iter()
        .map(|f| Seg {
            src: f[0].clone(),
            dst: f[1].clone(),
            sport: f[2].parse().unwrap(),
            dport: f[3].parse().unwrap(),
            stream: f[4].parse().unwrap(),
            seq: f[5].parse().unwrap(),
            data: hex(&f[6]),
        })
        .collect()
}

/// The bytes of the selected segments, one string per TCP stream, in
/// sequence order (retransmissions dropped).
fn streams(segs: &[Seg], pick: impl Fn(&Seg) -> bool) -> BTreeMap<u64, Vec<u8>> {
    let mut by_seq: BTreeMap<(u64, u64), &[u8]> = BTreeMap::new();
    for s in segs.iter().filter(|s| pick(s)) {
        by_seq.entry((s.stream, s.seq)).or_insert(&s.data);
    }
    let mut out: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for ((stream, seq), bytes) in by_seq {
        let data = out.entry(stream).or_default();
        assert_eq!(seq, data.len() as u64 + 1, "a gap in TCP stream {stream}");
        data.extend(bytes);
    }
    out
}

fn joined(segs: &[Seg], pick: impl Fn(&Seg) -> bool) -> Vec<u8> {
    streams(segs, pick).into_values().flatten().collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn ip_bytes(ip: &str) -> Vec<u8> {
    ip.split('.').map(|o| o.parse::<u8>().unwrap()).collect()
}

/// The messages the CNC sent a bot: heartbeat echoes and attack commands
/// (duration, vector, targets).
type Attack = (u32, u8, Vec<String>);
fn cnc_messages(data: &[u8]) -> (usize, Vec<Attack>) {
    let (mut echoes, mut attacks, mut pos) = (0, Vec::new(), 0);
    while pos + 2 <= data.len() {
        let len = u16::from_be_bytes([data[pos], data[pos + 1]]) as usize;
        if len == 0 {
            echoes += 1;
            pos += 2;
            continue;
        }
        let body = &data[pos + 2..pos + len];
        let duration = u32::from_be_bytes(body[0..4].try_into().unwrap());
        let targets = (0..body[5] as usize)
            .map(|t| {
                let b = &body[6 + 5 * t..11 + 5 * t];
                format!("{}.{}.{}.{}/{}", b[0], b[1], b[2], b[3], b[4])
            })
            .collect();
        attacks.push((duration, body[4], targets));
        pos += len;
    }
    assert_eq!(pos, data.len(), "a truncated CNC message");
    (echoes, attacks)
}

#[test]
fn mirai_bots_obey_the_cnc_flood_the_victim_and_scan_for_telnet() {
    if !docker_required("mirai runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // Runs may last 180 s: on a busy host starting the containers alone can
    // take most of the spec's 60.
    let o = detgen(&[
        "run",
        "mirai",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--duration",
        "180",
        "--set",
        "device_root=xc3511",
        "--set",
        "device_admin=admin",
        "--set",
        "device_extra=support:support",
        "--set",
        "scan_pps=160",
        "--set",
        "scan_seconds=12",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3", "4", "5"] {
        let run = out.path().join(format!("mirai-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "mirai {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(m.attack_category.as_deref(), Some("botnet"));
        // four devices, one copy of the bot service each
        assert_eq!(copies(&m, "bot"), ["bot-1", "bot-2", "bot-3", "bot-4"]);
        for w in ["operator", "bot-1", "bot-2", "bot-3", "bot-4"] {
            assert_eq!(results.exit_codes[w], 0, "mirai {sub} {w}");
        }
        let ip = |s: &str| m.services[s].ip.clone();
        let (cnc, victim, operator) = (ip("cnc"), ip("victim"), ip("operator"));
        let n = param_int(&m, "bots") as usize;
        let bots: Vec<String> = (1..=n).map(|k| ip(&format!("bot-{k}"))).collect();
        for side in ["cnc", "operator", "bot-1"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(first_tcp_is_syn(&pcap), "mirai {sub} {side}: first TCP");
        }
        // The CNC is called by the infected devices and the operator only:
        // the idle devices never connect (their kernels still answer scans).
        let cnc_pcap = run.join("pcap/cnc.pcap");
        let callers: BTreeSet<String> = tshark(
            &cnc_pcap,
            &format!("tcp.flags == 0x002 && ip.dst == {cnc}"),
            &["ip.src"],
        )
        .into_iter()
        .collect();
        let mut want: BTreeSet<String> = bots.iter().cloned().collect();
        want.insert(operator.clone());
        assert_eq!(callers, want, "mirai {sub}: who called the CNC");
        // every infected bot registers with its id, heartbeats and hears
        // back; the CNC's commands to each are collected
        let segs = segments(&cnc_pcap);
        let mut commands = Vec::new();
        for (k, bot) in bots.iter().enumerate() {
            let up = streams(&segs, |s| &s.src == bot && s.dport == 23);
            assert_eq!(up.len(), 1, "mirai {sub} bot-{}: CNC sessions", k + 1);
            let up = up.into_values().next().unwrap();
            let id = param(&m, &format!("bot-{}.bot_id", k + 1));
            let mut hello = vec![0, 0, 0, 1, id.len() as u8];
            hello.extend(id.as_bytes());
            assert!(
                up.starts_with(&hello),
                "mirai {sub} bot-{}: {up:02x?}",
                k + 1
            );
            let beats = &up[hello.len()..];
            assert!(
                !beats.is_empty() && beats.iter().all(|b| *b == 0) && beats.len() % 2 == 0,
                "mirai {sub} bot-{}: heartbeats {beats:02x?}",
                k + 1
            );
            let (echoes, attacks) =
                cnc_messages(&joined(&segs, |s| &s.dst == bot && s.sport == 23));
            assert!(
                echoes >= 1,
                "mirai {sub} bot-{}: no heartbeat echoed",
                k + 1
            );
            commands.push(attacks);
        }
        // the operator's telnet session: one key per segment, the account
        // typed, the CNC's title counting the bots, its prompt
        let typed = joined(&segs, |s| s.src == operator && s.dport == 23);
        let user = param(&m, "cnc_user");
        assert!(contains(&typed, user.as_bytes()), "mirai {sub}: {typed:?}");
        let keys = segs
            .iter()
            .filter(|s| s.src == operator && s.data.len() == 1)
            .count();
        assert!(
            keys > user.len() + 8,
            "mirai {sub}: {keys} one-key segments"
        );
        let shown = joined(&segs, |s| s.dst == operator);
        let title = format!("\x1b]0;{n} Bots Connected | {user}\x07");
        assert!(contains(&shown, title.as_bytes()), "mirai {sub}: no title");
        assert!(contains(&shown, b"@botnet# "), "mirai {sub}: no prompt");
        if sub == "4" || sub == "5" {
            for attacks in &commands {
                assert!(attacks.is_empty(), "mirai {sub}: {attacks:?}");
            }
            check_scan(&run, &m, sub, &bots, &segs);
            continue;
        }
        // the attack line typed, and its command sent to every bot
        let (vector, id) = match sub {
            "1" => ("udp", 0),
            "2" => ("syn", 3),
            _ => ("ack", 4),
        };
        let seconds = param_int(&m, "attack_seconds");
        let line = format!("{vector} {victim} {seconds}");
        if param(&m, "launch") == "api" {
            // one line to the API port, with the key; `OK` back
            let key = param(&m, "api_key");
            let sent = joined(&segs, |s| s.src == operator && s.dport == 101);
            let want = format!("{key}|{line}");
            assert!(sent.starts_with(want.as_bytes()), "mirai {sub}: {sent:?}");
            let back = joined(&segs, |s| s.dst == operator && s.sport == 101);
            assert_eq!(back, b"OK\r\n", "mirai {sub}: the API answered");
            assert!(!contains(&typed, line.as_bytes()), "mirai {sub}: typed too");
        } else {
            assert!(contains(&typed, line.as_bytes()), "mirai {sub}: {typed:?}");
        }
        for (k, attacks) in commands.iter().enumerate() {
            let want = vec![(seconds as u32, id, vec![format!("{victim}/32")])];
            assert_eq!(attacks, &want, "mirai {sub} bot-{}", k + 1);
        }
        check_flood(&run, &m, sub, vector, &bots);
    }
    // every run verifies, pcaps included; labels cover all seven services
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 5 * 7, "{labels}");
}

/// The flood in the victim's capture: from exactly the infected devices, at
/// most their capped rate, with Mirai's packet layout and the drawn ports
/// and payload.
fn check_flood(run: &Path, m: &Manifest, sub: &str, vector: &str, bots: &[String]) {
    let victim = &m.services["victim"].ip;
    let fields = [
        "ip.src",
        "ip.proto",
        "tcp.flags",
        "udp.srcport",
        "udp.dstport",
        "udp.length",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.len",
        "tcp.window_size_value",
        "tcp.hdr_len",
        "tcp.options.mss_val",
        "tcp.options.wscale.shift",
        "ip.flags.df",
    ];
    // (not the copies of the flood inside the victim's ICMP errors)
    let packets = rows(
        &run.join("pcap/victim.pcap"),
        &format!("(ip.dst == {victim} || ip.src == {victim}) && !icmp && !arp"),
        &fields,
    );
    let len = if param(m, "payload") == "set" {
        param_int(m, "payload_len")
    } else {
        512
    };
    let (mut per_bot, mut sports, mut dports) = (BTreeMap::new(), BTreeSet::new(), BTreeSet::new());
    let mut resets = 0;
    for f in &packets {
        if &f[0] == victim {
            resets += usize::from(f[2] == "0x0004" || f[2] == "0x0014");
            continue;
        }
        assert!(bots.contains(&f[0]), "mirai {sub}: a packet from {}", f[0]);
        let (sport, dport) = match vector {
            "udp" => {
                assert_eq!(f[1], "17", "mirai {sub}: {f:?}");
                assert_eq!(f[5], (len + 8).to_string(), "mirai {sub}: {f:?}");
                (&f[3], &f[4])
            }
            "syn" => {
                // SYN only, window 0, Mirai's 20 bytes of options, DF
                assert_eq!(f[2], "0x0002", "mirai {sub}: {f:?}");
                let mss: u16 = f[11].parse().unwrap();
                assert!((1400..1416).contains(&mss), "mirai {sub}: {f:?}");
                assert_eq!(
                    [&f[9], &f[10], &f[12], &f[13]],
                    ["0", "40", "6", "1"],
                    "mirai {sub}: {f:?}"
                );
                (&f[6], &f[7])
            }
            _ => {
                // a bare ACK with the payload, outside any handshake
                assert_eq!(f[2], "0x0010", "mirai {sub}: {f:?}");
                assert_eq!(f[8], len.to_string(), "mirai {sub}: {f:?}");
                (&f[6], &f[7])
            }
        };
        *per_bot.entry(f[0].clone()).or_insert(0usize) += 1;
        sports.insert(sport.clone());
        dports.insert(dport.clone());
    }
    assert_eq!(
        per_bot.len(),
        bots.len(),
        "mirai {sub}: flooders {per_bot:?}"
    );
    let most = (param_int(m, "pps") * param_int(m, "attack_seconds")) as usize;
    for (bot, sent) in &per_bot {
        assert!(
            *sent * 4 >= most && *sent <= most + most / 10 + 10,
            "mirai {sub}: {bot} sent {sent}, the cap allows {most}"
        );
    }
    let dport = param(m, "dport");
    if dport == "random" {
        assert!(dports.len() > 100, "mirai {sub}: {} ports", dports.len());
    } else {
        assert_eq!(dports, BTreeSet::from([dport]), "mirai {sub}");
    }
    if param(m, "sport") == "random" {
        assert!(sports.len() > 100, "mirai {sub}: {} ports", sports.len());
    } else {
        assert_eq!(
            sports,
            BTreeSet::from([param(m, "sport_value")]),
            "mirai {sub}"
        );
    }
    if vector != "udp" {
        assert!(resets > 0, "mirai {sub}: the victim never reset");
    }
}

/// The telnet scan: Mirai's SYN sweep, brute-force logins on the device,
/// and the reports of working logins (none when the password was changed).
fn check_scan(run: &Path, m: &Manifest, sub: &str, bots: &[String], cnc_segs: &[Seg]) {
    let victim = &m.services["victim"].ip;
    // bot1's sweep: raw SYNs without options, the target's address as
    // sequence number, to 23 and (every tenth) 2323; SYNs to empty
    // addresses stop at the bot's ARP requests for them
    let bot1 = &bots[0];
    let sweep = rows(
        &run.join("pcap/bot-1.pcap"),
        &format!(
            "(ip.src == {bot1} && tcp.flags == 0x002 && tcp.hdr_len == 20) || (arp.opcode == 1 && arp.src.proto_ipv4 == {bot1})"
        ),
        &["ip.dst", "tcp.dstport", "tcp.seq_raw", "arp.dst.proto_ipv4"],
    );
    let (mut syns, mut total, mut to_2323) = (BTreeSet::new(), 0, 0);
    let mut asked = BTreeSet::new();
    for f in &sweep {
        if f[0].is_empty() {
            asked.insert(f[3].clone());
            continue;
        }
        let seq = u32::from_be_bytes(ip_bytes(&f[0]).try_into().unwrap());
        assert_eq!(f[2], seq.to_string(), "mirai {sub}: {f:?}");
        match f[1].as_str() {
            "23" => {}
            "2323" => to_2323 += 1,
            p => panic!("mirai {sub}: a scan SYN to port {p}"),
        }
        syns.insert(f[0].clone());
        total += 1;
    }
    assert!(syns.contains(victim), "mirai {sub}: bot1 missed the victim");
    assert!(
        to_2323 >= 1 && to_2323 * 4 < total,
        "mirai {sub}: {to_2323} of {total} SYNs to 2323"
    );
    assert!(
        asked.len() > 100,
        "mirai {sub}: ARP for {} addresses",
        asked.len()
    );
    // every bot sweeps and logs into the device's telnet
    let vpcap = run.join("pcap/victim.pcap");
    let syn_rows = rows(
        &vpcap,
        &format!("tcp.flags == 0x002 && ip.dst == {victim} && tcp.dstport == 23"),
        &["ip.src", "tcp.hdr_len"],
    );
    for bot in bots {
        let raw = syn_rows
            .iter()
            .filter(|f| &f[0] == bot && f[1] == "20")
            .count();
        let logins = syn_rows
            .iter()
            .filter(|f| &f[0] == bot && f[1] != "20")
            .count();
        assert!(
            raw >= 1 && logins >= 1,
            "mirai {sub} {bot}: {raw} SYNs, {logins} logins"
        );
    }
    let segs = segments(&vpcap);
    let shown = streams(&segs, |s| &s.src == victim && s.sport == 23);
    let all: Vec<u8> = shown.values().flatten().copied().collect();
    assert!(contains(&all, b" login: "), "mirai {sub}: no login prompt");
    assert!(
        contains(&all, b"Login incorrect"),
        "mirai {sub}: no refusal"
    );
    let typed = joined(&segs, |s| bots.contains(&s.src) && s.dport == 23);
    for word in ["enable\r\n", "system\r\n", "shell\r\n", "sh\r\n"] {
        assert!(
            contains(&typed, word.as_bytes()),
            "mirai {sub}: no {word:?}"
        );
    }
    let working = shown
        .values()
        .filter(|s| contains(s, b"MIRAI: applet not found"))
        .count();
    let reports = streams(cnc_segs, |s| s.dport == 48101);
    if sub == "5" {
        assert_eq!(working, 0, "mirai 5: a login worked");
        assert!(reports.is_empty(), "mirai 5: reports {reports:?}");
        return;
    }
    assert!(working >= 1, "mirai 4: no login worked");
    assert_eq!(reports.len(), working, "mirai 4: reports");
    for r in reports.values() {
        let mut want = vec![0];
        want.extend(ip_bytes(victim));
        want.extend([0, 23]);
        assert!(r.starts_with(&want), "mirai 4: report {r:02x?}");
        let u = r[7] as usize;
        let p = r[8 + u] as usize;
        assert_eq!(r.len(), 9 + u + p, "mirai 4: report {r:02x?}");
        let login = format!(
            "{}:{}",
            String::from_utf8_lossy(&r[8..8 + u]),
            String::from_utf8_lossy(&r[9 + u..])
        );
        assert!(
            ACCOUNTS.contains(&login.as_str()),
            "mirai 4: reported {login}"
        );
    }
}
