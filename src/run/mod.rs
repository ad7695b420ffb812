//! Run: execute rendered runs with `docker compose` and collect captures.
//!
//! The runner draws no random numbers and decides nothing the manifest does
//! not say: project name, services, workloads and duration all come from
//! `manifest.yaml`, and the containers from the rendered `compose.yaml`.
//! Whatever happens (error, timeout, Ctrl-C, SIGTERM) a started run is torn
//! down with `docker compose down --volumes`; everything detgen starts
//! carries the `org.detgen.run` label so `detgen clean` finds leftovers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use xshell::{cmd, Shell};

use crate::capture;
use crate::manifest::{HostAtStart, Manifest, RunResults, MANIFEST_FILE};

pub mod wan;

/// How runs are executed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// On a kernel without netem, apply only rate limits and loss
    /// (`--wan-fallback`) instead of refusing.
    pub wan_fallback: bool,
}

/// The kernel probe, done once per process.
static PROBE: std::sync::OnceLock<std::result::Result<wan::Probe, String>> =
    std::sync::OnceLock::new();

/// How the runs' WAN emulation will be applied, or why it cannot be:
/// `None` when no run shapes links. Probes the kernel once.
pub fn wan_mode(run_dirs: &[PathBuf], opts: Options) -> Result<Option<(wan::Mode, String)>> {
    let manifests: Vec<Manifest> = run_dirs
        .iter()
        .map(|d| Manifest::read(d).map(|(_, m)| m))
        .collect::<Result<_>>()?;
    let shaped: Vec<&Manifest> = manifests.iter().filter(|m| m.wan.is_on()).collect();
    if shaped.is_empty() {
        return Ok(None);
    }
    let probe = PROBE
        .get_or_init(|| wan::probe().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow!("{e}"))?;
    let mode = wan::decide(probe, &shaped, opts.wan_fallback)?;
    Ok(Some((mode, probe.kernel.clone())))
}

/// Set by the signal handler; every wait loop checks it.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Route Ctrl-C and SIGTERM to `INTERRUPTED` so runs can tear down.
pub fn install_signal_handler() -> Result<()> {
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("detgen: interrupted again; still tearing down, please wait");
        } else {
            eprintln!("detgen: interrupted; tearing down running scenarios");
        }
    })
    .context("installing the signal handler")
}

/// The error of a run stopped by Ctrl-C or SIGTERM.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// Time given to the last packets (FIN/ACK) after the workloads exit.
const LINGER: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(200);

