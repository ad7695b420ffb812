//! Render: (scenario, subscenario, seed, run index) -> the files of one run.
//!
//! Rendering is a pure function of the spec folder, the embedded templates
//! and the request: it builds every output file in memory (`Rendered`),
//! so `verify` can compare without writing, and `write` puts them on disk.
//! It reads the scenario folder and nothing else; it never touches the
//! network or Docker. Values reach YAML only through the `yaml` filter (a
//! serializer) and shell only through the `sh` filter (quoting).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::manifest::{
    sha256_hex, HostLoadRecord, Inputs, Manifest, NetworkRecord, RunRecord, SeedSource,
    ServiceRecord, SubscenarioRecord, WanRecord, WanService, MANIFEST_FILE,
};
use crate::sample::{self, Value};
use crate::spec::{self, Replicas, Scenario, Spec, Subscenario, MAX_REPLICAS, REPLICA_VARS};
use crate::wan::{self, Link, Side};

/// Templates shared by every scenario, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "compose.yaml.j2",
        include_str!("../templates/compose.yaml.j2"),
    ),
    ("run.sh.j2", include_str!("../templates/run.sh.j2")),
    ("netem.sh.j2", include_str!("../templates/netem.sh.j2")),
    (
        "capture/Dockerfile",
        include_str!("../templates/capture/Dockerfile"),
    ),
    (
        "capture/detgen-capture",
        include_str!("../templates/capture/detgen-capture"),
    ),
    (
        "load/Dockerfile",
        include_str!("../templates/load/Dockerfile"),
    ),
    (wan::PRESETS_FILE, wan::PRESETS_YAML),
];

/// What to render.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub scenario: &'a Scenario,
    pub subscenario: String,
    pub root_seed: u64,
    pub seed_source: SeedSource,
    pub index: u32,
    /// `--set NAME=VALUE` overrides.
    pub overrides: BTreeMap<String, String>,
    /// Replaces the spec's duration when given.
    pub duration: Option<u64>,
    /// `--wan PROFILE|off`: replaces the spec's default WAN profile.
    pub wan: Option<String>,
    /// `--host-load`: run CPU hogs beside the scenario.
    pub host_load: bool,
}

/// The files of one run, by path relative to the run directory.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub run_id: String,
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Directory name of a run.
pub fn run_id(scenario: &str, subscenario: &str, index: u32) -> String {
    format!("{scenario}-{}-{index}", subscenario.to_ascii_lowercase())
}

fn template(name: &str) -> &'static str {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .expect("embedded template")
}

/// Quote for POSIX sh: one single-quoted word, `'` as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Serialize as a YAML flow value for compose: JSON (a YAML subset) with
/// Unicode line separators escaped and `$` doubled, so compose neither
/// breaks lines nor interpolates variables inside it.
pub fn compose_value<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v)
        .expect("template values serialize")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{85}', "\\u0085")
        .replace('$', "$$")
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    // Quoting is explicit (`yaml`, `sh`); never escape by file extension.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("yaml", |v: minijinja::Value| compose_value(&v));
    env.add_filter("sh", |v: minijinja::Value| -> String {
        match v.as_str() {
            Some(s) => sh_quote(s),
            None => match v.try_iter() {
                Ok(items) if v.kind() == minijinja::value::ValueKind::Seq => items
                    .map(|i| sh_quote(&i.to_string()))
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => sh_quote(&v.to_string()),
            },
        }
    });
    for (name, text) in TEMPLATES {
        if name.ends_with(".j2") {
            env.add_template(name, text)
                .expect("embedded templates parse");
        }
    }
    env
}

/// The environment for templates inside specs: parameters only.
fn value_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

/// Check a spec template: it parses and names only known parameters.
pub fn check_template(text: &str, params: &[String]) -> std::result::Result<(), String> {
    let env = value_environment();
    let t = env.template_from_str(text).map_err(|e| e.to_string())?;
    let mut unknown: Vec<String> = t
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !params.contains(v))
        .collect();
    unknown.sort();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "unknown parameter(s) {}; declared: {}",
            unknown.join(", "),
            params.join(", ")
        ))
    }
}

