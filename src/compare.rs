//! Two-sample Kolmogorov-Smirnov comparison of traffic: inter-arrival
//! times and packet sizes, overall, upstream and downstream, between two
//! runs, two groups of runs or two datasets (the paper's Section 4.1).
//!
//! A side is a dataset directory (its capture), a run directory, or a
//! folder of run directories (all their captures pooled). Inter-arrival
//! times are measured within a flow as one capture saw it: overall
//! between consecutive packets of the flow, upstream between consecutive
//! packets from the flow's initiator, downstream between those towards
//! it. Sizes are on-the-wire lengths. Reads files only.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::dataset::{is_dataset, DatasetManifest};
use crate::flow::{dissect, Tracker};
use crate::manifest::{run_dirs, Manifest};
use crate::pcapio::Reader;

#[derive(Debug, Default)]
pub struct Sample {
    pub iat: [Vec<f64>; 3],
    pub size: [Vec<f64>; 3],
}

pub const DIRECTIONS: [&str; 3] = ["overall", "upstream", "downstream"];

/// The capture files of one side.
fn captures_of(path: &Path) -> Result<Vec<PathBuf>> {
    if is_dataset(path) {
        let m = DatasetManifest::read(path)?;
        return Ok(vec![path.join(m.capture_file())]);
    }
    let dirs = run_dirs(path)?;
    if dirs.is_empty() {
        bail!(
            "{}: neither a dataset, a run directory nor a folder of runs",
            path.display()
        );
    }
    let mut out = Vec::new();
    for d in dirs {
        let (_, m) = Manifest::read(&d)?;
        let Some(results) = m.results else {
            bail!(
                "{}: the run has no results (it was rendered but not run)",
                d.display()
            );
        };
        out.extend(results.captures.values().map(|c| d.join(&c.pcap)));
    }
    Ok(out)
}

/// Collects the samples of one side.
pub fn sample(path: &Path) -> Result<Sample> {
    let mut s = Sample::default();
    for pcap in captures_of(path)? {
        let f = File::open(&pcap).with_context(|| format!("opening {}", pcap.display()))?;
        let mut r = Reader::new(f).with_context(|| format!("reading {}", pcap.display()))?;
        let mut tracker = Tracker::new(120.0, 0);
        // Per flow: last packet time overall, forward, backward.
        let mut last: HashMap<u64, [Option<i64>; 3]> = HashMap::new();
        let mut scratch = Vec::new();
        while r.advance()? {
            let p = r.packet();
            let d = dissect(p.linktype, p.data, &mut scratch);
            let size = p.orig_len.max(p.data.len() as u32);
            let (flow, fwd) = tracker.observe(p.ts_ns, size, &d, 0);
            let dir = if fwd { 1 } else { 2 };
            let l = last.entry(flow).or_default();
            for k in [0, dir] {
                if let Some(t) = l[k] {
                    s.iat[k].push((p.ts_ns - t) as f64 / 1e9);
                }
                l[k] = Some(p.ts_ns);
                s.size[k].push(f64::from(size));
            }
            for f in tracker.take_finished() {
                last.remove(&f.id);
            }
        }
    }
    Ok(s)
}

/// Two-sample Kolmogorov-Smirnov statistic D and its asymptotic p-value.
/// None when a sample is empty.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    Some((d, kolmogorov_q((en + 0.12 + 0.11 / en) * d)))
}

/// P(K > lambda) for the Kolmogorov distribution.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 1e-3 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for j in 1..=100 {
        let term = sign * 2.0 * (-2.0 * (j as f64).powi(2) * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 {
            break;
        }
        sign = -sign;
    }
    sum.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub metric: String,
    pub direction: String,
    pub n_a: usize,
    pub n_b: usize,
    pub d: Option<f64>,
    pub p: Option<f64>,
    /// `same` (not rejected at alpha), `different`, or `n/a` (a sample is empty).
    pub verdict: String,
}

/// Compares two sides; one row per metric and direction.
pub fn compare(a: &Sample, b: &Sample, alpha: f64) -> Vec<Row> {
    let mut rows = Vec::new();
    for (metric, sa, sb) in [("iat", &a.iat, &b.iat), ("size", &a.size, &b.size)] {
        for k in 0..3 {
            let r = ks_2samp(&sa[k], &sb[k]);
            rows.push(Row {
                metric: metric.into(),
                direction: DIRECTIONS[k].into(),
                n_a: sa[k].len(),
                n_b: sb[k].len(),
                d: r.map(|x| x.0),
                p: r.map(|x| x.1),
                verdict: match r {
                    None => "n/a".into(),
                    Some((_, p)) if p >= alpha => "same".into(),
                    Some(_) => "different".into(),
                },
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic uniform(0,1) numbers without a random source.
    fn halton(n: usize, base: usize) -> Vec<f64> {
        (1..=n)
            .map(|mut i| {
                let (mut f, mut r) = (1.0, 0.0);
                while i > 0 {
                    f /= base as f64;
                    r += f * (i % base) as f64;
                    i /= base;
                }
                r
            })
            .collect()
    }

    #[test]
    fn same_distribution_passes_and_a_shift_fails() {
        let a = halton(2000, 2);
        let b = halton(1500, 3);
        let (d, p) = ks_2samp(&a, &b).unwrap();
        assert!(d < 0.05 && p > 0.01, "d={d} p={p}");
        let shifted: Vec<f64> = b.iter().map(|x| x + 0.2).collect();
        let (d, p) = ks_2samp(&a, &shifted).unwrap();
        assert!((d - 0.2).abs() < 0.02 && p < 1e-6, "d={d} p={p}");
        let exp: Vec<f64> = b.iter().map(|x| -(1.0 - x).ln()).collect();
        assert!(ks_2samp(&a, &exp).unwrap().1 < 0.01);
    }

    #[test]
    fn ties_and_identical_samples() {
        let a = vec![1.0, 1.0, 2.0, 2.0, 3.0];
        assert_eq!(ks_2samp(&a, &a).unwrap().0, 0.0);
        assert_eq!(ks_2samp(&a, &[]), None);
        let (d, _) = ks_2samp(&[1.0, 2.0], &[3.0, 4.0]).unwrap();
        assert_eq!(d, 1.0);
    }

    #[test]
    fn the_p_value_matches_known_values() {
        // Q(1.36) ~ 0.049, Q(1.63) ~ 0.010 (the usual critical values).
        assert!((kolmogorov_q(1.358) - 0.05).abs() < 1e-3);
        assert!((kolmogorov_q(1.628) - 0.01).abs() < 1e-3);
    }
}
