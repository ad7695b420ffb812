//! The ssh-bruteforce scenario for real: hydra, medusa and ncrack open
//! connection after connection to the victim's sshd (many TCP handshakes
//! to port 22 and SSH version banners from the attacker, far more than one
//! login makes), the found subscenarios report exactly the drawn account's
//! credential and sshd accepts it, the not-found ones exhaust their lists
//! with every guess refused.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

const SEED: u64 = 550;

struct Sub {
    id: &'static str,
    tool: &'static str,
    spray: bool,
    found: bool,
}

const SUBS: &[Sub] = &[
    Sub {
        id: "1",
        tool: "hydra",
        spray: false,
        found: true,
    },
    Sub {
        id: "2",
        tool: "hydra",
        spray: false,
        found: false,
    },
    Sub {
        id: "3",
        tool: "medusa",
        spray: false,
        found: true,
    },
    Sub {
        id: "4",
        tool: "ncrack",
        spray: false,
        found: true,
    },
    Sub {
        id: "5",
        tool: "ncrack",
        spray: true,
        found: true,
    },
    Sub {
        id: "6",
        tool: "medusa",
        spray: true,
        found: false,
    },
];

/// Source ports of the attacker's connection attempts to port 22 (bare
/// SYNs), one per TCP connection.
fn connections(pcap: &Path, attacker: &str) -> BTreeSet<String> {
    tshark(
        pcap,
        &format!(
            "ip.src == {attacker} && tcp.dstport == 22 && tcp.flags.syn == 1 && tcp.flags.ack == 0"
        ),
        &["tcp.srcport"],
    )
    .into_iter()
    .collect()
}