#[derive(Serialize)]
struct ServiceCtx {
    name: String,
    captured: bool,
    capture_name: String,
    capture_command: Vec<String>,
    capture_check: Vec<String>,
    networks: Vec<AddrCtx>,
    /// DNS names on every network: its own name and its aliases.
    aliases: Vec<String>,
    capture_labels: BTreeMap<String, String>,
    image: String,
    build: String,
    depends_on: BTreeMap<String, BTreeMap<&'static str, &'static str>>,
    command: Option<Vec<String>>,
    environment: BTreeMap<String, String>,
    volumes: Vec<BTreeMap<&'static str, serde_json::Value>>,
    cap_add: Vec<String>,
    ready: Option<Vec<String>>,
    labels: BTreeMap<String, String>,
}

/// Render one run in memory.
pub fn render(req: &Request) -> Result<Rendered> {
    let scenario = req.scenario;
    let sub: &Subscenario = scenario.subscenario(&req.subscenario).with_context(|| {
        format!(
            "scenario `{}` has no subscenario `{}`; it has: {}",
            scenario.spec.name,
            req.subscenario,
            scenario
                .spec
                .subscenarios
                .iter()
                .map(|s| format!("{} ({})", s.id, s.name))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    // The subscenario's services (less those it omits, with its per-copy
    // parameters).
    let mut trimmed = scenario.spec.clone();
    trimmed.services = scenario.services_for(sub);
    let run_id = run_id(&trimmed.name, &sub.id, req.index);
    let run_seed = sample::run_seed(req.root_seed, &trimmed.name, &sub.id, req.index);
    let project = format!("detgen-{run_id}-{:08x}", run_seed >> 32);
    let duration = req.duration.or(sub.duration).unwrap_or(trimmed.duration);
    if duration == 0 {
        bail!("--duration must be at least 1 second");
    }

    let (spec, drawn) = draw_replicated(&trimmed, scenario.parameters_for(sub), run_seed, req)?;
    let spec = &spec;
    let values: BTreeMap<&str, &Value> =
        drawn.iter().map(|(k, d)| (k.as_str(), &d.value)).collect();

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();

    // Inputs: every file of the scenario folder, and the shared files it
    // names.
    let scenario_files = read_tree(&scenario.dir)?;
    let mut shared_files: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for path in spec.shared.values().flatten() {
        let file = scenario.shared_dir().join(path);
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        shared_files.insert(path, bytes);
    }
    let inputs = Inputs {
        scenario: scenario_files
            .iter()
            .map(|(p, b)| (p.clone(), sha256_hex(b)))
            .collect(),
        templates: TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), sha256_hex(t.as_bytes())))
            .collect(),
        shared: shared_files
            .iter()
            .map(|(p, b)| (p.to_string(), sha256_hex(b)))
            .collect(),
    };

    // Build contexts, copied into the run so it is self-contained.
    let capture_dockerfile = template("capture/Dockerfile").as_bytes().to_vec();
    let capture_script = template("capture/detgen-capture").as_bytes().to_vec();
    let capture_image = format!(
        "detgen/capture:{}",
        &sha256_hex(&[capture_dockerfile.as_slice(), &capture_script].concat())[..12]
    );
    files.insert("images/capture/Dockerfile".into(), capture_dockerfile);
    files.insert("images/capture/detgen-capture".into(), capture_script);
    let mut images: BTreeMap<&str, String> = BTreeMap::new();
    for svc in spec.services.values() {
        if images.contains_key(svc.build.as_str()) {
            continue;
        }
        // The build context: the build folder and its shared files.
        let prefix = format!("{}/", svc.build.trim_end_matches('/'));
        let mut context: BTreeMap<&str, &Vec<u8>> = scenario_files
            .iter()
            .filter_map(|(p, b)| Some((p.strip_prefix(&prefix)?, b)))
            .collect();
        for path in spec.shared.get(&svc.build).into_iter().flatten() {
            let name = path.rsplit('/').next().unwrap_or(path);
            context.insert(name, &shared_files[path.as_str()]);
        }
        let mut ctx_hash = Vec::new();
        for (rel, bytes) in context {
            ctx_hash.extend_from_slice(rel.as_bytes());
            ctx_hash.push(0);
            ctx_hash.extend_from_slice(sha256_hex(bytes).as_bytes());
            files.insert(format!("images/{}/{rel}", slug(&svc.build)), bytes.clone());
        }
        let tag = format!(
            "detgen/{}-{}:{}",
            spec.name,
            slug(&svc.build),
            &sha256_hex(&ctx_hash)[..12]
        );
        images.insert(&svc.build, tag);
    }

    // Data files drawn by `files` parameters.
    for (name, d) in &drawn {
        if let Value::Files(list) = &d.value {
            for f in list {
                files.insert(
                    format!("data/{name}/{}", f.name),
                    sample::file_content(f.seed, f.size),
                );
            }
        }
    }

    let wan_record = draw_wan(req, spec, run_seed)?;
    let mut tables: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for svc in wan_record.services.values() {
        for link in svc.links.values() {
            if let Some(name) = link.table_name() {
                let text =
                    wan::table_text(link.distribution, link.weibull_shape.unwrap_or(1.0), &name);
                tables.insert(format!("netem/dist/{name}.dist"), text.into_bytes());
            }
        }
    }
    files.extend(tables);

    let host_load = if req.host_load {
        let dockerfile = template("load/Dockerfile").as_bytes().to_vec();
        let image = format!("detgen/load:{}", &sha256_hex(&dockerfile)[..12]);
        files.insert("images/load/Dockerfile".into(), dockerfile);
        Some(HostLoadRecord {
            workers: sample::draw_load_workers(run_seed),
            distribution: "floor(exponential(mean 2) + 2), at most 16".into(),
            image,
        })
    } else {
        None
    };

    // One /24 per network: the first from the project name (as for a
    // single network), the others from the project and their own name.
    let mut networks: Vec<NetCtx> = Vec::new();
    for (i, name) in spec.network_names().into_iter().enumerate() {
        let mut key = if i == 0 {
            project.clone()
        } else {
            format!("{project}/{name}")
        };
        let (subnet, gateway, base) = loop {
            let candidate = subnet_for(&key);
            if networks.iter().all(|n| n.subnet != candidate.0) {
                break candidate;
            }
            key.push('+');
        };
        networks.push(NetCtx {
            name,
            subnet,
            gateway,
            base,
        });
    }
    let venv = value_environment();
    let eval_in = |t: &str, what: &str, values: &BTreeMap<&str, &Value>| -> Result<String> {
        venv.render_str(t, values)
            .with_context(|| format!("rendering {what} template `{t}`"))
    };
    let common_labels = |service: &str, role: &str| -> BTreeMap<String, String> {
        BTreeMap::from([
            ("org.detgen.run".to_string(), run_id.clone()),
            ("org.detgen.project".to_string(), project.clone()),
            ("org.detgen.scenario".to_string(), spec.name.clone()),
            ("org.detgen.subscenario".to_string(), sub.id.clone()),
            ("org.detgen.service".to_string(), service.to_string()),
            ("org.detgen.role".to_string(), role.to_string()),
        ])
    };

    let mut services_ctx = Vec::new();
    let mut records = BTreeMap::new();
    for (i, (name, svc)) in spec.services.iter().enumerate() {
        let joined: Vec<AddrCtx> = spec
            .service_networks(svc)
            .into_iter()
            .map(|net| {
                let n = networks.iter().find(|n| n.name == net).expect("validated");
                AddrCtx {
                    network: net,
                    ip: format!("{}.{}", n.base, 10 + i),
                }
            })
            .collect();
        let ip = joined[0].ip.clone();
        // A copy of a replicated service: its templates also see its index,
        // the count and its own parameters; the subscenario's settings for
        // the service apply to every copy.
        let mut own: Vec<(String, Value)> = Vec::new();
        let base = match &svc.replica_of {
            Some(copy) => {
                own.push((REPLICA_VARS[0].into(), Value::Int(copy.index.into())));
                own.push((REPLICA_VARS[1].into(), Value::Int(copy.count.into())));
                for p in svc.replica_parameters.keys() {
                    own.push((p.clone(), drawn[&format!("{name}.{p}")].value.clone()));
                }
                copy.of.as_str()
            }
            None => name.as_str(),
        };
        let mut svc_values = values.clone();
        svc_values.extend(own.iter().map(|(k, v)| (k.as_str(), v)));
        let eval = |t: &str, what: &str| eval_in(t, what, &svc_values);
        let capture_name = format!("capture-{name}");
        let capture_file = format!("/capture/{name}.pcap.part");
        // tcpdump on eth0 for one network; for several, a capture per
        // interface, found by its address (detgen-capture).
        let (capture_command, capture_check) = if joined.len() == 1 {
            (
                [
                    "tcpdump", "-i", "eth0", "-p", "-n", "-U", "-s", "0", "-Z", "root", "-w",
                ]
                .iter()
                .map(|s| s.to_string())
                .chain([capture_file.clone()])
                // IPv6 is off inside scenarios; this drops the host bridge's
                // link-local chatter (MLD, router and neighbour solicitations).
                // IGMP reports from the bridge are host noise, too.
                .chain(["not", "ip6", "and", "not", "igmp"].map(String::from))
                .collect::<Vec<_>>(),
                vec![
                    "CMD".to_string(),
                    "test".into(),
                    "-s".into(),
                    capture_file.clone(),
                ],
            )
        } else {
            let mut cmd = vec!["detgen-capture".to_string(), name.clone()];
            cmd.extend(joined.iter().map(|a| format!("{}={}", a.ip, a.network)));
            let check = joined
                .iter()
                .map(|a| format!("test -s /capture/{name}.{}.pcap.part", a.network))
                .collect::<Vec<_>>()
                .join(" && ");
            (
                cmd,
                vec!["CMD".to_string(), "sh".into(), "-c".into(), check],
            )
        };
        let mut depends_on = BTreeMap::new();
        if svc.capture {
            depends_on.insert(
                capture_name.clone(),
                BTreeMap::from([("condition", "service_healthy")]),
            );
        }
        for dep in &svc.depends_on {
            let ready = spec.services[dep].ready.is_some();
            depends_on.insert(
                dep.clone(),
                BTreeMap::from([(
                    "condition",
                    if ready {
                        "service_healthy"
                    } else {
                        "service_started"
                    },
                )]),
            );
        }
        // A list of templates (command, ready check), each item evaluated.
        let eval_list = |items: Option<&Vec<String>>, field: &str| {
            items
                .map(|items| {
                    items
                        .iter()
                        .map(|t| eval(t, &format!("services.{name}.{field}")))
                        .collect::<Result<Vec<_>>>()
                })
                .transpose()
        };
        let command = eval_list(sub.command.get(base).or(svc.command.as_ref()), "command")?;
        let ready = eval_list(svc.ready.as_ref(), "ready")?;
        let mut env_templates = svc.environment.clone();
        if let Some(extra) = sub.environment.get(base) {
            env_templates.extend(extra.clone());
        }
        let mut environment = BTreeMap::new();
        for (k, t) in env_templates {
            let v = eval(&t, &format!("services.{name}.environment.{k}"))?;
            environment.insert(k, v);
        }
        let volumes = svc
            .volumes
            .iter()
            .map(|v| {
                BTreeMap::from([
                    ("type", serde_json::json!("bind")),
                    ("source", serde_json::json!(format!("./{}", v.source))),
                    ("target", serde_json::json!(v.target)),
                    ("read_only", serde_json::json!(v.read_only)),
                    ("bind", serde_json::json!({"create_host_path": true})),
                ])
            })
            .collect();
        let image = images[svc.build.as_str()].clone();
        records.insert(
            name.clone(),
            ServiceRecord {
                role: svc.role.clone(),
                ip: ip.clone(),
                networks: joined
                    .iter()
                    .map(|a| (a.network.clone(), a.ip.clone()))
                    .collect(),
                image: image.clone(),
                captured: svc.capture,
                workload: svc.workload,
                replica_of: svc.replica_of.as_ref().map(|c| c.of.clone()),
            },
        );
        services_ctx.push(ServiceCtx {
            name: name.clone(),
            captured: svc.capture,
            capture_command,
            capture_check,
            networks: joined,
            // the copies of a replicated service share its name in DNS
            aliases: std::iter::once(name.clone())
                .chain((base != name).then(|| base.to_string()))
                .chain(svc.aliases.iter().cloned())
                .collect(),
            capture_name,
            capture_labels: common_labels(name, "capture"),
            image,
            build: format!("./images/{}", slug(&svc.build)),
            depends_on,
            command,
            environment,
            volumes,
            cap_add: svc.cap_add.clone(),
            ready,
            labels: common_labels(name, &svc.role),
        });
    }

    let workloads: Vec<&str> = spec
        .services
        .iter()
        .filter(|(_, s)| s.workload)
        .map(|(n, _)| n.as_str())
        .collect();
    let service_names: Vec<&str> = spec.services.keys().map(|s| s.as_str()).collect();
    let version = env!("CARGO_PKG_VERSION");
    let mut net_labels = common_labels("", "");
    net_labels.retain(|k, _| !k.ends_with("service") && !k.ends_with("role"));
    let ctx = minijinja::context! {
        version,
        scenario => spec.name,
        subscenario => sub.id,
        run_id,
        project,
        duration,
        workloads,
        services => service_names,
        capture => minijinja::context! { image => capture_image.clone(), build => "./images/capture" },
        networks => networks.iter().map(|n| minijinja::context! {
            name => n.name, subnet => n.subnet, gateway => n.gateway, labels => net_labels.clone(),
        }).collect::<Vec<_>>(),
    };
    let env = environment();
    let render_tpl = |name: &str, ctx: &minijinja::Value| -> Result<Vec<u8>> {
        Ok(env
            .get_template(name)
            .expect("embedded")
            .render(ctx)
            .with_context(|| format!("rendering template {name}"))?
            .into_bytes())
    };
    let load_ctx = host_load.as_ref().map(|h| {
        let mut labels = common_labels("host-load", "host-load");
        labels.insert("org.detgen.role".into(), "load".into());
        minijinja::context! {
            image => h.image,
            build => "./images/load",
            command => ["stress-ng".to_string(), "--cpu".into(), h.workers.to_string(),
                "--timeout".into(), format!("{duration}s")],
            labels,
        }
    });
    let compose_ctx =
        minijinja::context! { services => services_ctx, host_load => load_ctx, ..ctx.clone() };
    files.insert(
        "compose.yaml".into(),
        render_tpl("compose.yaml.j2", &compose_ctx)?,
    );
    let captures: Vec<String> = spec
        .services
        .iter()
        .filter(|(_, s)| s.capture)
        .map(|(n, _)| format!("capture-{n}"))
        .collect();
    let shaped: Vec<&str> = wan_record.services.keys().map(String::as_str).collect();
    let run_ctx = minijinja::context! { captures, shaped, ..ctx.clone() };
    files.insert("run.sh".into(), render_tpl("run.sh.j2", &run_ctx)?);
    for (name, ws) in &wan_record.services {
        let links: Vec<LinkCtx> = ws
            .links
            .iter()
            .map(|(side, l)| LinkCtx::new(*side, l))
            .collect();
        let c = minijinja::context! {
            service => name,
            capture_name => format!("capture-{name}"),
            profile => ws.profile,
            links,
            ..ctx.clone()
        };
        files.insert(ws.script.clone(), render_tpl("netem.sh.j2", &c)?);
    }

    let manifest = Manifest {
        detgen_version: version.to_string(),
        scenario: spec.name.clone(),
        class: spec.class,
        attack_category: spec.attack_category.clone(),
        subscenario: SubscenarioRecord {
            id: sub.id.clone(),
            name: sub.name.clone(),
            description: sub.description.clone(),
        },
        run: RunRecord {
            id: run_id.clone(),
            index: req.index,
            project,
            root_seed: req.root_seed,
            root_seed_source: req.seed_source,
            seed: run_seed,
            duration,
        },
        networks: networks
            .iter()
            .map(|n| {
                (
                    n.name.clone(),
                    NetworkRecord {
                        subnet: n.subnet.clone(),
                        gateway: n.gateway.clone(),
                    },
                )
            })
            .collect(),
        services: records,
        capture_image: capture_image.clone(),
        parameters: drawn,
        wan: wan_record,
        host_load,
        inputs,
        outputs: files
            .iter()
            .map(|(p, b)| (p.clone(), sha256_hex(b)))
            .collect(),
        results: None,
    };
    files.insert(
        MANIFEST_FILE.into(),
        manifest.to_rendered_text().into_bytes(),
    );
    Ok(Rendered {
        run_id,
        manifest,
        files,
    })
}

