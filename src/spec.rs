//! Scenario specs: the declarative `scenarios/<name>/scenario.yaml` files.
//!
//! This module parses and validates a spec and nothing else: it draws no
//! random numbers, renders nothing and never touches Docker. Every error
//! names the file, the line (where one can be found) and the field path, and
//! says what is expected.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dist::Dist;

/// File name of a scenario spec inside its folder.
pub const SPEC_FILE: &str = "scenario.yaml";

/// A validated scenario, loaded from `<dir>/scenario.yaml`.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Folder holding the spec, Dockerfiles and scripts.
    pub dir: PathBuf,
    /// Raw bytes of the spec, hashed into the manifest.
    pub source: Vec<u8>,
    pub spec: Spec,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Scenario name; must equal the folder name.
    pub name: String,
    pub description: String,
    pub class: Class,
    /// Required for malicious scenarios, forbidden for benign ones.
    #[serde(default)]
    pub attack_category: Option<String>,
    /// Default upper bound on a run's length, in seconds.
    pub duration: u64,
    /// Random (or fixed) inputs, drawn per run.
    #[serde(default)]
    pub parameters: BTreeMap<String, Dist>,
    /// Networks, in order (default: one network, `scenario`). Services on
    /// several networks are captured on each (stepping stones, routers).
    #[serde(default)]
    pub networks: Vec<String>,
    pub services: BTreeMap<String, Service>,
    pub subscenarios: Vec<Subscenario>,
    /// WAN emulation defaults; off unless set. `--wan` replaces `profile`.
    #[serde(default)]
    pub wan: WanSpec,
    /// Files shared between scenarios, per build folder: paths under the
    /// scenarios' `_shared/` folder, each copied into that build folder's
    /// image context under its own file name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shared: BTreeMap<String, Vec<String>>,
}

/// The folder beside the scenarios that holds files several scenarios
/// share (see `Spec::shared`). Its name is not a scenario name.
pub const SHARED_DIR: &str = "_shared";

/// A scenario's WAN emulation: which profile shapes each captured service.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WanSpec {
    /// Profile for every captured service: `off`, a preset or one of
    /// `profiles` (default `off`).
    #[serde(default)]
    pub profile: Option<String>,
    /// Per-service profile, replacing `profile` (and `--wan`) for that
    /// service; e.g. `server: off` for a server next to its clients.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
    /// Profiles of this scenario, beside the built-in presets.
    #[serde(default)]
    pub profiles: BTreeMap<String, crate::wan::Profile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Benign,
    Malicious,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Benign => "benign",
            Class::Malicious => "malicious",
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Folder under the scenario folder that holds this service's Dockerfile.
    pub build: String,
    /// Ground-truth role: client, server, attacker, victim, bot, c2, ...
    pub role: String,
    /// Command run in the container; the image's CMD when absent.
    /// Items are minijinja templates over the drawn parameters.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Environment; values are minijinja templates over the drawn parameters.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Whether tcpdump captures this service's traffic (default: yes).
    #[serde(default = "yes")]
    pub capture: bool,
    /// The run ends when every workload service has exited.
    #[serde(default)]
    pub workload: bool,
    /// Services that must be up (and ready, if they have a `ready` check)
    /// before this one starts.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// A command that exits 0 once the service is ready to take traffic;
    /// its items are templates over the parameters, like `command`.
    #[serde(default)]
    pub ready: Option<Vec<String>>,
    /// Extra Linux capabilities (kept to the minimum a tool needs).
    #[serde(default)]
    pub cap_add: Vec<String>,
    /// Networks this service joins (default: the scenario's first).
    #[serde(default)]
    pub networks: Vec<String>,
    /// More DNS names for this service on its networks (e.g. the host
    /// names of the sites a web server plays), besides its own name.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// How many copies of this service run: a number, or a template over
    /// the parameters (`"{{ bots }}"`). Each copy is a service of its own,
    /// `<name>-1` … `<name>-<n>`, with its own address, capture, labels and
    /// WAN links; every copy also answers to `<name>` in DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Replicas>,
    /// Parameters drawn once per copy, recorded as `<name>-<i>.<param>`.
    /// Besides them, the service's templates see `replica` (1…n) and
    /// `replicas` (n).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replica_parameters: BTreeMap<String, Dist>,
    /// Set on the copies of a replicated service. Never in a spec file.
    #[serde(skip)]
    pub replica_of: Option<ReplicaOf>,
}