#[test]
fn guessers_hammer_sshd_and_only_the_drawn_account_gets_in() {
    if !docker_required("ssh-bruteforce runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let seed = SEED.to_string();
    let o = detgen(&[
        "run",
        "ssh-bruteforce",
        "--subscenario",
        "all",
        "--seed",
        &seed,
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));

    for sub in SUBS {
        let id = sub.id;
        let mut run = out.path().join(format!("ssh-bruteforce-{id}-0"));
        // A run's 60 s include starting its containers. On a host loaded
        // by other runs that can take most of them, and the attack is cut
        // short ("timeout"): run the same subscenario and seed again, at
        // most twice, alone. An attack that is itself too slow still fails.
        for retry in 1..=2 {
            if manifest(&run).results.as_ref().unwrap().outcome != "timeout" {
                break;
            }
            let again = out.path().join(format!("retry-{id}-{retry}"));
            run = run_scenario(&again, "ssh-bruteforce", id, SEED, &["--force"]);
        }
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        let log = std::fs::read_to_string(run.join("logs/attacker.log")).unwrap();
        let victim_log = std::fs::read_to_string(run.join("logs/victim.log")).unwrap();
        assert_eq!(
            results.outcome, "completed",
            "sub {id} after {} s\n{log}\n{victim_log}",
            results.wall_seconds
        );
        assert_eq!(results.exit_codes["attacker"], 0, "sub {id}\n{log}");
        assert_eq!(m.attack_category.as_deref(), Some("brute-force"));
        assert_eq!(m.services["attacker"].role, "attacker");
        assert_eq!(m.services["victim"].role, "victim");
        let attacker = m.services["attacker"].ip.as_str();
        let victim = m.services["victim"].ip.as_str();
        let user = param(&m, "user");
        let password = param(&m, "password");

        for side in ["attacker", "victim"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            assert!(
                first_tcp_is_syn(&pcap),
                "sub {id} {side}: first TCP packet is not a SYN"
            );
            // Many connections: one login makes one; the lists' guesses
            // need several (MaxAuthTries caps the guesses per connection,
            // and sshd allows no change of user name within one).
            let conns = connections(&pcap, attacker);
            let mut at_least = 4;
            if !sub.found {
                // Every guess is made: at least list / MaxAuthTries
                // connections (one per user name when spraying).
                let guesses = param_int(&m, "list_size");
                let per_conn = param_int(&m, "max_auth_tries");
                at_least = at_least.max((guesses + per_conn - 1) / per_conn);
            }
            if sub.spray {
                at_least = at_least.max(param_int(&m, "users_size"));
            }
            assert!(
                conns.len() as i64 >= at_least,
                "sub {id} {side}: {} connections to port 22, expected >= {at_least}",
                conns.len()
            );
            // Each of them carries an SSH handshake: the attacker's
            // version banner, and sshd's.
            let banners = tshark(&pcap, "ssh.protocol", &["ip.src", "ssh.protocol"]);
            let from = |ip: &str| -> Vec<String> {
                banners
                    .iter()
                    .filter_map(|l| l.split_once('\t'))
                    .filter(|(src, _)| *src == ip)
                    .map(|(_, b)| b.to_string())
                    .collect()
            };
            let ours = from(attacker);
            let theirs = from(victim);
            assert!(
                ours.len() as i64 >= at_least && theirs.len() as i64 >= at_least,
                "sub {id} {side}: banners {banners:?}"
            );
            assert!(
                theirs
                    .iter()
                    .all(|b| b.starts_with("SSH-2.0-OpenSSH_9.2p1 Debian")),
                "sub {id} {side}: {theirs:?}"
            );
            // The tool shows in its banner (medusa's may pose as another client).
            let expected = match sub.tool {
                "hydra" => "SSH-2.0-libssh".to_string(),
                "ncrack" => "SSH-2.0-OpenSSH_7.".to_string(),
                _ => match param(&m, "banner").as_str() {
                    "default" => "SSH-2.0-MEDUSA_".to_string(),
                    b => b.to_string(),
                },
            };
            assert!(
                ours.iter().all(|b| b.starts_with(&expected)),
                "sub {id} {side}: {ours:?}, expected {expected}"
            );
        }

        // The tool's own report, in the attacker's log, and sshd's verdicts.
        assert!(
            log.contains(&format!("running: {} ", sub.tool)),
            "sub {id}: {log}"
        );
        let report = match sub.tool {
            "hydra" => format!("[22][ssh] host: victim   login: {user}   password: {password}"),
            "medusa" => format!(
                "ACCOUNT FOUND: [ssh] Host: victim User: {user} Password: {password} [SUCCESS]"
            ),
            _ => format!("{victim} 22/tcp ssh: '{user}' '{password}'"),
        };
        let failed = victim_log.matches("Failed password for ").count();
        if sub.found {
            assert!(log.contains(&report), "sub {id}: no {report:?} in\n{log}");
            assert!(
                log.contains(&format!("OK: found the password of '{user}'")),
                "sub {id}: {log}"
            );
            assert!(
                victim_log.contains(&format!("Accepted password for {user} from {attacker}")),
                "sub {id}: {victim_log}"
            );
            assert!(failed >= 1, "sub {id}: no refused guess\n{victim_log}");
        } else {
            assert!(!log.contains(&report), "sub {id}: {log}");
            assert!(log.contains("OK: the password of"), "sub {id}: {log}");
            assert!(!victim_log.contains("Accepted password"), "sub {id}");
            let guesses = param_int(&m, "list_size")
                * if sub.spray {
                    param_int(&m, "users_size")
                } else {
                    1
                };
            assert!(
                failed as i64 >= guesses,
                "sub {id}: {failed} refused guesses, expected >= {guesses}\n{victim_log}"
            );
        }
        if sub.spray {
            // Sprayed names that do not exist on the server.
            assert!(
                victim_log.contains("Failed password for invalid user "),
                "sub {id}: {victim_log}"
            );
        }
    }

    // Every run verifies, pcaps included (retries too); labels mark both
    // ends of every run malicious.
    let mut dirs = vec![out.path().to_path_buf()];
    for e in std::fs::read_dir(out.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("retry-")
        {
            dirs.push(p);
        }
    }
    let mut args = vec!["verify"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    let o = detgen(&args);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    let rows: Vec<&str> = labels.lines().skip(1).collect();
    assert_eq!(rows.len(), SUBS.len() * 2, "{labels}");
    assert!(
        rows.iter().all(|r| r.contains(",malicious,brute-force,")),
        "{labels}"
    );
}
