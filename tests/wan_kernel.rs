//! The rendered netem scripts against this machine's kernel, without
//! Docker: in scratch network namespaces joined by a veth pair.
//!
//! - every netem command detgen renders passes tc's own user-space parsing
//!   (arguments and distribution tables): tc then either applies it or the
//!   kernel answers "qdisc kind is unknown", never a usage error;
//! - the fallback (tbf, IFB, iptables `statistic`) applies what it reports
//!   and `inside-remove` leaves no qdisc, device or rule behind.
//!
//! Needs root and iproute2/iptables (scripts/setup-host.sh installs them);
//! DETGEN_SKIP_NETNS=1 skips these tests where neither is available.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn netns_allowed() -> bool {
    if std::env::var("DETGEN_SKIP_NETNS").as_deref() == Ok("1") {
        eprintln!("skipping: DETGEN_SKIP_NETNS=1");
        return false;
    }
    true
}

/// A network namespace pair `<name>-a` / `<name>-b` joined by veth
/// `va`/`vb` (10.98.0.1/24, 10.98.0.2/24), deleted on drop.
struct Pair {
    a: String,
    b: String,
}

fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("ip runs");
    assert!(o.status.success(), "ip {}: {}", args.join(" "), text(&o));
}

impl Pair {
    fn new(name: &str) -> Pair {
        let p = Pair {
            a: format!("{name}-{}-a", std::process::id()),
            b: format!("{name}-{}-b", std::process::id()),
        };
        ip(&["netns", "add", &p.a]);
        ip(&["netns", "add", &p.b]);
        ip(&[
            "link", "add", "va", "netns", &p.a, "type", "veth", "peer", "name", "vb", "netns", &p.b,
        ]);
        ip(&["-n", &p.a, "addr", "add", "10.98.0.1/24", "dev", "va"]);
        ip(&["-n", &p.b, "addr", "add", "10.98.0.2/24", "dev", "vb"]);
        for (ns, dev) in [(&p.a, "va"), (&p.b, "vb")] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        p
    }

    /// Run a command in namespace a.
    fn in_a(&self, envs: &[(&str, &str)], args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.a])
            .args(args)
            .envs(envs.iter().copied())
            .output()
            .expect("ip netns exec runs")
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