/// Run a docker command in `dir`; on failure, the error carries stderr.
fn docker(sh: &Shell, args: &[&str]) -> Result<String> {
    let out = cmd!(sh, "docker {args...}")
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("running `docker {}`; is Docker installed?", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "`docker {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn compose(sh: &Shell, args: &[&str]) -> Result<String> {
    let mut full = vec!["compose", "--file", "compose.yaml"];
    full.extend_from_slice(args);
    docker(sh, &full)
}

/// Check that the Docker engine and compose v2 answer.
pub fn check_docker() -> Result<()> {
    let sh = Shell::new()?;
    docker(&sh, &["info", "--format", "{{.ServerVersion}}"]).context(
        "the Docker engine does not answer; start it (scripts/setup-host.sh installs and starts one)",
    )?;
    docker(&sh, &["compose", "version"])
        .context("docker compose v2 is missing (scripts/setup-host.sh installs it)")?;
    Ok(())
}

/// Build the images of the given runs that are not present yet, once each.
pub fn build_images(run_dirs: &[PathBuf], mut on_build: impl FnMut(&str)) -> Result<()> {
    let sh = Shell::new()?;
    let mut done: Vec<String> = Vec::new();
    for dir in run_dirs {
        let (_, m) = Manifest::read(dir)?;
        let mut images: Vec<String> = m.services.values().map(|s| s.image.clone()).collect();
        images.push(m.capture_image.clone());
        images.extend(m.host_load.iter().map(|h| h.image.clone()));
        images.retain(|i| !done.contains(i));
        if images.is_empty() {
            continue;
        }
        let missing = images
            .iter()
            .any(|i| docker(&sh, &["image", "inspect", "--format", "x", i]).is_err());
        if missing {
            on_build(&m.run.id);
            sh.change_dir(dir);
            compose(&sh, &["build", "--quiet"])
                .with_context(|| format!("building the images of {}", dir.display()))?;
        }
        done.extend(images);
    }
    Ok(())
}

/// State of one compose service's container.
#[derive(Debug)]
struct Status {
    service: String,
    state: String,
    exit_code: i64,
}

fn statuses(sh: &Shell, services: &[&str]) -> Result<Vec<Status>> {
    let mut args = vec!["ps", "--all", "--format", "json"];
    args.extend_from_slice(services);
    let out = compose(sh, &args)?;
    let text = out.trim();
    // compose prints one JSON object per line (older versions: one array)
    let values: Vec<serde_json::Value> = if text.starts_with('[') {
        serde_json::from_str(text)?
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?
    };
    Ok(values
        .iter()
        .map(|v| Status {
            service: v["Service"].as_str().unwrap_or_default().to_string(),
            state: v["State"].as_str().unwrap_or_default().to_string(),
            exit_code: v["ExitCode"].as_i64().unwrap_or(-1),
        })
        .collect())
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // civil date from days since the epoch (Howard Hinnant's algorithm)
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Execute one rendered run: up the capture sidecars, apply the netem
/// scripts, up the rest, wait, remove the shaping, stop, collect, down.
/// The manifest gets a `results` section. Teardown always happens.
pub fn execute(run_dir: &Path, opts: Options) -> Result<RunResults> {
    let (_, mut manifest) = Manifest::read(run_dir)?;
    if manifest.results.is_some() {
        bail!(
            "{} has already been run; render it again to run it again",
            run_dir.display()
        );
    }
    let sh = Shell::new()?;
    sh.change_dir(run_dir);
    for d in ["capture", "pcap"] {
        std::fs::create_dir_all(run_dir.join(d))?;
    }
    let services: Vec<String> = manifest.services.keys().cloned().collect();
    let workloads: Vec<&str> = manifest.workloads();
    let captures: Vec<String> = manifest
        .services
        .iter()
        .filter(|(_, s)| s.captured)
        .map(|(n, _)| format!("capture-{n}"))
        .collect();
    let wan_mode = wan_mode(&[run_dir.to_path_buf()], opts)?;
    let mut wan_results = None;
    let started_at = now_rfc3339();
    let host = HostAtStart::now();
    let start = Instant::now();
    let mut exit_codes = BTreeMap::new();

    let outcome: Result<&'static str> = (|| {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Interrupted.into());
        }
        // The sidecars own the network namespaces: shape them before any
        // workload sends a packet.
        let mut up = vec!["up", "--detach", "--no-build", "--quiet-pull"];
        up.extend(captures.iter().map(String::as_str));
        compose(&sh, &up)?;
        if let Some((mode, kernel)) = &wan_mode {
            wan_results = Some(wan::apply(&sh, &manifest, *mode, kernel)?);
        }
        compose(&sh, &["up", "--detach", "--no-build", "--quiet-pull"])?;
        // The duration bounds the workloads, not the engine's start-up.
        let deadline = Instant::now() + Duration::from_secs(manifest.run.duration);
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(Interrupted.into());
            }
            let st = statuses(&sh, &workloads)?;
            if st.len() == workloads.len() && st.iter().all(|s| s.state == "exited") {
                break Ok("completed");
            }
            if Instant::now() >= deadline {
                break Ok("timeout");
            }
            std::thread::sleep(POLL);
        }
    })();
    // From here on: always stop, collect and tear down.
    let collected: Result<BTreeMap<_, _>> = (|| {
        if outcome.is_ok() {
            std::thread::sleep(LINGER);
        }
        wan::remove(&sh, &manifest)?;
        // `stop` lets tcpdump flush its buffers before the files are moved.
        let stopped = compose(&sh, &["stop", "--timeout", "5"]);
        if let Ok(st) = statuses(&sh, &workloads) {
            for s in st {
                exit_codes.insert(s.service, s.exit_code);
            }
        }
        stopped?;
        let mut logged = services.clone();
        if manifest.host_load.is_some() {
            logged.push("host-load".to_string());
        }
        save_logs(&sh, run_dir, &logged)?;
        let mut captures = BTreeMap::new();
        for (name, svc) in &manifest.services {
            for (stem, network) in svc.capture_stems(name) {
                let part = run_dir.join(format!("capture/{stem}.pcap.part"));
                let rel = format!("pcap/{stem}.pcap");
                if !part.exists() {
                    continue;
                }
                std::fs::rename(&part, run_dir.join(&rel))
                    .with_context(|| format!("moving {} into pcap/", part.display()))?;
                captures.insert(stem, capture::summarise(run_dir, &rel, name, &network)?);
            }
        }
        Ok(captures)
    })();
    let teardown = teardown(&sh, &manifest);
    let _ = std::fs::remove_dir(run_dir.join("capture"));

    let outcome = outcome?;
    let captures = collected?;
    teardown?;
    for (name, svc) in &manifest.services {
        for (stem, network) in svc.capture_stems(name) {
            if !captures.contains_key(&stem) {
                bail!("no capture was written for service `{name}` on network `{network}`");
            }
        }
    }
    let results = RunResults {
        outcome: outcome.to_string(),
        started_at,
        wall_seconds: (start.elapsed().as_millis() as f64) / 1000.0,
        exit_codes,
        captures,
        wan: wan_results,
        host,
    };
    manifest.results = Some(results.clone());
    let tmp = run_dir.join(".manifest.yaml.tmp");
    std::fs::write(&tmp, manifest.to_text_with_results())?;
    std::fs::rename(&tmp, run_dir.join(MANIFEST_FILE))?;
    Ok(results)
}

