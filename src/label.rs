//! Labels: the ground truth of finished runs as one CSV table.
//!
//! Reads run manifests (with their `results`) and nothing else.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::manifest::Manifest;
use crate::sample::Value;

pub const LABELS_FILE: &str = "labels.csv";

const COLUMNS: &[&str] = &[
    "run_id",
    "scenario",
    "subscenario",
    "subscenario_name",
    "class",
    "attack_category",
    "service",
    "role",
    "ip",
    "pcap",
    "sha256",
    "linktype",
    "packets",
    "bytes",
    "first_timestamp",
    "last_timestamp",
    "outcome",
    "root_seed",
    "run_seed",
    "parameters",
    "wan_profile",
    "wan_applied",
    "host_load_workers",
    "network",
];

/// A CSV field, quoted when it must be (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Seconds since the epoch with six or nine decimals.
pub fn format_ts(ns: i64, nanos: bool) -> String {
    let (sec, frac) = (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000));
    if nanos {
        format!("{sec}.{frac:09}")
    } else {
        format!("{sec}.{:06}", frac / 1000)
    }
}

/// Seconds since the epoch with exactly six decimals.
pub fn format_micros(us: u64) -> String {
    format_ts(us as i64 * 1000, false)
}

/// One row per captured service of every finished run, sorted by run id.
pub fn rows(run_dirs: &[PathBuf]) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for dir in run_dirs {
        let (_, m) = Manifest::read(dir)?;
        let Some(results) = &m.results else { continue };
        let params: serde_json::Map<String, serde_json::Value> = m
            .parameters
            .iter()
            .map(|(k, d)| {
                let v = match &d.value {
                    Value::Files(files) => serde_json::json!(files
                        .iter()
                        .map(|f| serde_json::json!({"name": f.name, "size": f.size}))
                        .collect::<Vec<_>>()),
                    v => serde_json::to_value(v).expect("serializes"),
                };
                (k.clone(), v)
            })
            .collect();
        let params = serde_json::Value::Object(params).to_string();
        for cap in results.captures.values() {
            let service = &cap.service;
            let svc = &m.services[service];
            rows.push(vec![
                m.run.id.clone(),
                m.scenario.clone(),
                m.subscenario.id.clone(),
                m.subscenario.name.clone(),
                m.class.to_string(),
                m.attack_category.clone().unwrap_or_default(),
                service.clone(),
                svc.role.clone(),
                svc.networks.get(&cap.network).unwrap_or(&svc.ip).clone(),
                format!("{}/{}", m.run.id, cap.pcap),
                cap.sha256.clone(),
                cap.linktype.clone(),
                cap.packets.to_string(),
                cap.bytes.to_string(),
                cap.first_timestamp_us
                    .map(format_micros)
                    .unwrap_or_default(),
                cap.last_timestamp_us.map(format_micros).unwrap_or_default(),
                results.outcome.clone(),
                m.run.root_seed.to_string(),
                m.run.seed.to_string(),
                params.clone(),
                m.wan
                    .services
                    .get(service)
                    .map_or(crate::wan::OFF, |w| w.profile.as_str())
                    .to_string(),
                // what was applied to this service's link, by direction
                results
                    .wan
                    .as_ref()
                    .and_then(|w| w.applied.get(service))
                    .map(|a| serde_json::to_string(a).expect("serializes"))
                    .unwrap_or_else(|| "{}".into()),
                m.host_load
                    .as_ref()
                    .map(|h| h.workers.to_string())
                    .unwrap_or_default(),
                cap.network.clone(),
            ]);
        }
    }
    // runs in natural order: ftp-2-0 before ftp-10-0
    rows.sort_by_cached_key(|r| {
        let key: Vec<(u8, u64, String)> = r[0]
            .split('-')
            .chain([r[6].as_str()])
            .map(|part| match part.parse::<u64>() {
                Ok(n) => (0, n, String::new()),
                Err(_) => (1, 0, part.to_string()),
            })
            .collect();
        key
    });
    Ok(rows)
}

/// Write `labels.csv` in `out` over every run directory found there.
pub fn write_csv(out: &Path) -> Result<PathBuf> {
    let dirs = crate::manifest::run_dirs(out)?;
    let mut text = COLUMNS.join(",");
    text.push('\n');
    for row in rows(&dirs)? {
        text.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        text.push('\n');
    }
    let path = out.join(LABELS_FILE);
    let tmp = out.join(".labels.csv.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("abc"), "abc");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(format_micros(1_700_000_000_000_042), "1700000000.000042");
    }
}
