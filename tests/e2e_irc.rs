//! The IRC scenario for real: all three subscenarios run under Docker, each
//! capture begins with the TCP handshake, the clients register (NICK,
//! USER), join the drawn channel and talk (PRIVMSG) under the drawn
//! nicknames, the DCC file crosses a second TCP connection straight
//! between the clients byte for byte, and the channel operations are on
//! the wire.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;
use detgen::sample::Value;

const SEED: &str = "730";

/// Both nicknames, as the spec makes them distinct.
fn nicks(m: &Manifest) -> (String, String) {
    let (n1, n2) = (param(m, "nick1"), param(m, "nick2"));
    if n1 != n2 {
        return (n1, n2);
    }
    let stem = &n2[..n2.len() - 1];
    let other = if n2.ends_with('z') {
        format!("{stem}y")
    } else {
        format!("{stem}z")
    };
    (n1, other)
}

/// The TCP payload of the packets matching a filter, one byte string per
/// TCP stream, in sequence order (retransmissions dropped).
fn streams(pcap: &Path, filter: &str) -> BTreeMap<u64, Vec<u8>> {
    let filter = format!("tcp.len > 0 && ({filter})");
    let mut segs: BTreeMap<(u64, u64), Vec<u8>> = BTreeMap::new();
    for line in tshark(pcap, &filter, &["tcp.stream", "tcp.seq", "tcp.payload"]) {
        let f: Vec<&str> = line.split('\t').collect();
        let hex: String = f[2].chars().filter(|c| c.is_ascii_hexdigit()).collect();
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        segs.entry((f[0].parse().unwrap(), f[1].parse().unwrap()))
            .or_insert(bytes);
    }
    let mut out: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for ((stream, seq), bytes) in segs {
        let data = out.entry(stream).or_default();
        assert_eq!(
            seq,
            data.len() as u64 + 1,
            "a gap in TCP stream {stream} of {}",
            pcap.display()
        );
        data.extend(bytes);
    }
    out
}

/// The IRC commands tshark dissects as requests (client to server).
fn dissected_commands(pcap: &Path) -> BTreeSet<String> {
    tshark(pcap, "irc.request", &["irc.request.command"])
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::to_string)
        .collect()
}

/// Every request the clients sent to the server, from the reassembled
/// streams to port 6667: command -> the rest of each line.
fn requests(pcap: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for data in streams(pcap, "tcp.dstport == 6667").values() {
        for line in String::from_utf8_lossy(data).split("\r\n") {
            if line.is_empty() {
                continue;
            }
            let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
            out.entry(cmd.to_string())
                .or_default()
                .push(rest.to_string());
        }
    }
    out
}

