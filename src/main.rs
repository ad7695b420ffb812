//! The `detgen` command line: argument parsing and output, nothing more.
//! The work lives in the library modules (see ARCHITECTURE.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use detgen::manifest::SeedSource;
use detgen::render::{self, Request};
use detgen::spec::{Scenario, SpecError};
use detgen::{dataset, label, run, sample, verify};

/// Exit codes (also in the README).
mod exit {
    pub const RUNTIME: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const DRIFT: u8 = 3;
    pub const RUN_FAILED: u8 = 4;
    pub const UNSUPPORTED: u8 = 5;
    pub const INTERRUPTED: u8 = 130;
}

/// Generate labelled network-traffic datasets from declarative Docker scenarios.
///
/// Exit codes: 0 success; 1 runtime error (Docker, I/O); 2 usage or spec
/// error; 3 `verify` found drift; 4 a run failed; 5 the host cannot emulate
/// the WAN asked for (no netem, no --wan-fallback); 130 interrupted.
#[derive(Parser)]
#[command(name = "detgen", version, about, long_about)]
struct Cli {
    /// Folder of scenario folders [default: $DETGEN_SCENARIOS, else
    /// ./scenarios, else the scenarios of the source tree detgen was built from]
    #[arg(long, global = true, value_name = "DIR")]
    scenarios: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List scenarios with their class and subscenarios.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Render runs into inspectable files: compose.yaml, run.sh, netem
    /// scripts, data and a manifest; nothing is executed.
    Render(RenderArgs),
    /// Re-render runs from their manifests and compare byte for byte; prints
    /// a unified diff of any drift and exits 3.
    Verify {
        /// Run directories, or folders holding run directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Render runs, then execute them with Docker and capture every
    /// container's traffic; writes pcap/<service>.pcap per run and labels.csv.
    Run(RunArgs),
    /// Remove containers, networks and volumes left by interrupted runs
    /// (everything labelled org.detgen.run).
    Clean,
    /// Execute a dataset plan (YAML): chunk by chunk, the chunk's runs side
    /// by side, then merge all into OUT/dataset. Run it again on the same
    /// OUT to resume after an interruption: complete chunks are kept.
    Campaign {
        /// The plan file (see the README's campaign section).
        plan: PathBuf,
        /// Campaign folder: campaign.yaml, runs/chunk-NNN/, dataset/.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// As for `run`: rate and loss only on a kernel without netem.
        #[arg(long)]
        wan_fallback: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Datasets: merge finished runs into one labelled capture.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Per-flow features of a dataset as CSV (first N packets' directions,
    /// sizes and inter-arrival times, counts, IAT mean and std).
    Features {
        /// Dataset directory (made by `detgen dataset build`).
        dataset: PathBuf,
        /// Packets per flow whose direction, size and IAT become columns.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(0..=1000))]
        first: u64,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Two-sample Kolmogorov-Smirnov tests of inter-arrival times and
    /// packet sizes (overall, upstream, downstream) between two runs,
    /// folders of runs or datasets; exits 3 when a distribution differs.
    Compare {
        /// A run directory, a folder of runs, or a dataset directory.
        a: PathBuf,
        /// The same kinds as A.
        b: PathBuf,
        /// Significance level: p below it means "different".
        #[arg(long, default_value_t = 0.01)]
        alpha: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Merge the captures of finished runs by timestamp, shift chunks so
    /// they follow each other, label every flow (flows.csv) and, on
    /// request, every packet (packets.csv); writes dataset.yaml.
    Build(BuildArgs),
}

#[derive(Args)]
struct BuildArgs {
    /// Run directories or folders of them; without --plan each run is a
    /// chunk of its own, in the order given.
    runs: Vec<PathBuf>,
    /// YAML chunk plan (`chunks:`, a list of lists of run directories,
    /// relative to the plan): runs of one chunk ran side by side and keep
    /// their relative timing.
    #[arg(long, value_name = "FILE", conflicts_with = "runs")]
    plan: Option<PathBuf>,
    /// Output directory (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seconds of silence between one chunk's last packet and the next
    /// chunk's first.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    gap: f64,
    /// Dataset time of the first packet, in seconds since the epoch
    /// [default: the first chunk's own time].
    #[arg(long, value_name = "EPOCH_SECONDS")]
    start: Option<f64>,
    /// Keep one copy of a packet that two captures of the same run saw
    /// (both ends of a link): identical bytes from another capture within
    /// --dedupe-window are dropped and counted.
    #[arg(long)]
    dedupe: bool,
    /// Window for --dedupe, in milliseconds.
    #[arg(long, default_value_t = 100.0, value_name = "MS")]
    dedupe_window: f64,
    /// pcap (Ethernet; other link types are reframed) or pcapng (link
    /// types kept, a label comment on every packet).
    #[arg(long, value_enum, default_value_t = detgen::pcapio::OutFormat::Pcap)]
    format: detgen::pcapio::OutFormat,
    /// pcap timestamps in nanoseconds instead of microseconds.
    #[arg(long)]
    nanoseconds: bool,
    /// Also write packets.csv: one row per packet with its flow and label.
    #[arg(long)]
    packet_labels: bool,
    /// A flow ends after this many seconds without packets.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    idle_timeout: f64,
    /// Most capture files open at once; more are merged in rounds.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(2..=65_536))]
    max_open: u64,
    /// Replace the output directory.
    #[arg(long)]
    force: bool,
    /// Print the dataset manifest as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RenderArgs {
    /// Scenario name (see `detgen list`).
    scenario: String,
    /// Subscenarios: `all`, or ids or names, comma separated (`1,3` or
    /// `crawl-https,sitemap`).
    #[arg(long, default_value = "all", value_name = "ID,...|all")]
    subscenario: String,
    /// Root seed; drawn from OS entropy (and printed) when absent.
    #[arg(long)]
    seed: Option<u64>,
    /// Runs per subscenario.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    runs: u32,
    /// Fix a parameter instead of drawing it (repeatable): NAME=VALUE.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// WAN profile for every captured service, replacing the scenario's
    /// default: `off`, a preset (lan, paper-primary, paper-secondary,
    /// original, dsl, mobile, intercontinental, satellite) or a profile of
    /// the scenario. Per-service settings in the spec still apply.
    #[arg(long, value_name = "PROFILE|off")]
    wan: Option<String>,
    /// Load the host's CPUs during each run with stress-ng (worker count
    /// drawn per run and recorded).
    #[arg(long)]
    host_load: bool,
    /// Upper bound on each run's length in seconds [default: the spec's].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    duration: Option<u64>,
    /// Output folder; each run goes to OUT/<scenario>-<subscenario>-<index>.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace run directories that already exist.
    #[arg(long)]
    force: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    render: RenderArgs,
    /// Runs executed concurrently.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: u32,
    /// On a kernel without netem, apply only the drawn rate limits (tbf)
    /// and loss (iptables statistic) and record the rest as not applied,
    /// instead of refusing (exit 5).
    #[arg(long)]
    wan_fallback: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = if e.downcast_ref::<run::Interrupted>().is_some() {
                exit::INTERRUPTED
            } else if e.downcast_ref::<run::wan::Unsupported>().is_some() {
                exit::UNSUPPORTED
            } else if e.downcast_ref::<SpecError>().is_some() || e.downcast_ref::<Usage>().is_some()
            {
                exit::USAGE
            } else {
                exit::RUNTIME
            };
            eprintln!("detgen: error: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// A mistake in how detgen was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn usage<T>(msg: String) -> Result<T> {
    Err(Usage(msg).into())
}

fn dispatch(cli: Cli) -> Result<u8> {
    let scenarios = cli
        .scenarios
        .clone()
        .unwrap_or_else(detgen::default_scenarios_dir);
    match cli.command {
        Command::List { json } => list(&scenarios, json),
        Command::Render(args) => {
            let dirs = render_runs(&scenarios, &args)?;
            print_runs(&dirs, args.json);
            Ok(0)
        }
        Command::Verify { paths, json } => verify_runs(&scenarios, &paths, json),
        Command::Run(args) => run_runs(&scenarios, &args),
        Command::Clean => {
            let n = run::clean()?;
            println!("removed {n} container(s), network(s) and volume(s) labelled org.detgen.run");
            Ok(0)
        }
        Command::Campaign {
            plan,
            out,
            wan_fallback,
            json,
        } => campaign(&scenarios, &plan, &out, wan_fallback, json),
        Command::Dataset(DatasetCommand::Build(args)) => build_dataset(&args),
        Command::Features {
            dataset,
            first,
            out,
        } => {
            match features(&dataset, first as usize, out.as_deref()) {
                // A reader that stopped early (`| head`) is not an error.
                Err(e)
                    if e.chain().any(|c| {
                        c.downcast_ref::<std::io::Error>()
                            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    }) =>
                {
                    Ok(0)
                }
                r => r,
            }
        }
        Command::Compare { a, b, alpha, json } => compare(&a, &b, alpha, json),
    }
}

/// Progress of a dataset build as a byte bar on standard error.
struct Bar(ProgressBar);

impl dataset::Progress for Bar {
    fn phase(&self, name: &str, total: u64) {
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.set_message(name.to_string());
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}

fn campaign(
    scenarios: &Path,
    plan: &Path,
    out: &Path,
    wan_fallback: bool,
    json: bool,
) -> Result<u8> {
    run::install_signal_handler()?;
    run::check_docker()?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    // Events go above the bar, or plainly to stderr when it is hidden.
    let say = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let on_event = |e: detgen::campaign::Event<'_>| {
        use detgen::campaign::Event;
        match e {
            Event::Kept(c) => say(format!("chunk {c}: complete before, kept")),
            Event::Redo(c) => say(format!("chunk {c}: left incomplete, redoing it")),
            Event::Start { chunk, runs } => {
                say(format!("chunk {chunk}: {runs} runs side by side"));
                bar.set_length(runs as u64);
                bar.set_position(0);
                bar.set_message(format!("runs of chunk {chunk}"));
                bar.enable_steady_tick(std::time::Duration::from_millis(500));
            }
            Event::RunDone { dir, result } => {
                let name = dir.file_name().unwrap_or_default().to_string_lossy();
                match result {
                    Ok(res) => say(format!("  {name}: {}", describe(res))),
                    Err(e) => say(format!("  {name} failed: {e:#}")),
                }
                bar.inc(1);
            }
            Event::ChunkDone(c) => say(format!("chunk {c}: complete")),
            Event::Building => say("merging the chunks into the dataset".to_string()),
        }
    };
    let building = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {msg}")
            .expect("valid template"),
    );
    let opts = run::Options { wan_fallback };
    warn_if_busy();
    let summary = detgen::campaign::execute(
        plan,
        scenarios,
        out,
        opts,
        &Bar(building.clone()),
        &on_event,
    )?;
    bar.finish_and_clear();
    building.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let t = &summary.dataset.totals;
        println!(
            "{}: {} runs in {} chunks ({} kept from before); dataset {}: {} packets, {} flows",
            out.display(),
            summary.runs,
            summary.chunks,
            summary.chunks_kept,
            out.join(detgen::campaign::DATASET_DIR).display(),
            t.packets,
            t.flows
        );
    }
    Ok(0)
}

fn seconds_to_ns(what: &str, s: f64) -> Result<i64> {
    if !(0.0..=1e10).contains(&s) {
        return usage(format!(
            "{what} must be a number of seconds between 0 and 1e10, not {s}"
        ));
    }
    Ok((s * 1e9).round() as i64)
}

fn build_dataset(args: &BuildArgs) -> Result<u8> {
    let chunks = match &args.plan {
        Some(plan) => dataset::read_plan(plan).map_err(|e| Usage(format!("{e:#}")))?,
        None => {
            let mut chunks = Vec::new();
            for p in &args.runs {
                let dirs = detgen::manifest::run_dirs(p)?;
                if dirs.is_empty() {
                    return usage(format!(
                        "{}: no manifest.yaml here or in its subfolders",
                        p.display()
                    ));
                }
                chunks.extend(dirs.into_iter().map(|d| vec![d]));
            }
            chunks
        }
    };
    if chunks.is_empty() {
        return usage("name run directories, or a chunk plan with --plan".into());
    }
    if args.force && args.out.exists() {
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("removing {}", args.out.display()))?;
    }
    let mut opts = dataset::Options::new(chunks, args.out.clone());
    opts.gap_ns = seconds_to_ns("--gap", args.gap)?;
    opts.start_ns = args
        .start
        .map(|s| seconds_to_ns("--start", s))
        .transpose()?;
    opts.dedupe_window_ns = if args.dedupe {
        Some(seconds_to_ns(
            "--dedupe-window",
            args.dedupe_window / 1000.0,
        )?)
    } else {
        None
    };
    opts.format = args.format;
    opts.nanos = args.nanoseconds;
    opts.packet_labels = args.packet_labels;
    if !(args.idle_timeout.is_finite() && args.idle_timeout > 0.0) {
        return usage("--idle-timeout must be positive".into());
    }
    opts.idle_timeout_s = args.idle_timeout;
    opts.max_open = args.max_open as usize;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {msg}")
            .expect("valid template"),
    );
    let m = dataset::build(&opts, &Bar(bar.clone()))?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        let t = &m.totals;
        println!(
            "{}: {} packets in {} flows from {} runs in {} chunks ({} input packets, {} skipped, {} deduplicated)",
            args.out.display(),
            t.packets,
            t.flows,
            m.inputs.len(),
            m.chunks.len(),
            t.input_packets,
            t.skipped,
            t.deduplicated
        );
    }
    Ok(0)
}

fn features(dir: &Path, first: usize, out: Option<&Path>) -> Result<u8> {
    if !dataset::is_dataset(dir) {
        return usage(format!(
            "{}: not a dataset (no {})",
            dir.display(),
            dataset::DATASET_MANIFEST
        ));
    }
    let n = match out {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let n = detgen::features::write(dir, first, &mut w)?;
            std::io::Write::flush(&mut w)?;
            n
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            let n = detgen::features::write(dir, first, &mut w)?;
            std::io::Write::flush(&mut w)?;
            n
        }
    };
    eprintln!("{n} flows");
    Ok(0)
}