/// Keep each service's output in `logs/<service>.log`: the first place to
/// look when a workload fails.
fn save_logs(sh: &Shell, run_dir: &Path, services: &[String]) -> Result<()> {
    std::fs::create_dir_all(run_dir.join("logs"))?;
    for s in services {
        let log = compose(sh, &["logs", "--no-color", "--timestamps", s])?;
        std::fs::write(run_dir.join(format!("logs/{s}.log")), log)?;
    }
    Ok(())
}

fn teardown(sh: &Shell, manifest: &Manifest) -> Result<()> {
    let mut first_err = wan::remove(sh, manifest).err();
    if let Err(e) = compose(
        sh,
        &["down", "--volumes", "--remove-orphans", "--timeout", "5"],
    ) {
        first_err.get_or_insert(e);
    }
    first_err.map_or(Ok(()), Err)
}

/// Tear down whatever an interrupted run of this directory left in
/// Docker (its compose project), so it can be rendered and run again.
pub fn abandon(run_dir: &Path) -> Result<()> {
    let (_, manifest) = Manifest::read(run_dir)?;
    let sh = Shell::new()?;
    sh.change_dir(run_dir);
    teardown(&sh, &manifest)
}

/// Execute runs, `jobs` at a time. Runs whose subnets collide never run
/// side by side. Returns each run's result in input order.
pub fn execute_all(
    run_dirs: &[PathBuf],
    jobs: usize,
    opts: Options,
    on_done: impl Fn(&Path, &Result<RunResults>) + Sync,
) -> Vec<Result<RunResults>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<RunResults>>>> =
        Mutex::new((0..run_dirs.len()).map(|_| None).collect());
    let subnets: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let subnets_of = |d: &Path| -> Vec<String> {
        Manifest::read(d)
            .map(|(_, m)| m.networks.into_values().map(|n| n.subnet).collect())
            .unwrap_or_default()
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(run_dirs.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(dir) = run_dirs.get(i) else { break };
                let mine = subnets_of(dir);
                loop {
                    let mut busy = subnets.lock().expect("lock");
                    if !mine.iter().any(|s| busy.contains(s)) {
                        busy.extend(mine.iter().cloned());
                        break;
                    }
                    drop(busy);
                    std::thread::sleep(POLL);
                }
                let r = if INTERRUPTED.load(Ordering::SeqCst) {
                    Err(Interrupted.into())
                } else {
                    execute(dir, opts)
                };
                subnets.lock().expect("lock").retain(|s| !mine.contains(s));
                on_done(dir, &r);
                results.lock().expect("lock")[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .expect("lock")
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Interrupted.into())))
        .collect()
}

/// Remove every container, network and volume carrying detgen's label.
pub fn clean() -> Result<usize> {
    let sh = Shell::new()?;
    let filter = "label=org.detgen.run";
    let mut removed = 0;
    let list = |kind: &str| -> Result<Vec<String>> {
        let out = match kind {
            "container" => docker(&sh, &["ps", "--all", "--quiet", "--filter", filter])?,
            "network" => docker(&sh, &["network", "ls", "--quiet", "--filter", filter])?,
            _ => docker(&sh, &["volume", "ls", "--quiet", "--filter", filter])?,
        };
        Ok(out.split_whitespace().map(str::to_string).collect())
    };
    for kind in ["container", "network", "volume"] {
        let ids = list(kind)?;
        if ids.is_empty() {
            continue;
        }
        removed += ids.len();
        let mut args: Vec<&str> = match kind {
            "container" => vec!["rm", "--force", "--volumes"],
            "network" => vec!["network", "rm"],
            _ => vec!["volume", "rm", "--force"],
        };
        args.extend(ids.iter().map(String::as_str));
        docker(&sh, &args)?;
    }
    Ok(removed)
}
