//! Seeded sampling: the only place detgen draws random numbers.
//!
//! A run's seed is derived from (root seed, scenario, subscenario, run
//! index) through sha256, and each parameter gets its own ChaCha20 stream
//! derived from (run seed, parameter name). So adding a parameter to a spec
//! changes no other parameter's value, and the values are the same on every
//! platform and build (ChaCha20 is value-stable; `StdRng` is not).

use std::collections::BTreeMap;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::{Cauchy, Exp, Normal, Pareto, Weibull};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dist::{alphabet_chars, Dist, Post, Scalar};
use crate::wan::{self, Field, Link, Profile, Shape, Side};

/// A drawn (or user-set) parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    Files(Vec<FileSpec>),
}

/// One generated file: its name, size in bytes and the seed of its content
/// (see `file_content`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub name: String,
    pub size: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Drawn from the distribution with the run's seed.
    Drawn,
    /// Given by the user with `--set NAME=VALUE`.
    Set,
}

/// A parameter as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drawn {
    pub value: Value,
    pub source: Source,
    pub distribution: Dist,
}

/// Hard limits that keep a careless spec from exhausting the machine.
const MAX_STRING_LEN: u64 = 4096;
const MAX_FILES: u64 = 1000;
const MAX_FILE_SIZE: u64 = 256 << 20;

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

