//! The run manifest: the contract between stages.
//!
//! `render` writes it; `verify` re-renders from it alone; `run` reads the
//! project name, services and duration from it and appends the capture
//! results below a marker line, so the rendered part stays byte-for-byte
//! reproducible. Later stages read nothing else from earlier ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sample::Drawn;
use crate::spec::Class;
use crate::wan::{Link, Profile, Side};

pub const MANIFEST_FILE: &str = "manifest.yaml";

/// Separates the rendered manifest from the results `detgen run` appends.
pub const RESULTS_MARKER: &str =
    "# --- run results: appended by `detgen run`; not part of the render ---\n";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub detgen_version: String,
    pub scenario: String,
    pub class: Class,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_category: Option<String>,
    pub subscenario: SubscenarioRecord,
    pub run: RunRecord,
    /// Every network of the run, by name.
    pub networks: BTreeMap<String, NetworkRecord>,
    pub services: BTreeMap<String, ServiceRecord>,
    /// Image of the tcpdump sidecars.
    pub capture_image: String,
    pub parameters: BTreeMap<String, Drawn>,
    /// WAN emulation: the profiles in force and every drawn link setting.
    pub wan: WanRecord,
    /// CPU load on the host during the run, if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_load: Option<HostLoadRecord>,
    pub inputs: Inputs,
    /// sha256 of every rendered file except this manifest, by relative path.
    pub outputs: BTreeMap<String, String>,
    /// Appended by `detgen run` below `RESULTS_MARKER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<RunResults>,
}

/// The WAN emulation of a run as rendered: what was drawn, not yet what was
/// applied (that is `results.wan`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WanRecord {
    /// `--wan` as given at render time; it replaced the spec's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    /// The default profile in force for captured services (`off`, a preset
    /// or a profile of the scenario).
    pub profile: String,
    /// Definitions of the profiles used, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, Profile>,
    /// Every shaped service, with its drawn links.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, WanService>,
}

