//! Campaigns: a declarative dataset plan executed chunk by chunk.
//!
//! A plan says which scenarios (with weights or exact counts), how many
//! chunks of how many seconds, how many runs side by side in a chunk, a
//! WAN profile mix and a seed. `draw` turns plan + seed into the run list
//! (through `sample::draw_campaign`: the same plan always gives the same
//! runs), recorded in `campaign.yaml`. `execute` renders and runs one
//! chunk at a time (its runs side by side, each bounded by the chunk's
//! length), marks a finished chunk with `runs/chunk-NNN/COMPLETE`, and
//! when every chunk is complete builds `dataset/` with one dataset chunk
//! per campaign chunk. Started again on the same folder, it keeps complete
//! chunks, tears down and redoes an incomplete one, and goes on.
//!
//! A driver over the stages (render, run, dataset): it decides nothing
//! they would not, and draws nothing itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::dataset;
use crate::manifest::{RunResults, SeedSource};
use crate::pcapio::OutFormat;
use crate::render::{self, Request};
use crate::run;
use crate::sample;
use crate::spec::{Scenario, SpecError};

pub const CAMPAIGN_FILE: &str = "campaign.yaml";
pub const COMPLETE_MARK: &str = "COMPLETE";
pub const DATASET_DIR: &str = "dataset";

/// A campaign plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Root seed of every draw.
    pub seed: u64,
    /// Length of a chunk: every run of it is bounded by this.
    pub chunk_seconds: u64,
    /// Number of chunks; with `count` entries it follows from the counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks: Option<u32>,
    /// Runs side by side in a chunk.
    pub concurrency: u32,
    /// Silence between chunks in the dataset.
    #[serde(default = "default_gap")]
    pub gap_seconds: f64,
    pub scenarios: Vec<Entry>,
    /// WAN profile mix; empty: every scenario's own default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wan: Vec<WanChoice>,
    #[serde(default)]
    pub host_load: bool,
    #[serde(default)]
    pub dataset: DatasetPlan,
}

fn default_gap() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub scenario: String,
    /// Subscenario ids to draw from (uniformly) [default: all].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscenarios: Option<Vec<String>>,
    /// Relative weight of this entry per run slot [default 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// Exactly this many runs (all entries give counts, or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WanChoice {
    /// `off`, a preset, or a profile every chosen scenario knows.
    pub profile: String,
    #[serde(default = "default_weight")]
    pub weight: f64,
}

