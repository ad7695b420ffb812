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
use detgen::{label, run, sample, verify};

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
}

#[derive(Args)]
struct RenderArgs {
    /// Scenario name (see `detgen list`).
    scenario: String,
    /// Subscenario id, or `all`.
    #[arg(long, default_value = "all", value_name = "ID|all")]
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
    }
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
    let subs: Vec<String> = if args.subscenario == "all" {
        scenario
            .spec
            .subscenarios
            .iter()
            .map(|s| s.id.clone())
            .collect()
    } else if scenario.subscenario(&args.subscenario).is_some() {
        vec![args.subscenario.clone()]
    } else {
        return usage(format!(
            "scenario `{}` has no subscenario `{}`; it has: {} (or `all`)",
            scenario.name(),
            args.subscenario,
            scenario
                .spec
                .subscenarios
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
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
    for p in paths {
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
    let drift = reports.iter().any(|r| !r.ok());
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
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

fn run_runs(scenarios: &Path, args: &RunArgs) -> Result<u8> {
    run::install_signal_handler()?;
    run::check_docker()?;
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