impl WanRecord {
    pub fn is_on(&self) -> bool {
        !self.services.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WanService {
    pub profile: String,
    /// The script that applies and removes it.
    pub script: String,
    /// Drawn settings per shaped direction (`egress`, `ingress`).
    pub links: BTreeMap<Side, Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostLoadRecord {
    /// CPU hogs (`stress-ng --cpu N`) running beside the scenario.
    pub workers: u32,
    /// How `workers` was drawn.
    pub distribution: String,
    pub image: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscenarioRecord {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedSource {
    /// Given with `--seed`.
    Given,
    /// Drawn from the operating system's entropy because none was given.
    Entropy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// Directory name of the run: `<scenario>-<subscenario>-<index>`.
    pub id: String,
    pub index: u32,
    /// Docker Compose project name, unique per run.
    pub project: String,
    pub root_seed: u64,
    pub root_seed_source: SeedSource,
    /// Derived from root seed, scenario, subscenario and index.
    pub seed: u64,
    /// Upper bound on the workload's run time, in seconds.
    pub duration: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRecord {
    pub subnet: String,
    pub gateway: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRecord {
    pub role: String,
    /// Address on its primary (first) network.
    pub ip: String,
    /// Address on each network it joins, by network.
    pub networks: BTreeMap<String, String>,
    pub image: String,
    pub captured: bool,
    pub workload: bool,
    /// For a copy of a replicated service: that service's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_of: Option<String>,
}

impl ServiceRecord {
    /// The captures of a captured service, as (file stem, network): one
    /// per network, named `<service>` on one network and
    /// `<service>.<network>` on several.
    pub fn capture_stems(&self, service: &str) -> Vec<(String, String)> {
        if !self.captured {
            return Vec::new();
        }
        if self.networks.len() == 1 {
            let net = self.networks.keys().next().expect("one").clone();
            return vec![(service.to_string(), net)];
        }
        self.networks
            .keys()
            .map(|n| (format!("{service}.{n}"), n.clone()))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// sha256 of every file in the scenario folder, by path relative to it.
    pub scenario: BTreeMap<String, String>,
    /// sha256 of every template used.
    pub templates: BTreeMap<String, String>,
    /// sha256 of every shared file used, by path under `_shared/`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shared: BTreeMap<String, String>,
}

/// What `detgen run` observed; the ground-truth labels of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResults {
    /// `completed` (every workload exited), `timeout`, or `failed`.
    pub outcome: String,
    pub started_at: String,
    pub wall_seconds: f64,
    /// Exit code of each workload service.
    pub exit_codes: BTreeMap<String, i64>,
    pub captures: BTreeMap<String, CaptureRecord>,
    /// What the netem scripts applied, when the run had WAN emulation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wan: Option<WanResults>,
    /// The host when the run started: timing on a busy host is not timing
    /// on an idle one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostAtStart>,
}

/// The host's CPUs and load averages (1, 5 and 15 minutes) at a run's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostAtStart {
    pub cpus: u32,
    pub load_average: [f64; 3],
}

impl HostAtStart {
    /// Reads `/proc/loadavg`; `None` where there is none.
    pub fn now() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/loadavg").ok()?;
        let mut f = text.split_whitespace().map(str::parse::<f64>);
        let load_average = [f.next()?.ok()?, f.next()?.ok()?, f.next()?.ok()?];
        let cpus = std::thread::available_parallelism().ok()?.get() as u32;
        Some(HostAtStart { cpus, load_average })
    }

    /// Whether more is runnable than there are CPUs (1-minute average).
    pub fn busy(&self) -> bool {
        self.load_average[0] > f64::from(self.cpus)
    }
}

/// What WAN emulation was applied, as the netem scripts reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WanResults {
    /// `netem`, or `fallback` (rate and loss only, on a kernel without netem).
    pub mode: String,
    /// The host kernel (`uname -r`).
    pub kernel: String,
    /// Per service and direction: settings applied, with their values.
    pub applied: BTreeMap<String, BTreeMap<String, BTreeMap<String, serde_json::Value>>>,
    /// Per service and direction: drawn settings not applied, with why.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_applied: BTreeMap<String, BTreeMap<String, BTreeMap<String, NotApplied>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotApplied {
    pub value: serde_json::Value,
    pub reason: String,
}

/// A reported setting: a number where it reads as one.
pub fn setting_value(text: &str) -> serde_json::Value {
    match text.parse::<i64>() {
        Ok(i) => i.into(),
        Err(_) => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => f.into(),
            _ => text.into(),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureRecord {
    /// Relative to the run directory.
    pub pcap: String,
    /// The service whose namespace was captured, and on which network.
    pub service: String,
    pub network: String,
    pub sha256: String,
    pub linktype: String,
    pub packets: u64,
    pub bytes: u64,
    /// Microseconds since the epoch of the first packet; absent if empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_timestamp_us: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_timestamp_us: Option<u64>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// sha256 of a file, streamed. Files (captures, datasets) are hashed with
/// ring, whose SHA-256 is several times faster than sha2's on CPUs without
/// SHA extensions; the digests are the same.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = FileHasher::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.hex())
}

/// A streaming SHA-256 (ring) usable as an `io::Write` sink.
pub struct FileHasher(ring::digest::Context);

impl FileHasher {
    pub fn new() -> Self {
        FileHasher(ring::digest::Context::new(&ring::digest::SHA256))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(self) -> String {
        hex::encode(self.0.finish().as_ref())
    }
}

impl Default for FileHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl std::io::Write for FileHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Manifest {
    /// The rendered text of the manifest (without results).
    pub fn to_rendered_text(&self) -> String {
        let mut m = self.clone();
        m.results = None;
        let body = serde_yaml_ng::to_string(&m).expect("manifest serializes");
        format!(
            "# generated by detgen {} - do not edit; `detgen verify` re-renders this run from it\n{body}",
            self.detgen_version
        )
    }

    /// The rendered text followed by the results section.
    pub fn to_text_with_results(&self) -> String {
        let mut text = self.to_rendered_text();
        if let Some(results) = &self.results {
            #[derive(Serialize)]
            struct Tail<'a> {
                results: &'a RunResults,
            }
            text.push_str(RESULTS_MARKER);
            text.push_str(&serde_yaml_ng::to_string(&Tail { results }).expect("serializes"));
        }
        text
    }

    /// Split a manifest file into its rendered part and the parsed manifest.
    pub fn parse(text: &str) -> Result<(String, Manifest), String> {
        let rendered = match text.find(RESULTS_MARKER) {
            Some(i) => text[..i].to_string(),
            None => text.to_string(),
        };
        let manifest: Manifest = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        Ok((rendered, manifest))
    }

    pub fn read(run_dir: &Path) -> anyhow::Result<(String, Manifest)> {
        let path = run_dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read {}: {e}; is {} a run directory made by `detgen render`?",
                path.display(),
                run_dir.display()
            )
        })?;
        Manifest::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    pub fn workloads(&self) -> Vec<&str> {
        self.services
            .iter()
            .filter(|(_, s)| s.workload)
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// Run directories at or under `path`: `path` itself when it holds a
/// manifest, else its immediate subfolders that do.
pub fn run_dirs(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.join(MANIFEST_FILE).is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_means_more_runnable_than_cpus_over_a_minute() {
        let host = |cpus, one| HostAtStart {
            cpus,
            load_average: [one, 0.0, 0.0],
        };
        assert!(host(2, 2.5).busy());
        assert!(!host(2, 2.0).busy());
        assert!(!host(8, 7.9).busy());
        // the 5- and 15-minute averages do not count
        let settled = HostAtStart {
            cpus: 2,
            load_average: [0.5, 20.0, 20.0],
        };
        assert!(!settled.busy());
    }

    #[test]
    fn the_host_now_has_cpus_and_a_load() {
        // /proc/loadavg exists on Linux
        let h = HostAtStart::now().expect("/proc/loadavg");
        assert!(h.cpus >= 1);
        assert!(h.load_average.iter().all(|l| l.is_finite() && *l >= 0.0));
    }
}