fn default_weight() -> f64 {
    1.0
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetPlan {
    #[serde(default)]
    pub dedupe: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<OutFormat>,
    #[serde(default)]
    pub packet_labels: bool,
}

/// `campaign.yaml`: the plan and the run list drawn from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignRecord {
    pub detgen_version: String,
    /// sha256 of the plan file as read.
    pub plan_sha256: String,
    pub plan: Plan,
    pub runs: Vec<PlannedRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedRun {
    pub chunk: u32,
    /// Run index within the campaign (part of the run id and seed).
    pub index: u32,
    pub scenario: String,
    pub subscenario: String,
    /// WAN profile asked for; absent: the scenario's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wan: Option<String>,
    /// Relative to the campaign folder.
    pub dir: String,
}

/// Reads and checks a plan: errors name the file, the line and what to do.
pub fn read_plan(path: &Path) -> Result<(Plan, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let plan: Plan = serde_yaml_ng::from_str(&text).map_err(|e| SpecError {
        file: path.to_path_buf(),
        line: e.location().map(|l| l.line()),
        column: e.location().map(|l| l.column()),
        path: String::new(),
        message: format!("{e}; see the campaign plan format in the README"),
    })?;
    let fail = |field: &str, message: String| -> Result<(Plan, String)> {
        Err(SpecError {
            file: path.to_path_buf(),
            line: crate::spec::locate(&text, &[field]),
            column: None,
            path: field.to_string(),
            message,
        }
        .into())
    };
    if plan.chunk_seconds == 0 || plan.chunk_seconds > 86_400 {
        return fail("chunk_seconds", "must be between 1 and 86400".into());
    }
    if plan.concurrency == 0 || plan.concurrency > 64 {
        return fail("concurrency", "must be between 1 and 64".into());
    }
    if !(plan.gap_seconds.is_finite() && plan.gap_seconds >= 0.0) {
        return fail("gap_seconds", "must be a non-negative number".into());
    }
    if plan.scenarios.is_empty() {
        return fail("scenarios", "list at least one scenario".into());
    }
    let counted = plan.scenarios.iter().filter(|e| e.count.is_some()).count();
    if counted != 0 && counted != plan.scenarios.len() {
        return fail(
            "scenarios",
            "give `count` for every entry or for none (then `weight`s apply)".into(),
        );
    }
    for e in &plan.scenarios {
        if e.count.is_some() && e.weight.is_some() {
            return fail(
                "scenarios",
                format!("{}: `count` and `weight` exclude each other", e.scenario),
            );
        }
        if e.weight.is_some_and(|w| !(w.is_finite() && w > 0.0)) {
            return fail(
                "scenarios",
                format!("{}: weight must be positive", e.scenario),
            );
        }
    }
    if counted == 0 && plan.chunks.is_none_or(|c| c == 0) {
        return fail(
            "chunks",
            "give the number of chunks (at least 1), or a `count` per scenario".into(),
        );
    }
    if counted != 0 {
        let total: u32 = plan.scenarios.iter().filter_map(|e| e.count).sum();
        let need = total.div_ceil(plan.concurrency);
        if total == 0 {
            return fail("scenarios", "the counts add up to no runs".into());
        }
        if plan.chunks.is_some_and(|c| c != need) {
            return fail(
                "chunks",
                format!("{total} runs at {} per chunk need {need} chunks; drop `chunks` or make it {need}", plan.concurrency),
            );
        }
    }
    if plan
        .wan
        .iter()
        .any(|w| !(w.weight.is_finite() && w.weight > 0.0))
    {
        return fail("wan", "every weight must be positive".into());
    }
    Ok((plan, crate::manifest::sha256_hex(&bytes)))
}

/// The run list of a plan: entries and WAN choices drawn per slot, slots
/// filled chunk by chunk. Checks scenario, subscenario and profile names.
pub fn draw(plan: &Plan, scenarios: &Path) -> Result<Vec<PlannedRun>> {
    let mut subs: Vec<Vec<String>> = Vec::new();
    for e in &plan.scenarios {
        let s = Scenario::load(&scenarios.join(&e.scenario))
            .with_context(|| format!("campaign scenario `{}`", e.scenario))?;
        let all: Vec<String> = s.spec.subscenarios.iter().map(|x| x.id.clone()).collect();
        let chosen = match &e.subscenarios {
            None => all,
            Some(list) => {
                if let Some(bad) = list.iter().find(|x| !all.contains(x)) {
                    bail!(
                        "campaign scenario `{}` has no subscenario `{bad}`; it has: {}",
                        e.scenario,
                        all.join(", ")
                    );
                }
                list.clone()
            }
        };
        for w in &plan.wan {
            let known = render::wan_profile_names(&s);
            if w.profile != crate::wan::OFF && !known.contains(&w.profile) {
                bail!(
                    "campaign WAN profile `{}` is unknown to scenario `{}`; use off or one of: {}",
                    w.profile,
                    e.scenario,
                    known.join(", ")
                );
            }
        }
        subs.push(chosen);
    }
    let counts = plan.scenarios.iter().all(|e| e.count.is_some());
    let entries: Vec<(f64, usize)> = plan
        .scenarios
        .iter()
        .zip(&subs)
        .map(|(e, s)| {
            (
                if counts {
                    f64::from(e.count.unwrap_or(0))
                } else {
                    e.weight.unwrap_or(1.0)
                },
                s.len(),
            )
        })
        .collect();
    let slots = (plan.chunks.unwrap_or(0) * plan.concurrency) as usize;
    let weights: Vec<f64> = plan.wan.iter().map(|w| w.weight).collect();
    let drawn = sample::draw_campaign(plan.seed, &entries, counts, &weights, slots);
    Ok(drawn
        .iter()
        .enumerate()
        .map(|(k, slot)| {
            let e = &plan.scenarios[slot.entry];
            let sub = subs[slot.entry][slot.subscenario].clone();
            let chunk = k as u32 / plan.concurrency;
            let index = k as u32;
            PlannedRun {
                chunk,
                index,
                dir: format!(
                    "runs/{}/{}",
                    chunk_dir(chunk),
                    render::run_id(&e.scenario, &sub, index)
                ),
                scenario: e.scenario.clone(),
                subscenario: sub,
                wan: slot.wan.map(|w| plan.wan[w].profile.clone()),
            }
        })
        .collect())
}

pub fn chunk_dir(chunk: u32) -> String {
    format!("chunk-{chunk:03}")
}

/// What `execute` reports as it goes.
pub enum Event<'a> {
    /// A chunk finished before; kept.
    Kept(u32),
    /// A chunk was left incomplete; torn down, to be redone.
    Redo(u32),
    Start {
        chunk: u32,
        runs: usize,
    },
    RunDone {
        dir: &'a Path,
        result: &'a Result<RunResults>,
    },
    ChunkDone(u32),
    Building,
}

/// The outcome of a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub campaign: PathBuf,
    pub chunks: u32,
    pub chunks_kept: u32,
    pub runs: usize,
    pub dataset: dataset::DatasetManifest,
}