fn compare(a: &Path, b: &Path, alpha: f64, json: bool) -> Result<u8> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return usage(format!("--alpha must be between 0 and 1, not {alpha}"));
    }
    let sa = detgen::compare::sample(a)?;
    let sb = detgen::compare::sample(b)?;
    let rows = detgen::compare::compare(&sa, &sb, alpha);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "a": a, "b": b, "alpha": alpha, "tests": rows,
            }))?
        );
    } else {
        println!(
            "{:<5} {:<11} {:>9} {:>9} {:>8} {:>10}  verdict (alpha {alpha})",
            "", "", "n(A)", "n(B)", "D", "p"
        );
        for r in &rows {
            let num =
                |x: Option<f64>, prec: usize| x.map_or("-".to_string(), |v| format!("{v:.prec$}"));
            println!(
                "{:<5} {:<11} {:>9} {:>9} {:>8} {:>10}  {}",
                r.metric,
                r.direction,
                r.n_a,
                r.n_b,
                num(r.d, 4),
                num(r.p.map(|p| if p < 1e-300 { 0.0 } else { p }), 6),
                r.verdict
            );
        }
    }
    Ok(if rows.iter().any(|r| r.verdict == "different") {
        exit::DRIFT
    } else {
        0
    })
}

/// The subscenarios a `--subscenario` value names: `all`, or a comma
/// separated list of ids or names, in the order given, each once.
fn pick_subscenarios(scenario: &Scenario, wanted: &str) -> Result<Vec<String>> {
    let subs = &scenario.spec.subscenarios;
    if wanted == "all" {
        return Ok(subs.iter().map(|s| s.id.clone()).collect());
    }
    let mut picked: Vec<String> = Vec::new();
    for item in wanted.split(',').map(str::trim) {
        let found = subs
            .iter()
            .find(|s| s.id == item)
            .or_else(|| subs.iter().find(|s| s.name == item));
        let Some(sub) = found else {
            return usage(format!(
                "scenario `{}` has no subscenario `{item}`; it has: {} (ids or names, comma separated, or `all`)",
                scenario.name(),
                subs.iter()
                    .map(|s| format!("{} ({})", s.id, s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if !picked.contains(&sub.id) {
            picked.push(sub.id.clone());
        }
    }
    Ok(picked)
}

fn load(scenarios: &Path, name: &str) -> Result<Scenario> {
    if !detgen::spec::is_valid_name(name) {
        return usage(format!(
            "`{name}` is not a scenario name; see `detgen list`"
        ));
    }
    let dir = scenarios.join(name);
    if !dir.join(detgen::spec::SPEC_FILE).is_file() {
        let known: Vec<String> = detgen::spec::load_all(scenarios)
            .map(|all| all.iter().map(|s| s.name().to_string()).collect())
            .unwrap_or_default();
        return usage(format!(
            "no scenario `{name}` in {} (known: {})",
            scenarios.display(),
            known.join(", ")
        ));
    }
    Ok(Scenario::load(&dir)?)
}

fn list(scenarios: &Path, json: bool) -> Result<u8> {
    let all = detgen::spec::load_all(scenarios)?;
    if json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|s| {
                let spec = &s.spec;
                serde_json::json!({
                    "name": spec.name,
                    "class": spec.class,
                    "attack_category": spec.attack_category,
                    "description": spec.description,
                    "duration": spec.duration,
                    "services": spec.services.iter().map(|(n, svc)| serde_json::json!({
                        "name": n, "role": svc.role, "captured": svc.capture, "workload": svc.workload,
                        "replicas": svc.replicas,
                    })).collect::<Vec<_>>(),
                    "subscenarios": spec.subscenarios.iter().map(|sub| serde_json::json!({
                        "id": sub.id, "name": sub.name, "description": sub.description,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(0);
    }
    for s in &all {
        let spec = &s.spec;
        let class = match &spec.attack_category {
            Some(c) => format!("{} ({c})", spec.class),
            None => spec.class.to_string(),
        };
        println!(
            "{}  [{}; {} subscenario(s)]\n    {}",
            spec.name,
            class,
            spec.subscenarios.len(),
            spec.description
        );
        for sub in &spec.subscenarios {
            println!("    {:>4}  {:<24} {}", sub.id, sub.name, sub.description);
        }
    }
    Ok(0)
}

fn parse_sets(sets: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for s in sets {
        let Some((k, v)) = s.split_once('=') else {
            return usage(format!("--set {s}: expected NAME=VALUE"));
        };
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return usage(format!("--set {k}: given twice"));
        }
    }
    Ok(out)
}

/// Render every requested run into `args.out`; returns the run directories.
fn render_runs(scenarios: &Path, args: &RenderArgs) -> Result<Vec<PathBuf>> {
    let scenario = load(scenarios, &args.scenario)?;
    let overrides = parse_sets(&args.set)?;
    if let Some(w) = &args.wan {
        let known = render::wan_profile_names(&scenario);
        if w != detgen::wan::OFF && !known.contains(w) {
            return usage(format!(
                "--wan {w}: no such WAN profile; use off or one of: {}",
                known.join(", ")
            ));
        }
    }
    let (root_seed, seed_source) = match args.seed {
        Some(s) => (s, SeedSource::Given),
        None => {
            let s = sample::entropy_seed();
            eprintln!(
                "detgen: root seed {s} (drawn from OS entropy; pass --seed {s} to reproduce)"
            );
            (s, SeedSource::Entropy)
        }
    };
    let subs = pick_subscenarios(&scenario, &args.subscenario)?;
    let mut rendered = Vec::new();
    for sub in &subs {
        for index in 0..args.runs {
            let r = render::render(&Request {
                scenario: &scenario,
                subscenario: sub.clone(),
                root_seed,
                seed_source,
                index,
                overrides: overrides.clone(),
                duration: args.duration,
                wan: args.wan.clone(),
                host_load: args.host_load,
            })
            .map_err(|e| Usage(format!("{e:#}")))?;
            let dir = args.out.join(&r.run_id);
            if dir.exists() && !args.force {
                return usage(format!(
                    "{} already exists; pass --force to replace it",
                    dir.display()
                ));
            }
            rendered.push((dir, r));
        }
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (dir, r) in &rendered {
        render::write(r, dir, args.force)?;
    }
    Ok(rendered.into_iter().map(|(d, _)| d).collect())
}

fn print_runs(dirs: &[PathBuf], json: bool) {
    if json {
        let v: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        println!("{}", serde_json::json!({ "runs": v }));
    } else {
        for d in dirs {
            println!("{}", d.display());
        }
    }
}

fn verify_runs(scenarios: &Path, paths: &[PathBuf], json: bool) -> Result<u8> {
    let mut reports = Vec::new();
    let mut datasets = Vec::new();
    for p in paths {
        if dataset::is_dataset(p) {
            datasets.push(verify::verify_dataset(p)?);
            continue;
        }
        let dirs = detgen::manifest::run_dirs(p)?;
        if dirs.is_empty() {
            return usage(format!(
                "{}: no manifest.yaml here or in its subfolders",
                p.display()
            ));
        }
        for d in dirs {
            reports.push(verify::verify(&d, scenarios)?);
        }
    }
    let drift = reports.iter().any(|r| !r.ok()) || datasets.iter().any(|d| !d.ok());
    if json {
        let mut all: Vec<serde_json::Value> = Vec::new();
        for r in &reports {
            all.push(serde_json::to_value(r)?);
        }
        for d in &datasets {
            all.push(serde_json::to_value(d)?);
        }
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        for d in &datasets {
            let state = if d.ok() { "ok   " } else { "DRIFT" };
            println!(
                "{state} {} (dataset: {} outputs, {} inputs checked)",
                d.dataset_dir.display(),
                d.files_checked,
                d.inputs_checked
            );
            if !d.inputs_absent.is_empty() {
                println!(
                    "  not checked, no longer there: {}",
                    d.inputs_absent.join(", ")
                );
            }
            for x in &d.drift {
                println!("  {}: {}", x.kind, x.path);
            }
        }
        for r in &reports {
            if r.ok() {
                println!("ok    {} ({} files)", r.run_dir.display(), r.files_checked);
                continue;
            }
            println!("DRIFT {}", r.run_dir.display());
            if !r.changed_inputs.is_empty() {
                println!(
                    "  scenario files changed since render: {}",
                    r.changed_inputs.join(", ")
                );
            }
            for d in &r.drift {
                println!("  {}: {}", d.kind, d.path);
                if let Some(diff) = &d.diff {
                    print!("{diff}");
                }
            }
        }
    }
    Ok(if drift { exit::DRIFT } else { 0 })
}

/// The outcome of a run, with any workload that exited non-zero on its own.
fn describe(res: &detgen::manifest::RunResults) -> String {
    let bad: Vec<String> = res
        .exit_codes
        .iter()
        .filter(|(_, c)| **c != 0)
        .map(|(s, c)| format!("{s} exited {c}"))
        .collect();
    if res.outcome == "completed" && !bad.is_empty() {
        format!("FAILED ({}; see logs/)", bad.join(", "))
    } else {
        res.outcome.clone()
    }
}

/// Says so on standard error when the host already runs more than it has
/// CPUs for: runs still work, but their timing shows the load.
fn warn_if_busy() {
    if let Some(h) = detgen::manifest::HostAtStart::now().filter(|h| h.busy()) {
        eprintln!(
            "detgen: warning: the host is busy (load {:.1} on {} CPUs): timing-sensitive \
             workloads may slow down or time out, and the captures' timing shows the load \
             (recorded in each manifest's results.host)",
            h.load_average[0], h.cpus
        );
    }
}

fn run_runs(scenarios: &Path, args: &RunArgs) -> Result<u8> {
    run::install_signal_handler()?;
    run::check_docker()?;
    warn_if_busy();
    let dirs = render_runs(scenarios, &args.render)?;
    let opts = run::Options {
        wan_fallback: args.wan_fallback,
    };
    // Refuse before building anything if the kernel cannot shape the links.
    run::wan_mode(&dirs, opts)?;
    let spinner = ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    run::build_images(&dirs, |id| {
        spinner.set_message(format!("building images for {id}"))
    })?;
    spinner.finish_and_clear();

    let bar = ProgressBar::new(dirs.len() as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(500));
    let results = run::execute_all(&dirs, args.jobs as usize, opts, |dir, r| {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        match r {
            Ok(res) => bar.set_message(format!("{name}: {}", describe(res))),
            Err(e) => bar.println(format!("detgen: {name} failed: {e:#}")),
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let labels = label::write_csv(&args.render.out)?;

    let interrupted = results
        .iter()
        .any(|r| matches!(r, Err(e) if e.downcast_ref::<run::Interrupted>().is_some()));
    let failed = results.iter().any(|r| match r {
        // after a timeout, workloads were stopped by us: their codes say nothing
        Ok(res) => res.outcome == "completed" && res.exit_codes.values().any(|c| *c != 0),
        Err(_) => true,
    });
    if args.render.json {
        let v: Vec<serde_json::Value> = dirs
            .iter()
            .zip(&results)
            .map(|(d, r)| match r {
                Ok(res) => serde_json::json!({"run": d, "results": res}),
                Err(e) => serde_json::json!({"run": d, "error": format!("{e:#}")}),
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"labels": labels, "runs": v}))?
        );
    } else {
        for (d, r) in dirs.iter().zip(&results) {
            match r {
                Ok(res) => println!(
                    "{}  {}  {}",
                    d.display(),
                    describe(res),
                    res.captures
                        .iter()
                        .map(|(s, c)| format!("{s}:{}pkts", c.packets))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                Err(e) => println!("{}  error: {e:#}", d.display()),
            }
        }
        println!("labels: {}", labels.display());
    }
    if interrupted {
        bail!(run::Interrupted);
    }
    Ok(if failed { exit::RUN_FAILED } else { 0 })
}