/// Which copy of a replicated service a service is.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaOf {
    /// The replicated service's name.
    pub of: String,
    /// This copy's index, from 1.
    pub index: u32,
    /// How many copies run.
    pub count: u32,
}

/// A replica count: fixed, or a template over the drawn parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Replicas {
    Count(u32),
    Template(String),
}

/// At most this many copies of one service.
pub const MAX_REPLICAS: u32 = 64;

/// Template names a replicated service's templates see besides the
/// parameters.
pub const REPLICA_VARS: [&str; 2] = ["replica", "replicas"];

/// The name of copy `index` (from 1) of a replicated service.
pub fn replica_name(service: &str, index: u32) -> String {
    format!("{service}-{index}")
}

/// The network of a scenario that declares none.
pub const DEFAULT_NETWORK: &str = "scenario";
/// At most this many networks per scenario.
pub const MAX_NETWORKS: usize = 8;

impl Spec {
    /// The spec with every replicated service expanded into its copies,
    /// `counts[name]` of each (1 where absent): a `depends_on` or
    /// `wan.services` entry naming a replicated service names every copy.
    /// Copies keep the service's settings and carry `replica_of`.
    pub fn expand_replicas(&self, counts: &BTreeMap<String, u32>) -> Spec {
        let copies = |name: &str| -> Vec<String> {
            match self.services.get(name) {
                Some(s) if s.replicas.is_some() => (1..=counts.get(name).copied().unwrap_or(1))
                    .map(|i| replica_name(name, i))
                    .collect(),
                _ => vec![name.to_string()],
            }
        };
        let mut out = self.clone();
        out.services.clear();
        for (name, svc) in &self.services {
            let mut svc = svc.clone();
            svc.depends_on = svc.depends_on.iter().flat_map(|d| copies(d)).collect();
            if svc.replicas.is_none() {
                out.services.insert(name.clone(), svc);
                continue;
            }
            let all = copies(name);
            let count = all.len() as u32;
            for (i, copy) in all.into_iter().enumerate() {
                let mut c = svc.clone();
                c.replica_of = Some(ReplicaOf {
                    of: name.clone(),
                    index: i as u32 + 1,
                    count,
                });
                out.services.insert(copy, c);
            }
        }
        out.wan.services = self
            .wan
            .services
            .iter()
            .flat_map(|(name, profile)| copies(name).into_iter().map(move |c| (c, profile.clone())))
            .collect();
        out
    }

    /// The scenario's networks, in order.
    pub fn network_names(&self) -> Vec<String> {
        if self.networks.is_empty() {
            vec![DEFAULT_NETWORK.to_string()]
        } else {
            self.networks.clone()
        }
    }