#[test]
fn irc_subscenarios_talk_send_files_and_run_the_channel() {
    if !docker_required("irc runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "irc",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3"] {
        let run = out.path().join(format!("irc-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "irc {sub}\n{}",
            logs_tail(&run, 40)
        );
        for c in ["client1", "client2"] {
            assert_eq!(results.exit_codes[c], 0, "irc {sub} {c}");
        }
        for side in ["client1", "client2", "server"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "irc {sub} {side}: first TCP packet is not a SYN"
            );
        }
        let (nick1, nick2) = nicks(&m);
        let chan = format!("#{}", param(&m, "channel"));
        // the server sees both clients' requests, and tshark dissects them
        let server = run.join("pcap/server.pcap");
        let dissected = dissected_commands(&server);
        for c in ["NICK", "USER", "JOIN", "PRIVMSG", "PART", "QUIT"] {
            assert!(dissected.contains(c), "irc {sub}: no {c} in {dissected:?}");
        }
        let req = requests(&server);
        for n in [&nick1, &nick2] {
            assert!(
                req["NICK"].iter().any(|p| p.trim() == n),
                "irc {sub}: no NICK {n} in {:?}",
                req["NICK"]
            );
        }
        assert!(req["USER"].len() == 2, "irc {sub}: USER {:?}", req["USER"]);
        assert!(
            req["JOIN"]
                .iter()
                .all(|p| p == &chan || p.starts_with(&format!("{chan} "))),
            "irc {sub}: JOIN {:?} is not {chan}",
            req["JOIN"]
        );
        assert!(
            req["PRIVMSG"]
                .iter()
                .any(|p| p.starts_with(&format!("{chan} :"))),
            "irc {sub}: no PRIVMSG to {chan} in {:?}",
            req["PRIVMSG"]
        );
        // each client's capture holds what the server relayed from the other
        for (side, other) in [("client1", &nick2), ("client2", &nick1)] {
            let relayed = tshark(
                &run.join(format!("pcap/{side}.pcap")),
                "irc.response.command == \"PRIVMSG\"",
                &["irc.response.prefix"],
            );
            assert!(
                relayed.iter().any(|p| p.starts_with(&format!("{other}!"))),
                "irc {sub} {side}: nothing relayed from {other}: {relayed:?}"
            );
        }
        match sub {
            "1" => {
                // one PRIVMSG per drawn line of the conversation
                let lines = param_int(&m, "lines") as usize;
                assert_eq!(req["PRIVMSG"].len(), lines, "irc 1: {:?}", req["PRIVMSG"]);
                // and at least one of them private, to the other's nickname
                assert!(
                    req["PRIVMSG"]
                        .iter()
                        .any(|p| p.starts_with(&format!("{nick1} :"))
                            || p.starts_with(&format!("{nick2} :"))),
                    "irc 1: no private message in {:?}",
                    req["PRIVMSG"]
                );
            }
            "2" => check_dcc(&run, &m, &req, &nick2),
            _ => {
                for c in ["NAMES", "TOPIC", "MODE", "KICK"] {
                    assert!(dissected.contains(c), "irc 3: no {c} in {dissected:?}");
                }
                // two nicknames at registration, then the change; three JOINs
                // (client2 rejoins after the kick)
                assert_eq!(req["NICK"].len(), 3, "irc 3: {:?}", req["NICK"]);
                assert_eq!(req["JOIN"].len(), 3, "irc 3: {:?}", req["JOIN"]);
                let new_nick = format!("{nick2}{}", param(&m, "nick_suffix"));
                assert!(
                    req["NICK"].iter().any(|p| p.trim() == new_nick),
                    "irc 3: {:?}",
                    req["NICK"]
                );
                assert!(
                    req["KICK"][0].starts_with(&format!("{chan} {new_nick} :")),
                    "irc 3: {:?}",
                    req["KICK"]
                );
                assert_eq!(req["TOPIC"].len(), 2, "irc 3: {:?}", req["TOPIC"]);
            }
        }
    }
    // every run verifies, pcaps included
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 3 * 3, "{labels}");
}

/// DCC SEND: the offer goes through the server as CTCP, and the file's
/// bytes cross a direct client1 -> client2 connection, intact.
fn check_dcc(run: &Path, m: &Manifest, req: &BTreeMap<String, Vec<String>>, nick2: &str) {
    let Value::Files(files) = &m.parameters["dcc_file"].value else {
        panic!("dcc_file is not a file set")
    };
    let name = &files[0].name;
    let original = std::fs::read(run.join("data/dcc_file").join(name)).unwrap();
    let offer = format!("{nick2} :\u{1}DCC SEND {name} ");
    assert!(
        req["PRIVMSG"].iter().any(|p| p.starts_with(&offer)),
        "irc 2: no DCC SEND of {name} to {nick2} in {:?}",
        req["PRIVMSG"]
    );
    let c1 = &m.services["client1"].ip;
    let c2 = &m.services["client2"].ip;
    let port = param_int(m, "dcc_port");
    // the listening end is client1 (active DCC) or client2 (passive)
    let listener = if param(m, "dcc_mode") == "active" {
        c1
    } else {
        c2
    };
    for side in ["client1", "client2"] {
        let pcap = run.join(format!("pcap/{side}.pcap"));
        let syn = tshark(
            &pcap,
            &format!(
                "tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.dst == {listener} && tcp.dstport == {port}"
            ),
            &["frame.number"],
        );
        assert_eq!(syn.len(), 1, "irc 2 {side}: the DCC connection's SYN");
        // one direct connection between the clients: the file one way ...
        let data = streams(&pcap, &format!("ip.src == {c1} && ip.dst == {c2}"));
        assert_eq!(data.len(), 1, "irc 2 {side}: DCC streams");
        let got = data.into_values().next().unwrap();
        assert_eq!(got.len(), original.len(), "irc 2 {side}: DCC bytes");
        assert!(got == original, "irc 2 {side}: the DCC bytes differ");
        // ... and the 32-bit acknowledgements back, the last one the size
        let acks = streams(&pcap, &format!("ip.src == {c2} && ip.dst == {c1}"));
        let acks = acks.into_values().next().unwrap();
        assert_eq!(acks.len() % 4, 0, "irc 2 {side}: acks");
        let last = u32::from_be_bytes(acks[acks.len() - 4..].try_into().unwrap());
        assert_eq!(last as usize, original.len(), "irc 2 {side}: last ack");
    }
}
