//! Verify: re-render a run from its manifest alone and compare byte for byte.
//!
//! Reads the manifest, the scenario folder and the run directory; writes
//! nothing. Run outputs (`pcap/`, `capture/`) are not rendered: their
//! recorded sha256 values are checked instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::manifest::{sha256_file, Manifest, MANIFEST_FILE};
use crate::render::{self, Request};
use crate::sample::{Source, Value};
use crate::spec::{Scenario, SHARED_DIR};

/// Folders of a run directory that `detgen run` fills, not `render`.
pub const RUN_OUTPUT_DIRS: &[&str] = &["pcap", "capture", "logs"];

#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub path: String,
    /// `changed`, `missing`, `unexpected`, or `hash-mismatch`.
    pub kind: &'static str,
    /// Unified diff (recorded/rendered -> on disk) for changed text files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_dir: PathBuf,
    pub run_id: String,
    pub files_checked: usize,
    /// Scenario files whose hash differs from the one recorded at render
    /// time: the likely cause of any drift.
    pub changed_inputs: Vec<String>,
    pub drift: Vec<Drift>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.drift.is_empty()
    }
}

/// The `--set` text that reproduces a recorded value.
fn override_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::Files(_) => String::new(),
    }
}

pub fn verify(run_dir: &Path, scenarios_root: &Path) -> Result<Report> {
    let (on_disk_rendered, manifest) = Manifest::read(run_dir)?;
    let scenario_dir = scenarios_root.join(&manifest.scenario);
    let scenario = Scenario::load(&scenario_dir).with_context(|| {
        format!(
            "the manifest names scenario `{}`, which cannot be loaded from {}",
            manifest.scenario,
            scenarios_root.display()
        )
    })?;
    let overrides: BTreeMap<String, String> = manifest
        .parameters
        .iter()
        .filter(|(_, d)| d.source == Source::Set)
        .map(|(k, d)| (k.clone(), override_text(&d.value)))
        .collect();
    let rendered = render::render(&Request {
        scenario: &scenario,
        subscenario: manifest.subscenario.id.clone(),
        root_seed: manifest.run.root_seed,
        seed_source: manifest.run.root_seed_source,
        index: manifest.run.index,
        overrides,
        duration: Some(manifest.run.duration),
        wan: manifest.wan.requested.clone(),
        host_load: manifest.host_load.is_some(),
    })?;

    // Inputs whose hash differs, or that one side lacks.
    let differ = |was: &BTreeMap<String, String>, now: &BTreeMap<String, String>, prefix: &str| {
        was.iter()
            .filter(|(p, h)| now.get(*p) != Some(h))
            .map(|(p, _)| p)
            .chain(now.keys().filter(|p| !was.contains_key(*p)))
            .map(|p| format!("{prefix}{p}"))
            .collect::<Vec<_>>()
    };
    let (was, now) = (&manifest.inputs, &rendered.manifest.inputs);
    let mut changed_inputs = differ(&was.scenario, &now.scenario, "");
    changed_inputs.extend(differ(
        &was.shared,
        &now.shared,
        &format!("../{SHARED_DIR}/"),
    ));

    let mut drift = Vec::new();
    for (rel, expected) in &rendered.files {
        let path = run_dir.join(rel);
        let actual = if rel == MANIFEST_FILE {
            Some(on_disk_rendered.clone().into_bytes())
        } else {
            std::fs::read(&path).ok()
        };
        match actual {
            None => drift.push(Drift {
                path: rel.clone(),
                kind: "missing",
                diff: None,
            }),
            Some(actual) if &actual != expected => drift.push(Drift {
                path: rel.clone(),
                kind: "changed",
                diff: Some(unified_diff(rel, expected, &actual)),
            }),
            Some(_) => {}
        }
    }
    for entry in walkdir::WalkDir::new(run_dir).sort_by_file_name() {
        let entry = entry?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(run_dir)
            .expect("under run dir")
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel.split('/').next().unwrap_or("");
        if RUN_OUTPUT_DIRS.contains(&top) || rendered.files.contains_key(&rel) {
            continue;
        }
        drift.push(Drift {
            path: rel,
            kind: "unexpected",
            diff: None,
        });
    }
    if let Some(results) = &manifest.results {
        for cap in results.captures.values() {
            let actual = sha256_file(&run_dir.join(&cap.pcap)).ok();
            if actual.as_deref() != Some(cap.sha256.as_str()) {
                drift.push(Drift {
                    path: cap.pcap.clone(),
                    kind: if actual.is_none() {
                        "missing"
                    } else {
                        "hash-mismatch"
                    },
                    diff: None,
                });
            }
        }
    }
    Ok(Report {
        run_dir: run_dir.to_path_buf(),
        run_id: manifest.run.id,
        files_checked: rendered.files.len(),
        changed_inputs,
        drift,
    })
}

fn unified_diff(rel: &str, expected: &[u8], actual: &[u8]) -> String {
    match (std::str::from_utf8(expected), std::str::from_utf8(actual)) {
        (Ok(e), Ok(a)) => similar::TextDiff::from_lines(e, a)
            .unified_diff()
            .context_radius(2)
            .header(&format!("rendered/{rel}"), &format!("on-disk/{rel}"))
            .to_string(),
        _ => format!("binary file {rel} differs\n"),
    }
}

/// What `verify` found in a dataset directory.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetReport {
    pub dataset_dir: PathBuf,
    /// Outputs whose sha256 was checked.
    pub files_checked: usize,
    /// Input captures and run manifests present and checked.
    pub inputs_checked: usize,
    /// Input runs no longer at their recorded path (not checked).
    pub inputs_absent: Vec<String>,
    pub drift: Vec<Drift>,
}

impl DatasetReport {
    pub fn ok(&self) -> bool {
        self.drift.is_empty()
    }
}

/// Checks a dataset against `dataset.yaml`: every output's sha256, and the
/// sha256 of every input run manifest and capture still at its path.
pub fn verify_dataset(dir: &Path) -> Result<DatasetReport> {
    let m = crate::dataset::DatasetManifest::read(dir)?;
    let mut report = DatasetReport {
        dataset_dir: dir.to_path_buf(),
        files_checked: 0,
        inputs_checked: 0,
        inputs_absent: Vec::new(),
        drift: Vec::new(),
    };
    let check =
        |path: PathBuf, shown: String, want: &str, report: &mut DatasetReport| -> Result<()> {
            if !path.is_file() {
                report.drift.push(Drift {
                    path: shown,
                    kind: "missing",
                    diff: None,
                });
            } else if sha256_file(&path)? != want {
                report.drift.push(Drift {
                    path: shown,
                    kind: "hash-mismatch",
                    diff: None,
                });
            }
            Ok(())
        };
    for (name, sha) in &m.outputs {
        check(dir.join(name), name.clone(), sha, &mut report)?;
        report.files_checked += 1;
    }
    for run in &m.inputs {
        let run_dir = Path::new(&run.path);
        if !run_dir.join(MANIFEST_FILE).is_file() {
            report.inputs_absent.push(run.path.clone());
            continue;
        }
        check(
            run_dir.join(MANIFEST_FILE),
            format!("{}/{MANIFEST_FILE}", run.path),
            &run.manifest_sha256,
            &mut report,
        )?;
        report.inputs_checked += 1;
        for cap in &run.captures {
            check(
                run_dir.join(&cap.pcap),
                format!("{}/{}", run.path, cap.pcap),
                &cap.sha256,
                &mut report,
            )?;
            report.inputs_checked += 1;
        }
    }
    Ok(report)
}