    /// The networks a service joins, its primary (first) one first.
    pub fn service_networks(&self, svc: &Service) -> Vec<String> {
        if svc.networks.is_empty() {
            self.network_names()[..1].to_vec()
        } else {
            svc.networks.clone()
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Path relative to the run directory (e.g. `data/files`); never
    /// absolute, never leaving the run directory.
    pub source: String,
    /// Absolute path in the container.
    pub target: String,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subscenario {
    /// Short identifier used on the command line (`--subscenario 3`).
    pub id: String,
    /// Slug-like name.
    pub name: String,
    pub description: String,
    /// Parameters added or replaced for this subscenario.
    #[serde(default)]
    pub parameters: BTreeMap<String, Dist>,
    /// Extra environment per service (values are templates).
    #[serde(default)]
    pub environment: BTreeMap<String, BTreeMap<String, String>>,
    /// Command replaced per service.
    #[serde(default)]
    pub command: BTreeMap<String, Vec<String>>,
    /// Per-copy parameters added or replaced, per replicated service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replica_parameters: BTreeMap<String, BTreeMap<String, Dist>>,
    /// Duration for this subscenario, replacing the scenario's.
    #[serde(default)]
    pub duration: Option<u64>,
    /// Services this subscenario runs without (e.g. benign users beside
    /// an attack that should be seen alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit: Vec<String>,
}

/// A spec error with its place: file, line, field path, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub path: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for SpecError {}

/// Names a scenario, service or subscenario may use.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// Parameter names are identifiers usable in templates.
pub fn is_valid_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Capabilities a scenario may ask for.
const ALLOWED_CAPS: &[&str] = &["NET_ADMIN", "NET_RAW", "SYS_NICE"];

impl Scenario {
    /// Load and validate `dir/scenario.yaml`.
    pub fn load(dir: &Path) -> Result<Scenario, SpecError> {
        let file = dir.join(SPEC_FILE);
        let source = std::fs::read(&file).map_err(|e| SpecError {
            file: file.clone(),
            line: None,
            column: None,
            path: String::new(),
            message: format!("cannot read the spec: {e}"),
        })?;
        let spec = parse(&file, &source)?;
        let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let text = String::from_utf8_lossy(&source);
        if spec.name != folder {
            return Err(located(
                &file,
                &text,
                &["name"],
                format!(
                    "the name `{}` differs from the folder name `{folder}`; rename one so they match",
                    spec.name
                ),
            ));
        }
        validate(&file, &text, dir, &spec)?;
        Ok(Scenario {
            dir: dir.to_path_buf(),
            source,
            spec,
        })
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn spec_path(&self) -> PathBuf {
        self.dir.join(SPEC_FILE)
    }

    /// The folder of files shared between scenarios (`Spec::shared`).
    pub fn shared_dir(&self) -> PathBuf {
        self.dir
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(SHARED_DIR)
    }

    pub fn subscenario(&self, id: &str) -> Option<&Subscenario> {
        self.spec.subscenarios.iter().find(|s| s.id == id)
    }

    /// Parameters in force for a subscenario: the scenario's, with the
    /// subscenario's added or replaced.
    pub fn parameters_for(&self, sub: &Subscenario) -> BTreeMap<String, Dist> {
        let mut params = self.spec.parameters.clone();
        params.extend(sub.parameters.clone());
        params
    }

    /// The services a subscenario runs: the spec's, less those it omits,
    /// with its per-copy parameters added or replaced.
    pub fn services_for(&self, sub: &Subscenario) -> BTreeMap<String, Service> {
        let mut services = self.spec.services.clone();
        services.retain(|name, _| !sub.omit.contains(name));
        for (name, params) in &sub.replica_parameters {
            if let Some(svc) = services.get_mut(name) {
                svc.replica_parameters.extend(params.clone());
            }
        }
        services
    }
}

/// Parse YAML into a `Spec`, turning serde errors into located `SpecError`s.
pub fn parse(file: &Path, source: &[u8]) -> Result<Spec, SpecError> {
    let text = std::str::from_utf8(source).map_err(|e| SpecError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        path: String::new(),
        message: format!("the spec is not UTF-8 text ({e})"),
    })?;
    // YAML merge keys (`<<: *anchor`) are applied first, on a parsed copy
    // that is written out again; errors in it are then located by field
    // path in the original text.
    let merged = if has_merge_key(text) {
        Some(merge_keys(text).map_err(|(loc, message)| SpecError {
            file: file.to_path_buf(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            path: String::new(),
            message,
        })?)
    } else {
        None
    };
    let yaml = merged.as_deref().unwrap_or(text);
    serde_yaml_ng::from_str::<Spec>(yaml).map_err(|e| {
        // (a location in the merged copy would mislead)
        let loc = e.location().filter(|_| merged.is_none());
        let raw = e.to_string();
        // serde_yaml_ng prefixes the field path ("services.client: ...") and
        // appends " at line L column C"; split both off.
        let without_loc = match raw.rfind(" at line ") {
            Some(i) if e.location().is_some() => raw[..i].to_string(),
            _ => raw.clone(),
        };
        let (path, message) = match without_loc.split_once(": ") {
            Some((p, m)) if !p.contains(' ') => (p.to_string(), m.to_string()),
            _ => (String::new(), without_loc),
        };
        // A distribution's own check fails after its mapping is read, so
        // serde reports the enclosing `parameters` map; find the entry.
        if path.ends_with("parameters") {
            if let Some((p, m)) = failing_parameter(yaml, &path) {
                let segments = split_path(&p);
                let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
                return SpecError {
                    file: file.to_path_buf(),
                    line: locate(text, &refs),
                    column: None,
                    path: p,
                    message: m,
                };
            }
        }
        let line = match &loc {
            Some(l) => Some(l.line()),
            None => {
                // the path, and the unknown field's own line where it has one
                let mut segments = split_path(&path);
                if let Some(field) = message
                    .strip_prefix("unknown field `")
                    .and_then(|m| m.split('`').next())
                {
                    segments.push(field.to_string());
                }
                locate(
                    text,
                    &segments.iter().map(String::as_str).collect::<Vec<_>>(),
                )
            }
        };
        SpecError {
            file: file.to_path_buf(),
            line: line.filter(|_| !path.is_empty() || loc.is_some()),
            column: loc.as_ref().map(|l| l.column()),
            path,
            message,
        }
    })
}

/// Whether the text has a YAML merge key (`<<:`) outside a comment.
fn has_merge_key(text: &str) -> bool {
    text.lines().any(|l| {
        let code = l.split(" #").next().unwrap_or(l).trim_start();
        !code.starts_with('#')
            && (code.starts_with("<<") || code.contains(" <<:") || code.contains("{<<:"))
    })
}

/// The text with its merge keys applied, as YAML again.
fn merge_keys(text: &str) -> Result<String, (Option<serde_yaml_ng::Location>, String)> {
    let mut v: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| (e.location(), e.to_string()))?;
    v.apply_merge().map_err(|e| {
        (
            None,
            format!("a merge key (`<<`) must name a mapping or a list of mappings: {e}"),
        )
    })?;
    serde_yaml_ng::to_string(&v).map_err(|e| (None, e.to_string()))
}

/// `subscenarios[0].parameters` -> `["subscenarios", "[0]", "parameters"]`.
fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.find('[') {
            Some(i) => {
                if i > 0 {
                    out.push(part[..i].to_string());
                }
                out.extend(part[i..].split_inclusive(']').map(str::to_string));
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

/// The first entry of the parameters map at `path` that is not a valid
/// distribution: its path and the reason.
fn failing_parameter(text: &str, path: &str) -> Option<(String, String)> {
    let mut v: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    for seg in split_path(path) {
        v = match seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(i) => v.get(i.parse::<usize>().ok()?)?.clone(),
            None => v.get(seg.as_str())?.clone(),
        };
    }
    for (k, dv) in v.as_mapping()? {
        if let Err(e) = serde_yaml_ng::from_value::<Dist>(dv.clone()) {
            let key = k.as_str().unwrap_or("?");
            let msg = e.to_string();
            let (inner, msg) = match msg.split_once(": ") {
                Some((p, m)) if !p.contains(' ') => (format!(".{p}"), m.to_string()),
                _ => (String::new(), msg),
            };
            return Some((format!("{path}.{key}{inner}"), msg));
        }
    }
    None
}

fn located(file: &Path, text: &str, path: &[&str], message: String) -> SpecError {
    SpecError {
        file: file.to_path_buf(),
        line: locate(text, path),
        column: None,
        path: path.join("."),
        message,
    }
}

/// Find the line (1-based) of a field path in block-style YAML. Path items
/// are mapping keys, or `[n]` for the n-th item of a sequence. Falls back to
/// the deepest prefix found.
pub fn locate(text: &str, path: &[&str]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let meaningful = |l: &str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    // (first line index of the block, its parent indent)
    let mut start = 0usize;
    let mut end = lines.len();
    let mut parent_indent: Option<usize> = None;
    let mut found: Option<usize> = None;
    for item in path {
        let mut hit = None;
        if let Some(n) = item.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let n: usize = n.parse().ok()?;
            let mut seen = 0;
            for (i, l) in lines.iter().enumerate().take(end).skip(start) {
                if !meaningful(l) || parent_indent.is_some_and(|p| indent(l) <= p) {
                    continue;
                }
                if l.trim_start().starts_with("- ") || l.trim() == "-" {
                    if seen == n {
                        hit = Some(i);
                        break;
                    }
                    seen += 1;
                }
            }
        } else {
            for (i, l) in lines.iter().enumerate().take(end).skip(start) {
                if !meaningful(l) {
                    continue;
                }
                let t = l.trim_start().trim_start_matches("- ");
                let key = t.split(':').next().unwrap_or("").trim().trim_matches('"');
                if key == *item
                    && t[key.len()..].trim_start_matches('"').starts_with(':')
                    && parent_indent.is_none_or(|p| indent(l) > p)
                {
                    hit = Some(i);
                    break;
                }
            }
        }
        let Some(i) = hit else { break };
        found = Some(i + 1);
        let own = indent(lines[i]);
        parent_indent = Some(own);
        start = i;
        end = lines
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, l)| meaningful(l) && indent(l) <= own && !l.trim_start().starts_with("- "))
            .map(|(j, _)| j)
            .unwrap_or(lines.len());
        // a list item's own keys sit on the item's line
        if item.starts_with('[') {
            parent_indent = Some(own.saturating_sub(1));
            end = lines
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, l)| meaningful(l) && indent(l) <= own)
                .map(|(j, _)| j)
                .unwrap_or(lines.len());
        }
    }
    found
}