fn u64_of(digest: [u8; 32]) -> u64 {
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The seed of one run, from the root seed and the run's coordinates.
pub fn run_seed(root: u64, scenario: &str, subscenario: &str, index: u32) -> u64 {
    u64_of(sha(&[
        b"detgen/run-seed/v1",
        &root.to_le_bytes(),
        scenario.as_bytes(),
        subscenario.as_bytes(),
        &index.to_le_bytes(),
    ]))
}

/// A fresh root seed from the operating system's entropy.
pub fn entropy_seed() -> u64 {
    rand::rng().random()
}

/// The random stream of one named purpose within a run.
pub fn stream(run_seed: u64, purpose: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(sha(&[
        b"detgen/stream/v1",
        &run_seed.to_le_bytes(),
        purpose.as_bytes(),
    ]))
}

/// Draw every parameter of a run. `overrides` (from `--set`) replace draws
/// and are recorded as `Source::Set`; an override naming no parameter is an
/// error.
pub fn draw_all(
    params: &BTreeMap<String, Dist>,
    run_seed: u64,
    overrides: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Drawn>, String> {
    for name in overrides.keys() {
        if !params.contains_key(name) {
            return Err(format!(
                "--set {name}=...: this run has no parameter `{name}` (it has: {})",
                params.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    params
        .iter()
        .map(|(name, dist)| {
            let drawn = match overrides.get(name) {
                Some(text) => Drawn {
                    value: parse_override(dist, text)
                        .map_err(|e| format!("--set {name}={text}: {e}"))?,
                    source: Source::Set,
                    distribution: dist.clone(),
                },
                None => Drawn {
                    value: draw(dist, &mut stream(run_seed, &format!("param/{name}"))),
                    source: Source::Drawn,
                    distribution: dist.clone(),
                },
            };
            Ok((name.clone(), drawn))
        })
        .collect()
}

/// Read a `--set` value as the type its distribution draws.
pub fn parse_override(dist: &Dist, text: &str) -> Result<Value, String> {
    let int = || {
        text.trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("expected an integer for `dist: {}`", dist.kind()))
    };
    let float = || {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Value::Float)
            .ok_or_else(|| format!("expected a number for `dist: {}`", dist.kind()))
    };
    match dist {
        Dist::UniformInt { .. } => int(),
        Dist::Uniform { post, .. }
        | Dist::Normal { post, .. }
        | Dist::Exponential { post, .. }
        | Dist::Pareto { post, .. }
        | Dist::HalfCauchy { post, .. }
        | Dist::Weibull { post, .. } => {
            if post.integer {
                int()
            } else {
                float()
            }
        }
        Dist::String { .. } => Ok(Value::Str(text.to_string())),
        Dist::Constant { value } => Ok(scalar_like(value, text)),
        Dist::Choice { values, .. } => Ok(scalar_like(&values[0], text)),
        Dist::Files { .. } => Err("a `files` parameter cannot be set on the command line".into()),
    }
}

fn scalar_like(example: &Scalar, text: &str) -> Value {
    match example {
        Scalar::Int(_) => text
            .parse()
            .map(Value::Int)
            .unwrap_or(Value::Str(text.into())),
        Scalar::Float(_) => text
            .parse()
            .map(Value::Float)
            .unwrap_or(Value::Str(text.into())),
        Scalar::Str(_) => Value::Str(text.into()),
    }
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Int(i) => Value::Int(*i),
        Scalar::Float(f) => Value::Float(*f),
        Scalar::Str(s) => Value::Str(s.clone()),
    }
}

fn post(x: f64, p: &Post) -> Value {
    let mut x = x + p.offset;
    if let Some(lo) = p.min {
        x = x.max(lo);
    }
    if let Some(hi) = p.max {
        x = x.min(hi);
    }
    if p.integer {
        // Saturating conversion: a huge draw without `max` stays finite.
        Value::Int(x.floor() as i64)
    } else {
        Value::Float(x)
    }
}

/// Draw one value of a distribution.
pub fn draw(dist: &Dist, rng: &mut ChaCha20Rng) -> Value {
    match dist {
        Dist::Constant { value } => scalar(value),
        Dist::UniformInt { low, high } => Value::Int(rng.random_range(*low..=*high)),
        Dist::Uniform { low, high, post: p } => post(rng.random_range(*low..*high), p),
        Dist::Normal { mean, std, post: p } => post(
            Normal::new(*mean, *std)
                .expect("validated: std > 0")
                .sample(rng),
            p,
        ),
        Dist::Exponential { mean, post: p } => post(
            Exp::new(1.0 / mean)
                .expect("validated: mean > 0")
                .sample(rng),
            p,
        ),
        Dist::Pareto {
            scale,
            shape,
            post: p,
        } => post(
            Pareto::new(*scale, *shape)
                .expect("validated: scale, shape > 0")
                .sample(rng),
            p,
        ),
        Dist::Weibull {
            scale,
            shape,
            post: p,
        } => post(
            Weibull::new(*scale, *shape)
                .expect("validated: scale, shape > 0")
                .sample(rng),
            p,
        ),
        Dist::HalfCauchy { scale, post: p } => post(
            Cauchy::new(0.0, *scale)
                .expect("validated: scale > 0")
                .sample(rng)
                .abs(),
            p,
        ),
        Dist::Choice { values, weights } => {
            let i = match weights {
                Some(w) => WeightedIndex::new(w)
                    .expect("validated: weights")
                    .sample(rng),
                None => rng.random_range(0..values.len()),
            };
            scalar(&values[i])
        }
        Dist::String { alphabet, length } => {
            let chars = alphabet_chars(alphabet);
            let n = count(&draw(length, rng), MAX_STRING_LEN);
            Value::Str(
                (0..n)
                    .map(|_| chars[rng.random_range(0..chars.len())])
                    .collect(),
            )
        }
        Dist::Files {
            count: n,
            name_length,
            size,
        } => {
            let n = count(&draw(n, rng), MAX_FILES);
            let letters = alphabet_chars("alnum");
            let mut files: Vec<FileSpec> = Vec::new();
            while (files.len() as u64) < n {
                let len = count(&draw(name_length, rng), 64).max(1);
                let stem: String = (0..len)
                    .map(|_| letters[rng.random_range(0..letters.len())])
                    .collect();
                let name = format!("{stem}.txt");
                let size = count(&draw(size, rng), MAX_FILE_SIZE);
                let seed = rng.random();
                if files.iter().any(|f| f.name == name) {
                    continue; // names are unique within a set
                }
                files.push(FileSpec { name, size, seed });
            }
            Value::Files(files)
        }
    }
}

/// Draw one direction of a service's WAN link from a profile. Each field
/// has its own stream (`wan/<service>/<side>/<field>`), so adding a field
/// to a profile changes no other field's value.
pub fn draw_link(profile: &Profile, run_seed: u64, service: &str, side: Side) -> Link {
    let purpose = |field: &str| format!("wan/{service}/{}/{field}", side.name());
    let number = |field: &str, f: Option<&Field>| -> f64 {
        match f {
            None => 0.0,
            Some(f) => match draw(&f.dist(), &mut stream(run_seed, &purpose(field))) {
                Value::Int(i) => i as f64,
                Value::Float(x) if x.is_finite() => x,
                _ => 0.0,
            },
        }
    };
    let distribution = match draw(
        &profile.distribution.dist(),
        &mut stream(run_seed, &purpose("distribution")),
    ) {
        Value::Str(s) => Shape::parse(&s).expect("validated: a known shape"),
        other => unreachable!("validated: shapes are names, drew {other:?}"),
    };
    let weibull_shape = (distribution == Shape::Weibull).then(|| {
        let k = number("weibull_shape", profile.weibull_shape.as_ref());
        (k.clamp(0.3, 10.0) * 100.0).round() / 100.0
    });
    let rate = number("rate_kbit", profile.rate_kbit.as_ref());
    Link {
        distribution,
        delay_ms: wan::round_ms(number("delay_ms", profile.delay_ms.as_ref())),
        jitter_ms: wan::round_ms(number("jitter_ms", profile.jitter_ms.as_ref())),
        correlation_pct: wan::round_pct(number(
            "correlation_pct",
            profile.correlation_pct.as_ref(),
        )),
        weibull_shape,
        loss_pct: wan::round_pct(number("loss_pct", profile.loss_pct.as_ref())),
        corrupt_pct: wan::round_pct(number("corrupt_pct", profile.corrupt_pct.as_ref())),
        duplicate_pct: wan::round_pct(number("duplicate_pct", profile.duplicate_pct.as_ref())),
        reorder_pct: wan::round_pct(number("reorder_pct", profile.reorder_pct.as_ref())),
        rate_kbit: profile
            .rate_kbit
            .as_ref()
            .map(|_| rate.round().clamp(8.0, 100_000_000.0) as u64),
        seed: stream(run_seed, &purpose("seed")).random::<u32>() as u64,
    }
}

/// The number of CPU hogs of a run's host load, as the original drew it:
/// floor(Exp(mean 2) + 2), at most 16.
pub fn draw_load_workers(run_seed: u64) -> u32 {
    let x: f64 = Exp::new(0.5)
        .expect("rate > 0")
        .sample(&mut stream(run_seed, "host-load/workers"));
    ((x + 2.0).floor() as u32).min(16)
}

/// A numeric draw as a count in `[0, max]`.
fn count(v: &Value, max: u64) -> u64 {
    let x = match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => f.floor(),
        _ => 0.0,
    };
    if x.is_nan() || x < 0.0 {
        0
    } else {
        (x as u64).min(max)
    }
}

/// The content of a generated file: printable lines, fully determined by
/// its seed and size, so that a re-render writes the same bytes.
pub fn file_content(seed: u64, size: u64) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let letters: Vec<u8> = alphabet_chars("alnum").iter().map(|c| *c as u8).collect();
    (0..size)
        .map(|i| {
            if i % 64 == 63 {
                b'\n'
            } else {
                letters[rng.random_range(0..letters.len())]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(s: &str) -> Dist {
        serde_yaml_ng::from_str(s).unwrap()
    }

    fn floats(d: &Dist, n: usize) -> Vec<f64> {
        let mut rng = stream(42, "test");
        (0..n)
            .map(|_| match draw(d, &mut rng) {
                Value::Float(f) => f,
                Value::Int(i) => i as f64,
                v => panic!("not numeric: {v:?}"),
            })
            .collect()
    }

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (
            m,
            xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
        )
    }

    #[test]
    fn same_seed_same_values_other_seed_other_values() {
        let mut params = BTreeMap::new();
        params.insert(
            "user".to_string(),
            dist("{dist: string, alphabet: lower, length: {dist: uniform_int, low: 8, high: 12}}"),
        );
        params.insert(
            "size".to_string(),
            dist("{dist: half_cauchy, scale: 5000, max: 100000, integer: true}"),
        );
        let none = BTreeMap::new();
        let a = draw_all(&params, run_seed(7, "ftp", "3", 0), &none).unwrap();
        let b = draw_all(&params, run_seed(7, "ftp", "3", 0), &none).unwrap();
        let c = draw_all(&params, run_seed(7, "ftp", "3", 1), &none).unwrap();
        assert_eq!(a, b);
        assert_ne!(a["user"].value, c["user"].value);
    }

    #[test]
    fn adding_a_parameter_leaves_the_others_unchanged() {
        let mut params = BTreeMap::new();
        params.insert("a".to_string(), dist("{dist: uniform, low: 0, high: 1}"));
        let before = draw_all(&params, 99, &BTreeMap::new()).unwrap();
        params.insert("b".to_string(), dist("{dist: uniform, low: 0, high: 1}"));
        let after = draw_all(&params, 99, &BTreeMap::new()).unwrap();
        assert_eq!(before["a"], after["a"]);
    }

    #[test]
    fn run_seeds_differ_by_every_coordinate() {
        let base = run_seed(1, "ftp", "1", 0);
        assert_ne!(base, run_seed(2, "ftp", "1", 0));
        assert_ne!(base, run_seed(1, "ssh", "1", 0));
        assert_ne!(base, run_seed(1, "ftp", "2", 0));
        assert_ne!(base, run_seed(1, "ftp", "1", 1));
        // no ambiguity from concatenation
        assert_ne!(run_seed(1, "ab", "c", 0), run_seed(1, "a", "bc", 0));
        // pinned: the derivation is part of the reproducibility contract
        assert_eq!(run_seed(7, "ftp", "3", 0), run_seed(7, "ftp", "3", 0));
    }

    #[test]
    fn empirical_moments_match() {
        let n = 40_000;
        let close = |got: f64, want: f64, tol: f64, what: &str| {
            assert!(
                (got - want).abs() <= tol * want.abs().max(1.0),
                "{what}: got {got}, want {want}"
            )
        };
        let (m, v) = mean_var(&floats(&dist("{dist: normal, mean: 50, std: 10}"), n));
        close(m, 50.0, 0.01, "normal mean");
        close(v.sqrt(), 10.0, 0.03, "normal std");
        let (m, _) = mean_var(&floats(&dist("{dist: exponential, mean: 10}"), n));
        close(m, 10.0, 0.03, "exponential mean");
        // Pareto(scale 1, shape 3): mean 1.5, variance 0.75
        let xs = floats(&dist("{dist: pareto, scale: 1, shape: 3}"), n);
        let (m, _) = mean_var(&xs);
        close(m, 1.5, 0.03, "pareto mean");
        assert!(
            xs.iter().all(|x| *x >= 1.0),
            "pareto has nothing below its scale"
        );
        // Weibull(scale 2, shape 1) is exponential with mean 2
        let (m, _) = mean_var(&floats(&dist("{dist: weibull, scale: 2, shape: 1}"), n));
        close(m, 2.0, 0.03, "weibull mean");
        let (m, v) = mean_var(&floats(&dist("{dist: uniform, low: 0, high: 12}"), n));
        close(m, 6.0, 0.02, "uniform mean");
        close(v, 12.0, 0.03, "uniform variance");
        let xs = floats(&dist("{dist: uniform_int, low: 1, high: 6}"), n);
        close(mean_var(&xs).0, 3.5, 0.02, "uniform_int mean");
        assert!(xs.iter().all(|x| (1.0..=6.0).contains(x)));
        // half-Cauchy: median equals the scale; the cap holds
        let mut xs = floats(&dist("{dist: half_cauchy, scale: 5000, max: 1000000}"), n);
        xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        close(xs[n / 2], 5000.0, 0.05, "half-cauchy median");
        assert!(xs.iter().all(|x| (0.0..=1_000_000.0).contains(x)));
    }

    #[test]
    fn weighted_choice_follows_weights() {
        let d = dist("{dist: choice, values: [a, b], weights: [1, 3]}");
        let mut rng = stream(1, "choice");
        let n = 20_000;
        let bs = (0..n)
            .filter(|_| draw(&d, &mut rng) == Value::Str("b".into()))
            .count();
        let p = bs as f64 / n as f64;
        assert!((p - 0.75).abs() < 0.015, "p(b) = {p}");
    }

    #[test]
    fn strings_use_the_alphabet_and_drawn_length() {
        let d = dist("{dist: string, alphabet: ab, length: {dist: uniform_int, low: 3, high: 5}}");
        let mut rng = stream(3, "s");
        for _ in 0..200 {
            let Value::Str(s) = draw(&d, &mut rng) else {
                panic!()
            };
            assert!((3..=5).contains(&s.len()));
            assert!(s.chars().all(|c| c == 'a' || c == 'b'));
        }
    }

    #[test]
    fn files_have_unique_names_and_bounded_sizes() {
        let d = dist(
            "{dist: files, count: {dist: constant, value: 20}, name_length: {dist: uniform_int, low: 1, high: 2}, size: {dist: uniform_int, low: 0, high: 100}}",
        );
        let Value::Files(files) = draw(&d, &mut stream(5, "f")) else {
            panic!()
        };
        assert_eq!(files.len(), 20);
        let mut names: Vec<_> = files.iter().map(|f| &f.name).collect();
        names.dedup();
        assert_eq!(names.len(), 20);
        assert!(files.iter().all(|f| f.size <= 100));
        let content = file_content(files[0].seed, 1000);
        assert_eq!(content.len(), 1000);
        assert_eq!(content, file_content(files[0].seed, 1000));
    }

    #[test]
    fn overrides_are_typed_and_recorded() {
        let mut params = BTreeMap::new();
        params.insert(
            "n".to_string(),
            dist("{dist: uniform_int, low: 1, high: 3}"),
        );
        params.insert(
            "pw".to_string(),
            dist("{dist: string, alphabet: lower, length: {dist: constant, value: 5}}"),
        );
        let mut set = BTreeMap::new();
        set.insert("n".to_string(), "42".to_string());
        set.insert("pw".to_string(), "it's $(rm -rf /)".to_string());
        let d = draw_all(&params, 1, &set).unwrap();
        assert_eq!(d["n"].value, Value::Int(42));
        assert_eq!(d["n"].source, Source::Set);
        assert_eq!(d["pw"].value, Value::Str("it's $(rm -rf /)".into()));
        set.insert("n".to_string(), "many".to_string());
        assert!(draw_all(&params, 1, &set)
            .unwrap_err()
            .contains("expected an integer"));
        let mut unknown = BTreeMap::new();
        unknown.insert("nope".to_string(), "1".to_string());
        assert!(draw_all(&params, 1, &unknown)
            .unwrap_err()
            .contains("no parameter `nope`"));
    }
}

/// One run slot of a campaign: which plan entry, which of its
/// subscenarios, which WAN choice (`None`: the scenario's own default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub entry: usize,
    pub subscenario: usize,
    pub wan: Option<usize>,
}

/// What a campaign plan leaves to chance: the entry of every slot (by
/// weight, or exact counts in a shuffled order), a subscenario of that
/// entry (uniform) and a WAN choice (by weight). `entries` are (weight or
/// count, number of subscenarios); `slots` is used with weights only.
pub fn draw_campaign(
    seed: u64,
    entries: &[(f64, usize)],
    counts: bool,
    wan_weights: &[f64],
    slots: usize,
) -> Vec<Slot> {
    let mut order: Vec<usize> = if counts {
        let mut v: Vec<usize> = entries
            .iter()
            .enumerate()
            .flat_map(|(i, (n, _))| std::iter::repeat_n(i, *n as usize))
            .collect();
        v.shuffle(&mut stream(seed, "campaign/order"));
        v
    } else {
        let pick = WeightedIndex::new(entries.iter().map(|(w, _)| *w)).expect("validated weights");
        let mut rng = stream(seed, "campaign/entries");
        (0..slots).map(|_| pick.sample(&mut rng)).collect()
    };
    let mut subs = stream(seed, "campaign/subscenarios");
    let mut wan_rng = stream(seed, "campaign/wan");
    let wan_pick = (!wan_weights.is_empty())
        .then(|| WeightedIndex::new(wan_weights.iter().copied()).expect("validated weights"));
    order
        .drain(..)
        .map(|entry| Slot {
            entry,
            subscenario: subs.random_range(0..entries[entry].1.max(1)),
            wan: wan_pick.as_ref().map(|p| p.sample(&mut wan_rng)),
        })
        .collect()
}