/// Executes (or resumes) the plan in `out`.
pub fn execute(
    plan_path: &Path,
    scenarios: &Path,
    out: &Path,
    opts: run::Options,
    progress: &dyn dataset::Progress,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Summary> {
    let (plan, plan_sha) = read_plan(plan_path)?;
    let record_path = out.join(CAMPAIGN_FILE);
    let record = if record_path.is_file() {
        let text = std::fs::read_to_string(&record_path)?;
        let rec: CampaignRecord = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("{}: not a campaign record", record_path.display()))?;
        if rec.plan_sha256 != plan_sha {
            bail!(
                "{} holds a campaign of another plan (or of this plan before it changed); choose another --out",
                out.display()
            );
        }
        rec
    } else {
        if out.exists() && std::fs::read_dir(out)?.next().is_some() {
            bail!(
                "{}: exists, is not empty and holds no campaign; choose another --out",
                out.display()
            );
        }
        let rec = CampaignRecord {
            detgen_version: env!("CARGO_PKG_VERSION").to_string(),
            plan_sha256: plan_sha,
            runs: draw(&plan, scenarios)?,
            plan: plan.clone(),
        };
        std::fs::create_dir_all(out)?;
        write_atomic(&record_path, serde_yaml_ng::to_string(&rec)?.as_bytes())?;
        rec
    };
    let chunks = record.runs.iter().map(|r| r.chunk + 1).max().unwrap_or(0);
    let mut kept = 0;
    let mut loaded: BTreeMap<String, Scenario> = BTreeMap::new();
    for chunk in 0..chunks {
        let dir = out.join("runs").join(chunk_dir(chunk));
        if dir.join(COMPLETE_MARK).is_file() {
            kept += 1;
            on_event(Event::Kept(chunk));
            continue;
        }
        if dir.exists() {
            on_event(Event::Redo(chunk));
            for entry in std::fs::read_dir(&dir)? {
                let run_dir = entry?.path();
                if run_dir.join(crate::manifest::MANIFEST_FILE).is_file() {
                    // Containers of a killed run may still be up.
                    let _ = run::abandon(&run_dir);
                }
            }
            std::fs::remove_dir_all(&dir)?;
        }
        let planned: Vec<&PlannedRun> = record.runs.iter().filter(|r| r.chunk == chunk).collect();
        let mut dirs = Vec::new();
        for r in &planned {
            if !loaded.contains_key(&r.scenario) {
                loaded.insert(
                    r.scenario.clone(),
                    Scenario::load(&scenarios.join(&r.scenario))?,
                );
            }
            let rendered = render::render(&Request {
                scenario: &loaded[&r.scenario],
                subscenario: r.subscenario.clone(),
                root_seed: plan.seed,
                seed_source: SeedSource::Given,
                index: r.index,
                overrides: BTreeMap::new(),
                duration: Some(plan.chunk_seconds),
                wan: r.wan.clone(),
                host_load: plan.host_load,
            })?;
            let run_dir = out.join(&r.dir);
            render::write(&rendered, &run_dir, false)?;
            dirs.push(run_dir);
        }
        run::wan_mode(&dirs, opts)?;
        run::build_images(&dirs, |_| {})?;
        on_event(Event::Start {
            chunk,
            runs: dirs.len(),
        });
        let results = run::execute_all(&dirs, plan.concurrency as usize, opts, |d, r| {
            on_event(Event::RunDone { dir: d, result: r })
        });
        let mut mark = String::new();
        for (d, r) in dirs.iter().zip(results) {
            let res = r.with_context(|| format!("run {} of chunk {chunk}", d.display()))?;
            mark.push_str(&format!(
                "{} {}\n",
                d.file_name().unwrap_or_default().to_string_lossy(),
                res.outcome
            ));
        }
        write_atomic(&dir.join(COMPLETE_MARK), mark.as_bytes())?;
        on_event(Event::ChunkDone(chunk));
    }

    let ds = out.join(DATASET_DIR);
    let dataset = match dataset::DatasetManifest::read(&ds) {
        Ok(m) => m,
        Err(_) => {
            on_event(Event::Building);
            let building = out.join(format!("{DATASET_DIR}.partial"));
            if building.exists() {
                std::fs::remove_dir_all(&building)?;
            }
            let plan_chunks: Vec<Vec<PathBuf>> = (0..chunks)
                .map(|c| {
                    record
                        .runs
                        .iter()
                        .filter(|r| r.chunk == c)
                        .map(|r| out.join(&r.dir))
                        .collect()
                })
                .collect();
            let mut o = dataset::Options::new(plan_chunks, building.clone());
            o.gap_ns = (plan.gap_seconds * 1e9).round() as i64;
            o.dedupe_window_ns = plan.dataset.dedupe.then_some(100_000_000);
            o.format = plan.dataset.format.unwrap_or(OutFormat::Pcap);
            o.packet_labels = plan.dataset.packet_labels;
            let m = dataset::build(&o, progress)?;
            if ds.exists() {
                std::fs::remove_dir_all(&ds)?;
            }
            std::fs::rename(&building, &ds)?;
            m
        }
    };
    Ok(Summary {
        campaign: out.to_path_buf(),
        chunks,
        chunks_kept: kept,
        runs: record.runs.len(),
        dataset,
    })
}

/// Write through a temporary file and a rename: a killed process leaves
/// the old file or the new one, never half of one.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
