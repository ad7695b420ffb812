//! WAN emulation at run time: probe the kernel, then apply and remove the
//! rendered `netem/<service>.sh` scripts and record what they applied.
//!
//! The scripts hold every tc and iptables command; this module only decides
//! the mode (netem, or the rate-and-loss fallback) from a probe and reads
//! the scripts' `applied` / `skipped` lines into the run's results, so the
//! record is what was done, never what was merely drawn.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::manifest::{setting_value, Manifest, NotApplied, WanResults};
use crate::wan::Side;

/// How the netem scripts are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything drawn, with netem.
    Netem,
    /// Rate limits (tbf) and loss (iptables `statistic`) only.
    Fallback,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Netem => "netem",
            Mode::Fallback => "fallback",
        }
    }
}

/// What the kernel offers for WAN emulation, found in a scratch network
/// namespace. `Err` holds what the kernel or tool answered.
#[derive(Debug, Clone)]
pub struct Probe {
    pub kernel: String,
    pub netem: Result<(), String>,
    pub tbf: Result<(), String>,
    pub ifb: Result<(), String>,
    pub statistic: Result<(), String>,
}

/// The host cannot emulate what a run asks for (exit code 5).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

fn attempt(sh: &Shell, ns: &str, args: &[&str]) -> Result<(), String> {
    let out = cmd!(sh, "ip netns exec {ns} {args...}")
        .quiet()
        .ignore_status()
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(if text.is_empty() {
            format!("`{}` failed ({})", args.join(" "), out.status)
        } else {
            text
        })
    }
}

/// Probe the kernel in a throwaway network namespace: netem, tbf, IFB and
/// the iptables `statistic` match, each tried for real on its loopback.
pub fn probe() -> Result<Probe> {
    let sh = Shell::new()?;
    let kernel = cmd!(sh, "uname -r").quiet().read().unwrap_or_default();
    static PROBES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let ns = format!("detgen-probe-{}-{n}", std::process::id());
    cmd!(sh, "ip netns add {ns}")
        .quiet()
        .ignore_stderr()
        .run()
        .context(
            "cannot create a network namespace to probe for netem \
             (WAN emulation needs root and iproute2's `ip netns`)",
        )?;
    let result = (|| {
        attempt(&sh, &ns, &["ip", "link", "set", "lo", "up"])
            .map_err(|e| anyhow::anyhow!("probe namespace: {e}"))?;
        let netem = attempt(
            &sh,
            &ns,
            &[
                "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
            ],
        );
        let _ = attempt(&sh, &ns, &["tc", "qdisc", "del", "dev", "lo", "root"]);
        let tbf = attempt(
            &sh,
            &ns,
            &[
                "tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "1mbit", "burst",
                "32kbit", "latency", "50ms",
            ],
        );
        let ifb = attempt(
            &sh,
            &ns,
            &["ip", "link", "add", "detgen-ifb", "type", "ifb"],
        );
        let statistic = attempt(
            &sh,
            &ns,
            &[
                "iptables",
                "-w",
                "-A",
                "OUTPUT",
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                "0.5",
                "-j",
                "ACCEPT",
            ],
        );
        Ok(Probe {
            kernel: kernel.clone(),
            netem,
            tbf,
            ifb,
            statistic,
        })
    })();
    let _ = cmd!(sh, "ip netns del {ns}").quiet().ignore_stderr().run();
    result
}

/// Pick the mode for runs that shape links: netem where the kernel has it;
/// otherwise the fallback, if allowed and able to apply what is drawn.
pub fn decide(probe: &Probe, manifests: &[&Manifest], allow_fallback: bool) -> Result<Mode> {
    let Err(why) = &probe.netem else {
        return Ok(Mode::Netem);
    };
    if !allow_fallback {
        return Err(Unsupported(format!(
            "WAN emulation needs the kernel's netem qdisc (module sch_netem, \
             CONFIG_NET_SCH_NETEM), and this kernel ({}) has none: in a scratch \
             network namespace, `tc qdisc add dev lo root netem delay 1ms` answered \
             \"{why}\". Load it with `modprobe sch_netem` or use a kernel that has it; \
             or render with `--wan off`; or pass `--wan-fallback` to apply only rate \
             limits (tbf) and loss (iptables statistic), with the rest recorded as not \
             applied.",
            probe.kernel
        ))
        .into());
    }
    let links = manifests
        .iter()
        .flat_map(|m| m.wan.services.values())
        .flat_map(|s| s.links.iter());
    for (side, link) in links {
        let mut needs: Vec<(&str, &Result<(), String>)> = Vec::new();
        if link.rate_kbit.is_some() {
            needs.push(("tbf", &probe.tbf));
            if *side == Side::Ingress {
                needs.push(("ifb", &probe.ifb));
            }
        }
        if link.loss_pct != 0.0 {
            needs.push(("the iptables statistic match", &probe.statistic));
        }
        for (what, ok) in needs {
            if let Err(e) = ok {
                return Err(Unsupported(format!(
                    "--wan-fallback needs {what}, which this host ({}) refused: {e}",
                    probe.kernel
                ))
                .into());
            }
        }
    }
    Ok(Mode::Fallback)
}

type BySide<T> = BTreeMap<String, BTreeMap<String, BTreeMap<String, T>>>;

/// Apply every shaped service's script; returns what they report.
pub fn apply(sh: &Shell, manifest: &Manifest, mode: Mode, kernel: &str) -> Result<WanResults> {
    let mut applied: BySide<serde_json::Value> = BTreeMap::new();
    let mut not_applied: BySide<NotApplied> = BTreeMap::new();
    for (service, ws) in &manifest.wan.services {
        let script = &ws.script;
        let flag: &[&str] = match mode {
            Mode::Netem => &[],
            Mode::Fallback => &["--fallback"],
        };
        let out = cmd!(sh, "sh {script} apply {flag...}")
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("running {script}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "{script} apply failed ({}): {}{}",
                out.status,
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        for line in stdout.lines() {
            let mut words = line.split_whitespace();
            let (Some(kind), Some(side), Some(field), Some(value)) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                continue;
            };
            let reason: Vec<&str> = words.collect();
            match kind {
                "applied" => {
                    entry(&mut applied, service, side)
                        .insert(field.to_string(), setting_value(value));
                }
                "skipped" => {
                    entry(&mut not_applied, service, side).insert(
                        field.to_string(),
                        NotApplied {
                            value: setting_value(value),
                            reason: reason.join(" "),
                        },
                    );
                }
                _ => {}
            }
        }
    }
    Ok(WanResults {
        mode: mode.name().to_string(),
        kernel: kernel.to_string(),
        applied,
        not_applied,
    })
}

fn entry<'a, T>(m: &'a mut BySide<T>, service: &str, side: &str) -> &'a mut BTreeMap<String, T> {
    m.entry(service.to_string())
        .or_default()
        .entry(side.to_string())
        .or_default()
}

/// Remove the shaping of every shaped service (a no-op for stopped ones).
pub fn remove(sh: &Shell, manifest: &Manifest) -> Result<()> {
    let mut first_err = None;
    for ws in manifest.wan.services.values() {
        let script = &ws.script;
        if let Err(e) = cmd!(sh, "sh {script} remove").quiet().run() {
            first_err.get_or_insert(anyhow::anyhow!("{script} remove: {e}"));
        }
    }
    first_err.map_or(Ok(()), Err)
}