/// Draw a run's parameters and expand its replicated services. The
/// parameters come first; each replicated service's count is then read
/// from them, and each copy's own parameters are drawn under
/// `<copy>.<param>` (so `--set bot-2.delay=1` sets one copy's). Every
/// draw has a stream of its own name, so the second pass redraws the
/// first's values exactly.
fn draw_replicated(
    spec: &Spec,
    mut params: BTreeMap<String, crate::dist::Dist>,
    run_seed: u64,
    req: &Request,
) -> Result<(Spec, BTreeMap<String, sample::Drawn>)> {
    let draw = |params: &BTreeMap<String, crate::dist::Dist>,
                overrides: &BTreeMap<String, String>| {
        sample::draw_all(params, run_seed, overrides).map_err(|e| anyhow::anyhow!("{e}"))
    };
    let mut counts = BTreeMap::new();
    if spec.services.values().any(|s| s.replicas.is_some()) {
        let mut overrides = req.overrides.clone();
        overrides.retain(|k, _| params.contains_key(k));
        let first = draw(&params, &overrides)?;
        let values: BTreeMap<&str, &Value> =
            first.iter().map(|(k, d)| (k.as_str(), &d.value)).collect();
        let venv = value_environment();
        for (name, svc) in &spec.services {
            let n = match &svc.replicas {
                None => continue,
                Some(Replicas::Count(n)) => *n,
                Some(Replicas::Template(t)) => {
                    let text = venv.render_str(t, &values).with_context(|| {
                        format!("rendering services.{name}.replicas template `{t}`")
                    })?;
                    text.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_REPLICAS).contains(n))
                        .with_context(|| format!(
                            "services.{name}.replicas: `{t}` gave `{text}`; expected a whole number from 1 to {MAX_REPLICAS} (check the parameters it uses, and any --set)"
                        ))?
                }
            };
            counts.insert(name.clone(), n);
            for i in 1..=n {
                for (p, d) in &svc.replica_parameters {
                    params.insert(format!("{}.{p}", spec::replica_name(name, i)), d.clone());
                }
            }
        }
    }
    let drawn = draw(&params, &req.overrides)?;
    Ok((spec.expand_replicas(&counts), drawn))
}