fn validate(file: &Path, text: &str, dir: &Path, spec: &Spec) -> Result<(), SpecError> {
    let err = |path: &[&str], message: String| Err(located(file, text, path, message));

    if !is_valid_name(&spec.name) {
        return err(
            &["name"],
            "use lowercase letters, digits and '-', starting with a letter".into(),
        );
    }
    match (spec.class, &spec.attack_category) {
        (Class::Malicious, None) => {
            return err(
                &["class"],
                "a malicious scenario needs `attack_category` (e.g. dos, brute-force, botnet)"
                    .into(),
            )
        }
        (Class::Benign, Some(_)) => return err(
            &["attack_category"],
            "only malicious scenarios have an attack category; remove it or set `class: malicious`"
                .into(),
        ),
        _ => {}
    }
    if spec.duration == 0 || spec.duration > 86_400 {
        return err(&["duration"], "expected seconds between 1 and 86400".into());
    }
    for name in spec.parameters.keys() {
        if !is_valid_param_name(name) {
            return err(
                &["parameters", name],
                "parameter names use lowercase letters, digits and '_', starting with a letter"
                    .into(),
            );
        }
    }
    if spec.services.is_empty() {
        return err(
            &["services"],
            "a scenario needs at least one service".into(),
        );
    }
    if spec.networks.len() > MAX_NETWORKS {
        return err(
            &["networks"],
            format!("at most {MAX_NETWORKS} networks per scenario"),
        );
    }
    for (i, net) in spec.networks.iter().enumerate() {
        if !is_valid_name(net) || spec.networks[..i].contains(net) {
            return err(
                &["networks"],
                format!("`{net}`: network names use lowercase letters, digits and '-', start with a letter, and appear once"),
            );
        }
    }
    if !spec.services.values().any(|s| s.workload) {
        return err(
            &["services"],
            "mark at least one service `workload: true`: the run ends when the workloads exit"
                .into(),
        );
    }
    for (name, svc) in &spec.services {
        let at = |field: &'static str| ["services", name.as_str(), field];
        if !is_valid_name(name) || name.starts_with("capture-") || name == "host-load" {
            return err(
                &["services", name],
                "service names use lowercase letters, digits and '-', start with a letter and are neither `host-load` nor start with `capture-` (reserved)".into(),
            );
        }
        if !is_relative_inside(&svc.build) {
            return err(
                &at("build"),
                "expected a folder relative to the scenario folder, without `..`".into(),
            );
        }
        if !dir.join(&svc.build).join("Dockerfile").is_file() {
            return err(
                &at("build"),
                format!(
                    "no Dockerfile at {}; add one (FROM debian:bookworm-slim)",
                    dir.join(&svc.build).join("Dockerfile").display()
                ),
            );
        }
        if !is_valid_name(&svc.role) {
            return err(
                &at("role"),
                "expected a lowercase role such as client, server, attacker, victim, bot, c2"
                    .into(),
            );
        }
        for key in svc.environment.keys() {
            if !is_env_name(key) {
                return err(
                    &["services", name, "environment", key],
                    "environment names use letters, digits and '_' and do not start with a digit"
                        .into(),
                );
            }
        }
        for (i, v) in svc.volumes.iter().enumerate() {
            let idx = format!("[{i}]");
            if !is_relative_inside(&v.source) {
                return err(
                    &["services", name, "volumes", &idx, "source"],
                    "expected a path relative to the run directory (e.g. data/files), without `..`"
                        .into(),
                );
            }
            if !v.target.starts_with('/') || v.target.contains(':') {
                return err(
                    &["services", name, "volumes", &idx, "target"],
                    "expected an absolute path in the container, without ':'".into(),
                );
            }
        }
        for dep in &svc.depends_on {
            if !spec.services.contains_key(dep) || dep == name {
                return err(
                    &at("depends_on"),
                    format!(
                        "`{dep}` is not another service of this scenario (services: {})",
                        spec.services.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        let declared = spec.network_names();
        for (i, net) in svc.networks.iter().enumerate() {
            if !declared.contains(net) || svc.networks[..i].contains(net) {
                return err(
                    &at("networks"),
                    format!(
                        "`{net}` is not a network of this scenario, or is listed twice (networks: {})",
                        declared.join(", ")
                    ),
                );
            }
        }
        for alias in &svc.aliases {
            if !is_host_name(alias) {
                return err(
                    &at("aliases"),
                    format!("`{alias}` is not a DNS host name (letters, digits, '-' and dots; labels up to 63 characters)"),
                );
            }
        }
        for cap in &svc.cap_add {
            if !ALLOWED_CAPS.contains(&cap.as_str()) {
                return err(
                    &at("cap_add"),
                    format!(
                        "capability `{cap}` is not allowed; allowed: {}",
                        ALLOWED_CAPS.join(", ")
                    ),
                );
            }
        }
        validate_replicas(spec, name, svc).map_err(|(path, m)| {
            let mut full = vec!["services", name.as_str()];
            full.extend(path.iter().map(String::as_str));
            located(file, text, &full, m)
        })?;
    }
    if spec.subscenarios.is_empty() {
        return err(
            &["subscenarios"],
            "a scenario needs at least one subscenario".into(),
        );
    }
    for (i, sub) in spec.subscenarios.iter().enumerate() {
        let idx = format!("[{i}]");
        let at = |field: &'static str| ["subscenarios", idx.as_str(), field];
        if sub.id.is_empty()
            || sub.id.len() > 16
            || !sub.id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return err(
                &at("id"),
                "expected a short id of letters and digits (e.g. 3)".into(),
            );
        }
        if spec.subscenarios[..i].iter().any(|s| s.id == sub.id) {
            return err(&at("id"), format!("id `{}` is used twice", sub.id));
        }
        if !is_valid_name(&sub.name) {
            return err(
                &at("name"),
                "use lowercase letters, digits and '-' (e.g. get-one-file)".into(),
            );
        }
        if spec.subscenarios[..i].iter().any(|s| s.name == sub.name) {
            return err(
                &at("name"),
                format!(
                    "name `{}` is used twice (`--subscenario` accepts names)",
                    sub.name
                ),
            );
        }
        for pname in sub.parameters.keys() {
            if !is_valid_param_name(pname) {
                return err(
                    &["subscenarios", &idx, "parameters", pname],
                    "parameter names use lowercase letters, digits and '_', starting with a letter"
                        .into(),
                );
            }
        }
        for svc in sub.environment.keys().chain(sub.command.keys()) {
            if !spec.services.contains_key(svc) {
                return err(
                    &["subscenarios", &idx, svc],
                    format!("`{svc}` is not a service of this scenario"),
                );
            }
        }
        for (svc, params) in &sub.replica_parameters {
            let path = |p: &str| {
                ["subscenarios", idx.as_str(), "replica_parameters", svc, p].map(String::from)
            };
            if spec.services.get(svc).is_none_or(|s| s.replicas.is_none()) {
                return err(
                    &["subscenarios", &idx, "replica_parameters", svc],
                    format!("`{svc}` is not a replicated service of this scenario"),
                );
            }
            for pname in params.keys() {
                if let Err(m) = check_replica_param(spec, pname) {
                    let p = path(pname);
                    return err(&p.iter().map(String::as_str).collect::<Vec<_>>(), m);
                }
            }
        }
        for svc in &sub.omit {
            if !spec.services.contains_key(svc) {
                return err(
                    &at("omit"),
                    format!("`{svc}` is not a service of this scenario"),
                );
            }
            if sub.environment.contains_key(svc) || sub.command.contains_key(svc) {
                return err(
                    &at("omit"),
                    format!("`{svc}` is omitted and also given an environment or command here; drop one"),
                );
            }
            let needs: Vec<&str> = spec
                .services
                .iter()
                .filter(|(n, s)| !sub.omit.contains(n) && s.depends_on.contains(svc))
                .map(|(n, _)| n.as_str())
                .collect();
            if !needs.is_empty() {
                return err(
                    &at("omit"),
                    format!(
                        "`{svc}` is omitted but {} depend on it; omit them too",
                        needs.join(", ")
                    ),
                );
            }
        }
        if !spec
            .services
            .iter()
            .any(|(n, s)| s.workload && !sub.omit.contains(n))
        {
            return err(
                &at("omit"),
                "no workload service would be left to run".into(),
            );
        }
        if let Some(d) = sub.duration {
            if d == 0 || d > 86_400 {
                return err(
                    &at("duration"),
                    "expected seconds between 1 and 86400".into(),
                );
            }
        }
    }
    validate_wan(file, text, spec)?;
    let shared_root = dir
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(SHARED_DIR);
    for (build, paths) in &spec.shared {
        if !spec.services.values().any(|s| &s.build == build) {
            return err(
                &["shared", build],
                format!("`{build}` is not the build folder of a service of this scenario"),
            );
        }
        let mut names = Vec::new();
        for path in paths {
            let name = Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name.filter(|_| is_relative_inside(path)) else {
                return err(
                    &["shared", build],
                    format!(
                        "`{path}`: expected a file path relative to {SHARED_DIR}/, without `..`"
                    ),
                );
            };
            if !shared_root.join(path).is_file() {
                return err(
                    &["shared", build],
                    format!("`{path}`: no such file in {}", shared_root.display()),
                );
            }
            if dir.join(build).join(&name).exists() || names.contains(&name) {
                return err(
                    &["shared", build],
                    format!("`{path}`: {build}/ already has a file named `{name}`; rename one"),
                );
            }
            names.push(name);
        }
    }
    // Every template must refer only to parameters in force, so a typo fails
    // at load time rather than in the middle of a run.
    for (i, sub) in spec.subscenarios.iter().enumerate() {
        let mut params: Vec<String> = spec.parameters.keys().cloned().collect();
        params.extend(sub.parameters.keys().cloned());
        let idx = format!("[{i}]");
        for (name, svc) in &spec.services {
            let command = sub.command.get(name).or(svc.command.as_ref());
            let mut env = svc.environment.clone();
            if let Some(extra) = sub.environment.get(name) {
                env.extend(extra.clone());
            }
            let count = match &svc.replicas {
                Some(Replicas::Template(t)) => Some(t),
                _ => None,
            };
            let mut known = params.clone();
            if svc.replicas.is_some() {
                known.extend(REPLICA_VARS.map(String::from));
                known.extend(svc.replica_parameters.keys().cloned());
                known.extend(
                    sub.replica_parameters
                        .get(name)
                        .into_iter()
                        .flatten()
                        .map(|(p, _)| p.clone()),
                );
            }
            if let Some(t) = count {
                if let Err(m) = crate::render::check_template(t, &params) {
                    return err(
                        &["services", name, "replicas"],
                        format!("in subscenario {} ({}): template `{t}`: {m}", sub.id, idx),
                    );
                }
            }
            let templates = env
                .values()
                .chain(command.into_iter().flatten())
                .chain(svc.ready.iter().flatten());
            for t in templates {
                if let Err(m) = crate::render::check_template(t, &known) {
                    return err(
                        &["services", name],
                        format!("in subscenario {} ({}): template `{t}`: {m}", sub.id, idx),
                    );
                }
            }
        }
    }
    Ok(())
}

/// A per-copy parameter's name: an identifier that hides nothing.
fn check_replica_param(spec: &Spec, pname: &str) -> Result<(), String> {
    if !is_valid_param_name(pname) || REPLICA_VARS.contains(&pname) {
        return Err("parameter names use lowercase letters, digits and '_', starting with a letter, and are neither `replica` nor `replicas`".into());
    }
    let mut scenario_params = spec
        .parameters
        .keys()
        .chain(spec.subscenarios.iter().flat_map(|s| s.parameters.keys()));
    if scenario_params.any(|p| p == pname) {
        return Err(format!(
            "`{pname}` is also a scenario or subscenario parameter; rename one"
        ));
    }
    Ok(())
}

/// A service's `replicas` and `replica_parameters`, and the names its
/// copies take. Errors carry the field path under the service.
fn validate_replicas(spec: &Spec, name: &str, svc: &Service) -> Result<(), (Vec<String>, String)> {
    let fail = |path: &[&str], m: String| Err((path.iter().map(|s| s.to_string()).collect(), m));
    if svc.replicas.is_none() {
        if !svc.replica_parameters.is_empty() {
            return fail(
                &["replica_parameters"],
                "only a replicated service has replica parameters; add `replicas` or move them to `parameters`".into(),
            );
        }
        return Ok(());
    }
    if let Some(Replicas::Count(n)) = svc.replicas {
        if n == 0 || n > MAX_REPLICAS {
            return fail(
                &["replicas"],
                format!("expected 1 to {MAX_REPLICAS} copies, or a template such as \"{{{{ clients }}}}\""),
            );
        }
    }
    let scenario_params = || {
        spec.parameters
            .keys()
            .chain(spec.subscenarios.iter().flat_map(|s| s.parameters.keys()))
    };
    for var in REPLICA_VARS {
        if scenario_params().any(|p| p == var) {
            return fail(
                &["replicas"],
                format!("the parameter `{var}` would hide the copy's `{var}` in this service's templates; rename the parameter"),
            );
        }
    }
    for pname in svc.replica_parameters.keys() {
        if let Err(m) = check_replica_param(spec, pname) {
            return fail(&["replica_parameters", pname], m);
        }
    }
    let prefix = format!("{name}-");
    if let Some(other) = spec.services.keys().find(|o| {
        o.strip_prefix(&prefix)
            .is_some_and(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_digit()))
    }) {
        return fail(
            &["replicas"],
            format!("the copies are named {name}-1, {name}-2, …, which the service `{other}` clashes with; rename it"),
        );
    }
    Ok(())
}

fn validate_wan(file: &Path, text: &str, spec: &Spec) -> Result<(), SpecError> {
    let err = |path: &[&str], message: String| Err(located(file, text, path, message));
    let presets = crate::wan::presets();
    let wan = &spec.wan;
    for (name, profile) in &wan.profiles {
        if !is_valid_name(name) || name == crate::wan::OFF || presets.contains_key(name) {
            return err(
                &["wan", "profiles", name],
                format!(
                    "profile names use lowercase letters, digits and '-' and are neither `off` nor a preset ({})",
                    presets.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        if let Err((field, message)) = crate::wan::check_profile(profile) {
            return err(&["wan", "profiles", name, &field], message);
        }
    }
    let known =
        |p: &str| p == crate::wan::OFF || presets.contains_key(p) || wan.profiles.contains_key(p);
    let choices = || {
        let mut all = vec![crate::wan::OFF.to_string()];
        all.extend(presets.keys().cloned());
        all.extend(wan.profiles.keys().cloned());
        all.join(", ")
    };
    if let Some(p) = &wan.profile {
        if !known(p) {
            return err(
                &["wan", "profile"],
                format!("unknown WAN profile `{p}`; known: {}", choices()),
            );
        }
    }
    for (svc, p) in &wan.services {
        let Some(service) = spec.services.get(svc) else {
            return err(
                &["wan", "services", svc],
                format!("`{svc}` is not a service of this scenario"),
            );
        };
        if !known(p) {
            return err(
                &["wan", "services", svc],
                format!("unknown WAN profile `{p}`; known: {}", choices()),
            );
        }
        if p != crate::wan::OFF && service.networks.len() > 1 {
            return err(
                &["wan", "services", svc],
                "WAN emulation shapes a container's one interface; this service is on several networks, so set `off` here".into(),
            );
        }
        if p != crate::wan::OFF && !service.capture {
            return err(
                &["wan", "services", svc],
                "WAN emulation is applied in the namespace the capture sidecar owns; this service has `capture: false`, so set `off` here or capture it".into(),
            );
        }
    }
    Ok(())
}

/// A DNS host name: dot-separated labels of letters, digits and '-', not
/// starting or ending with '-'.
fn is_host_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A relative path that stays inside its base: no root, no `..`, not empty.
pub fn is_relative_inside(p: &str) -> bool {
    use std::path::Component;
    !p.is_empty()
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// All scenarios under a root folder, sorted by name. Folders without a
/// spec are skipped; a broken spec is an error.
pub fn load_all(root: &Path) -> Result<Vec<Scenario>, SpecError> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| SpecError {
            file: root.to_path_buf(),
            line: None,
            column: None,
            path: String::new(),
            message: format!("cannot read the scenarios folder: {e}"),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(SPEC_FILE).is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| Scenario::load(d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_nested_keys_and_list_items() {
        let text = "name: x\nservices:\n  client:\n    build: c\n    role: client\n  server:\n    build: s\nsubscenarios:\n  - id: 1\n    name: a\n  - id: 2\n    name: b\n";
        assert_eq!(locate(text, &["name"]), Some(1));
        assert_eq!(locate(text, &["services", "server", "build"]), Some(7));
        assert_eq!(locate(text, &["services", "client", "role"]), Some(5));
        assert_eq!(locate(text, &["subscenarios", "[1]", "name"]), Some(12));
        assert_eq!(locate(text, &["subscenarios", "[1]", "id"]), Some(11));
        assert_eq!(locate(text, &["services", "nope"]), Some(2));
    }

    #[test]
    fn names() {
        assert!(is_valid_name("ftp"));
        assert!(is_valid_name("ssh-bruteforce"));
        assert!(!is_valid_name("Ftp"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("x-"));
        assert!(!is_valid_name("a b"));
        assert!(is_relative_inside("data/files"));
        assert!(!is_relative_inside("../etc"));
        assert!(!is_relative_inside("/etc"));
        assert!(!is_relative_inside(""));
    }
}