fn render_with(out: &Path, scenario: &str, sub: &str, wan: &str) -> std::path::PathBuf {
    let o = detgen(&[
        "render",
        scenario,
        "--subscenario",
        sub,
        "--seed",
        "11",
        "--wan",
        wan,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    out.join(format!("{scenario}-{sub}-0"))
}

/// How tc answered a netem command.
#[derive(Debug, PartialEq)]
enum Answer {
    Applied,
    KernelLacksNetem,
    Refused(String),
}

fn classify(o: &Output) -> Answer {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    if o.status.success() {
        Answer::Applied
    } else if err.contains("Specified qdisc kind is unknown") {
        Answer::KernelLacksNetem
    } else {
        Answer::Refused(err)
    }
}

/// Run one netem line of a rendered script in namespace a, with `$dev` and
/// `$ifb` both naming va and `$seed` empty.
fn try_line(pair: &Pair, run: &Path, line: &str) -> Answer {
    let tables = run.join("netem/dist");
    let script = format!("dev=va; ifb=va; seed=; {line}");
    let o = pair.in_a(
        &[("TC_LIB_DIR", tables.to_str().unwrap())],
        &["sh", "-c", &script],
    );
    let answer = classify(&o);
    let _ = pair.in_a(&[], &["tc", "qdisc", "del", "dev", "va", "root"]);
    answer
}

fn netem_lines(script: &str) -> Vec<String> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tc qdisc add") && l.contains(" netem "))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_rendered_netem_command_passes_tcs_parser() {
    if !netns_allowed() {
        return;
    }
    let pair = Pair::new("detgen-parse");
    let out = tempfile::tempdir().unwrap();
    let presets: Vec<String> = { detgen::wan::presets().into_keys().collect() };
    let mut checked = 0;
    for (i, preset) in presets.iter().enumerate() {
        let run = render_with(&out.path().join(format!("r{i}")), "ftp", "1", preset);
        for svc in ["client", "server"] {
            let script = std::fs::read_to_string(run.join(format!("netem/{svc}.sh"))).unwrap();
            let lines = netem_lines(&script);
            assert!(!lines.is_empty(), "{preset}: no netem command in {svc}.sh");
            for line in lines {
                let answer = try_line(&pair, &run, &line);
                assert!(
                    matches!(answer, Answer::Applied | Answer::KernelLacksNetem),
                    "{preset} {svc}: `{line}` was refused by tc: {answer:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 2 * presets.len(), "{checked}");

    // The check can fail: a malformed time and a missing table are refused
    // by tc's parser before the kernel is asked.
    let run = render_with(&out.path().join("neg"), "ftp", "1", "dsl");
    let bad = "tc qdisc add dev \"$dev\" root netem delay '10xs'";
    assert!(matches!(try_line(&pair, &run, bad), Answer::Refused(_)));
    let bad = "tc qdisc add dev \"$dev\" root netem delay 10ms 2ms distribution 'detgen-missing'";
    assert!(matches!(try_line(&pair, &run, bad), Answer::Refused(_)));
}

fn lines_of(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn show(pair: &Pair, args: &[&str]) -> String {
    let o = pair.in_a(&[], args);
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn fallback_applies_what_it_reports_and_removes_everything() {
    if !netns_allowed() {
        return;
    }
    let pair = Pair::new("detgen-fallback");
    let out = tempfile::tempdir().unwrap();
    // `mobile` draws rate, loss, delay, jitter and reordering both ways.
    let run = render_with(out.path(), "ftp", "1", "mobile");
    let script = run.join("netem/client.sh");
    let script = script.to_str().unwrap();
    let env = [("DEV", "va")];
    for round in 0..2 {
        // twice: apply is idempotent
        let o = pair.in_a(&env, &["sh", script, "inside-apply", "--fallback"]);
        assert!(o.status.success(), "round {round}: {}", text(&o));
        let lines = lines_of(&o);
        for side in ["egress", "ingress"] {
            for field in ["rate_kbit", "loss_pct"] {
                assert!(
                    lines
                        .iter()
                        .any(|l| l.starts_with(&format!("applied {side} {field} "))),
                    "{side} {field} not reported applied: {lines:?}"
                );
            }
            for field in ["delay_ms", "jitter_ms"] {
                assert!(
                    lines
                        .iter()
                        .any(|l| l.starts_with(&format!("skipped {side} {field} "))
                            && l.contains("no netem")),
                    "{side} {field} not reported skipped: {lines:?}"
                );
            }
            assert!(!lines
                .iter()
                .any(|l| l.starts_with("applied") && l.contains("delay")));
        }
        let egress = show(&pair, &["tc", "qdisc", "show", "dev", "va"]);
        assert!(egress.contains("qdisc tbf 1: root"), "{egress}");
        assert!(egress.contains("qdisc ingress ffff:"), "{egress}");
        let ifb = show(&pair, &["tc", "qdisc", "show", "dev", "detgen-ifb"]);
        assert!(ifb.contains("qdisc tbf 1: root"), "{ifb}");
        let mangle = show(&pair, &["iptables", "-w", "-t", "mangle", "-S"]);
        assert!(
            mangle.contains("-A OUTPUT -j DETGEN-WAN-EGRESS"),
            "{mangle}"
        );
        assert!(mangle.contains("--mode random --probability"), "{mangle}");
        let rules = show(&pair, &["iptables", "-w", "-S"]);
        assert!(rules.contains("-A INPUT -j DETGEN-WAN-INGRESS"), "{rules}");
        assert!(rules.contains("--mode random --probability"), "{rules}");
        let routing = show(&pair, &["ip", "rule", "show"]);
        assert!(routing.contains("fwmark 0xd37 lookup 3370"), "{routing}");
    }
    // The reported rates are the drawn ones in the manifest.
    let manifest: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(run.join("manifest.yaml")).unwrap())
            .unwrap();
    let drawn = manifest["wan"]["services"]["client"]["links"]["egress"]["rate_kbit"]
        .as_u64()
        .unwrap();
    let egress = show(&pair, &["tc", "qdisc", "show", "dev", "va"]);
    let shown = format!("rate {}", tc_rate(drawn));
    assert!(egress.contains(&shown), "`{shown}` not in {egress}");

    let o = pair.in_a(&env, &["sh", script, "inside-remove"]);
    assert!(o.status.success(), "{}", text(&o));
    let egress = show(&pair, &["tc", "qdisc", "show", "dev", "va"]);
    assert!(
        !egress.contains("tbf") && !egress.contains("ingress"),
        "{egress}"
    );
    let links = show(&pair, &["ip", "link", "show"]);
    assert!(!links.contains("detgen-ifb"), "{links}");
    for table in ["filter", "mangle"] {
        let rules = show(&pair, &["iptables", "-w", "-t", table, "-S"]);
        assert!(!rules.contains("DETGEN"), "{rules}");
    }
    let routing = show(&pair, &["ip", "rule", "show"]);
    assert!(!routing.contains("0xd37"), "{routing}");
    let table = show(&pair, &["ip", "route", "show", "table", "3370"]);
    assert!(table.trim().is_empty(), "{table}");
}

/// How tc prints a rate given in kbit/s (e.g. 33893 -> 33893Kbit, 40000 ->
/// 40Mbit).
fn tc_rate(kbit: u64) -> String {
    if kbit % 1000 == 0 {
        format!("{}Mbit", kbit / 1000)
    } else {
        format!("{kbit}Kbit")
    }
}