/// Pick each captured service's WAN profile (per-service setting, else
/// `--wan`, else the spec's default) and draw its links.
fn draw_wan(req: &Request, spec: &Spec, run_seed: u64) -> Result<WanRecord> {
    let presets = wan::presets();
    let lookup = |name: &str| spec.wan.profiles.get(name).or_else(|| presets.get(name));
    let default = req
        .wan
        .clone()
        .or_else(|| spec.wan.profile.clone())
        .unwrap_or_else(|| wan::OFF.to_string());
    if default != wan::OFF && lookup(&default).is_none() {
        bail!(
            "unknown WAN profile `{default}`; known: off, {}",
            wan_profile_names(req.scenario).join(", ")
        );
    }
    let mut record = WanRecord {
        requested: req.wan.clone(),
        profile: default.clone(),
        profiles: BTreeMap::new(),
        services: BTreeMap::new(),
    };
    for (name, svc) in &spec.services {
        let chosen = spec.wan.services.get(name).unwrap_or(&default);
        // netem shapes eth0 of the namespace the sidecar owns; a service
        // on several networks (a router, a stepping stone) is not shaped.
        if chosen == wan::OFF || !svc.capture || spec.service_networks(svc).len() > 1 {
            continue;
        }
        let profile = lookup(chosen).expect("validated: known profile");
        let links = profile
            .direction
            .sides()
            .iter()
            .map(|&side| (side, sample::draw_link(profile, run_seed, name, side)))
            .collect();
        record.profiles.insert(chosen.clone(), profile.clone());
        record.services.insert(
            name.clone(),
            WanService {
                profile: chosen.clone(),
                script: format!("netem/{name}.sh"),
                links,
            },
        );
    }
    Ok(record)
}

/// The WAN profiles a scenario can use: the presets and its own.
pub fn wan_profile_names(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = wan::presets().into_keys().collect();
    names.extend(scenario.spec.wan.profiles.keys().cloned());
    names
}

/// A network of the run.
struct NetCtx {
    name: String,
    subnet: String,
    gateway: String,
    /// First three octets.
    base: String,
}

/// A service's address on one network.
#[derive(Serialize)]
struct AddrCtx {
    network: String,
    ip: String,
}

/// What the netem script template needs of one direction.
#[derive(Serialize)]
struct LinkCtx {
    side: &'static str,
    /// Empty when netem has nothing to do.
    netem_args: Vec<String>,
    tbf_args: Option<Vec<String>>,
    loss_probability: Option<String>,
    settings: Vec<(&'static str, String)>,
    fallback_applied: Vec<(&'static str, String)>,
    fallback_skipped: Vec<(&'static str, String)>,
    seed: String,
}

impl LinkCtx {
    fn new(side: Side, l: &Link) -> LinkCtx {
        let (fallback_applied, fallback_skipped) = l.fallback_split();
        LinkCtx {
            side: side.name(),
            netem_args: if l.is_noop() {
                Vec::new()
            } else {
                l.netem_args()
            },
            tbf_args: l.tbf_args(),
            loss_probability: l.loss_probability(),
            settings: l.settings(),
            fallback_applied,
            fallback_skipped,
            seed: l.seed.to_string(),
        }
    }
}

/// A name usable in image tags and folder names.
fn slug(path: &str) -> String {
    path.trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// A /24 in 10.100.0.0-10.199.255.0 picked by the project name, so runs
/// get distinct subnets and can execute side by side on one host.
fn subnet_for(project: &str) -> (String, String, String) {
    let h = crate::manifest::sha256_hex(project.as_bytes());
    let b = hex::decode(&h[..4]).expect("hex");
    let base = format!("10.{}.{}", 100 + (b[0] % 100), b[1]);
    (format!("{base}.0/24"), format!("{base}.1"), base)
}

/// Every regular file under `dir`, by `/`-separated relative path.
fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("under dir")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !entry.file_type().is_file() {
            bail!(
                "{}: only regular files may live in a scenario folder (no symlinks or devices)",
                entry.path().display()
            );
        }
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        out.insert(rel, bytes);
    }
    Ok(out)
}

/// Write a rendered run into `dir`, which must not exist yet (or is
/// replaced when `force` is set). Scripts are made executable.
pub fn write(rendered: &Rendered, dir: &Path, force: bool) -> Result<()> {
    if dir.exists() {
        if !force {
            bail!(
                "{} already exists; pass --force to replace it",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    for (rel, bytes) in &rendered.files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        if rel.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_survives_hostile_text() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("$(x)"), "'$(x)'");
    }

    #[test]
    fn compose_value_doubles_dollars_and_escapes_separators() {
        assert_eq!(compose_value("a$b"), r#""a$$b""#);
        assert_eq!(compose_value("x\u{2028}y"), r#""x\u2028y""#);
        assert_eq!(compose_value("a\nb"), r#""a\nb""#);
    }

    #[test]
    fn subnets_are_stable_and_private() {
        let a = subnet_for("detgen-ftp-1-0-deadbeef");
        assert_eq!(a, subnet_for("detgen-ftp-1-0-deadbeef"));
        let octet: u32 = a.0.split('.').nth(1).unwrap().parse().unwrap();
        assert!((100..200).contains(&octet), "{a:?}");
        assert!(a.0.starts_with("10.") && a.0.ends_with(".0/24"));
        assert_eq!(a.1, format!("{}.1", a.2));
    }
}
