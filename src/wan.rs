//! WAN emulation vocabulary: profiles, presets, drawn link settings, the tc
//! arguments that apply them and netem's delay distribution tables.
//!
//! Like `dist`, this is plain data and pure functions: a `Profile` says how
//! to draw a service's link (spec and presets), `sample::draw_link` draws
//! it, `render` turns the drawn `Link` into tc arguments and tables with the
//! functions here, and the runner executes the rendered scripts. Nothing
//! here touches the kernel.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::dist::{Dist, Scalar};

/// The profile name that means "no WAN emulation".
pub const OFF: &str = "off";

/// Built-in profiles, embedded in the binary (and hashed into manifests
/// like the templates).
pub const PRESETS_FILE: &str = "wan-presets.yaml";
pub const PRESETS_YAML: &str = include_str!("../templates/wan-presets.yaml");

/// Which directions of a container's link are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Packets leaving the container (root qdisc on its interface).
    Egress,
    /// Packets reaching the container (through an IFB device).
    Ingress,
    /// Both, each direction drawn on its own.
    #[default]
    Both,
}

impl Direction {
    /// The directions shaped, in a fixed order.
    pub fn sides(self) -> &'static [Side] {
        match self {
            Direction::Egress => &[Side::Egress],
            Direction::Ingress => &[Side::Ingress],
            Direction::Both => &[Side::Egress, Side::Ingress],
        }
    }
}

/// One shaped direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Egress,
    Ingress,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Egress => "egress",
            Side::Ingress => "ingress",
        }
    }
}

/// The shape of netem's delay around its mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// netem's built-in uniform jitter on [delay - jitter, delay + jitter].
    Uniform,
    Normal,
    /// Pareto with tail index 3 (so its variance is finite).
    Pareto,
    /// iproute2's blend: quantiles of 0.25 normal + 0.75 pareto.
    Paretonormal,
    /// Weibull with the profile's `weibull_shape`.
    Weibull,
}

pub const SHAPES: &[&str] = &["uniform", "normal", "pareto", "paretonormal", "weibull"];

impl Shape {
    pub fn parse(name: &str) -> Option<Shape> {
        Some(match name {
            "uniform" => Shape::Uniform,
            "normal" => Shape::Normal,
            "pareto" => Shape::Pareto,
            "paretonormal" => Shape::Paretonormal,
            "weibull" => Shape::Weibull,
            _ => return None,
        })
    }
}

/// A WAN profile as written in a spec's `wan.profiles` or in the presets:
/// each numeric field is a distribution (or a plain number), drawn per
/// service and direction. Absent fields are not applied.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub direction: Direction,
    /// Delay shape: a name from `SHAPES`, or a `choice` of them.
    #[serde(default = "uniform_shape")]
    pub distribution: Field,
    /// Mean one-way delay in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<Field>,
    /// Standard deviation of the delay (netem's jitter) in milliseconds;
    /// for `uniform`, the half-width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<Field>,
    /// Correlation of successive delays, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_pct: Option<Field>,
    /// Shape parameter k of `weibull` (k < 1 heavy tail, k = 1
    /// exponential, k ~ 3.6 near normal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weibull_shape: Option<Field>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_pct: Option<Field>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt_pct: Option<Field>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_pct: Option<Field>,
    /// Percent of packets sent at once, ahead of delayed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_pct: Option<Field>,
    /// Rate limit in kbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_kbit: Option<Field>,
}

fn uniform_shape() -> Field {
    Field::Fixed(Scalar::Str("uniform".into()))
}

/// A profile field: a plain value or a distribution to draw it from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Field {
    Fixed(Scalar),
    Drawn(Dist),
}

impl Field {
    pub fn dist(&self) -> Dist {
        match self {
            Field::Fixed(v) => Dist::Constant { value: v.clone() },
            Field::Drawn(d) => d.clone(),
        }
    }
}

/// The numeric fields of a profile, by name, in a fixed order.
pub fn numeric_fields(p: &Profile) -> Vec<(&'static str, Option<&Field>)> {
    vec![
        ("delay_ms", p.delay_ms.as_ref()),
        ("jitter_ms", p.jitter_ms.as_ref()),
        ("correlation_pct", p.correlation_pct.as_ref()),
        ("weibull_shape", p.weibull_shape.as_ref()),
        ("loss_pct", p.loss_pct.as_ref()),
        ("corrupt_pct", p.corrupt_pct.as_ref()),
        ("duplicate_pct", p.duplicate_pct.as_ref()),
        ("reorder_pct", p.reorder_pct.as_ref()),
        ("rate_kbit", p.rate_kbit.as_ref()),
    ]
}

/// The built-in profiles.
pub fn presets() -> BTreeMap<String, Profile> {
    serde_yaml_ng::from_str(PRESETS_YAML).expect("the embedded WAN presets parse")
}

/// Check a profile: every numeric field draws numbers, every shape named
/// is known. Returns `(field, message)` on the first problem.
pub fn check_profile(p: &Profile) -> Result<(), (String, String)> {
    for (name, field) in numeric_fields(p) {
        let Some(field) = field else { continue };
        if !draws_numbers(&field.dist()) {
            return Err((
                name.to_string(),
                "must be a number or a numeric distribution (uniform, normal, exponential, pareto, half_cauchy, weibull, uniform_int, or a choice of numbers)".into(),
            ));
        }
    }
    let shapes = match p.distribution.dist() {
        Dist::Constant {
            value: Scalar::Str(s),
        } => vec![s],
        Dist::Choice { values, .. } => values
            .iter()
            .map(|v| match v {
                Scalar::Str(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect(),
        _ => {
            return Err((
                "distribution".into(),
                format!("must be one of {} or a choice of them", SHAPES.join(", ")),
            ))
        }
    };
    for s in &shapes {
        let Some(shape) = Shape::parse(s) else {
            return Err((
                "distribution".into(),
                format!(
                    "unknown delay distribution `{s}`; use one of {}",
                    SHAPES.join(", ")
                ),
            ));
        };
        if shape == Shape::Weibull && p.weibull_shape.is_none() {
            return Err((
                "weibull_shape".into(),
                "is required when the delay distribution can be weibull".into(),
            ));
        }
    }
    Ok(())
}

fn draws_numbers(d: &Dist) -> bool {
    match d {
        Dist::Constant { value } => !matches!(value, Scalar::Str(_)),
        Dist::Choice { values, .. } => values.iter().all(|v| !matches!(v, Scalar::Str(_))),
        Dist::String { .. } | Dist::Files { .. } => false,
        _ => true,
    }
}

/// The drawn settings of one direction of one service's link, rounded to
/// what tc applies (microseconds, thousandths of a percent, kbit/s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub distribution: Shape,
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub correlation_pct: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weibull_shape: Option<f64>,
    pub loss_pct: f64,
    pub corrupt_pct: f64,
    pub duplicate_pct: f64,
    pub reorder_pct: f64,
    /// Absent: no rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_kbit: Option<u64>,
    /// netem's random seed for loss, corruption, duplication and
    /// reordering (applied where tc and the kernel support it).
    pub seed: u64,
}

/// A setting as reported: field name and value.
pub type Setting = (&'static str, String);

/// Largest delay netem takes here: one minute.
pub const MAX_DELAY_MS: f64 = 60_000.0;

/// Clamp and round drawn numbers to the settings tc applies.
pub fn round_ms(x: f64) -> f64 {
    (x.clamp(0.0, MAX_DELAY_MS) * 1000.0).round() / 1000.0
}

pub fn round_pct(x: f64) -> f64 {
    (x.clamp(0.0, 100.0) * 1000.0).round() / 1000.0
}

fn us(ms: f64) -> String {
    format!("{}us", (ms * 1000.0).round() as i64)
}

fn pct(p: f64) -> String {
    format!("{p}%")
}

impl Link {
    /// Name of the generated table for this link's shape, if it needs one.
    pub fn table_name(&self) -> Option<String> {
        if self.jitter_ms == 0.0 {
            return None;
        }
        match self.distribution {
            Shape::Uniform => None,
            Shape::Normal => Some("detgen-normal".into()),
            Shape::Pareto => Some("detgen-pareto".into()),
            Shape::Paretonormal => Some("detgen-paretonormal".into()),
            Shape::Weibull => Some(format!(
                "detgen-weibull-k{:.2}",
                self.weibull_shape.unwrap_or(1.0)
            )),
        }
    }

    /// The settings netem gets, as `(field, value)`, non-zero only.
    pub fn settings(&self) -> Vec<Setting> {
        let mut out = Vec::new();
        let mut num = |k: &'static str, v: f64| {
            if v != 0.0 {
                out.push((k, v.to_string()));
            }
        };
        num("delay_ms", self.delay_ms);
        num("jitter_ms", self.jitter_ms);
        if self.jitter_ms != 0.0 {
            num("correlation_pct", self.correlation_pct);
            out.push((
                "distribution",
                match self.distribution {
                    Shape::Weibull => format!("weibull(k={})", self.weibull_shape.unwrap_or(1.0)),
                    s => serde_json::to_value(s)
                        .expect("shape")
                        .as_str()
                        .expect("string")
                        .to_string(),
                },
            ));
        }
        let mut num = |k: &'static str, v: f64| {
            if v != 0.0 {
                out.push((k, v.to_string()));
            }
        };
        num("loss_pct", self.loss_pct);
        num("corrupt_pct", self.corrupt_pct);
        num("duplicate_pct", self.duplicate_pct);
        num("reorder_pct", self.reorder_pct);
        if let Some(r) = self.rate_kbit {
            out.push(("rate_kbit", r.to_string()));
        }
        out
    }

    /// Whether netem has anything to do for this link.
    pub fn is_noop(&self) -> bool {
        self.settings().is_empty()
    }

    /// The arguments after `tc qdisc replace dev DEV root netem`.
    pub fn netem_args(&self) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        // netem needs a limit large enough for the packets in flight at
        // this delay; its default of 1000 drops bulk transfers.
        a.extend(["limit".into(), "100000".into()]);
        if self.delay_ms != 0.0 || self.jitter_ms != 0.0 {
            a.extend(["delay".into(), us(self.delay_ms)]);
            if self.jitter_ms != 0.0 {
                a.push(us(self.jitter_ms));
                if self.correlation_pct != 0.0 {
                    a.push(pct(self.correlation_pct));
                }
                if let Some(t) = self.table_name() {
                    a.extend(["distribution".into(), t]);
                }
            }
        }
        if self.loss_pct != 0.0 {
            a.extend(["loss".into(), "random".into(), pct(self.loss_pct)]);
        }
        if self.corrupt_pct != 0.0 {
            a.extend(["corrupt".into(), pct(self.corrupt_pct)]);
        }
        if self.duplicate_pct != 0.0 {
            a.extend(["duplicate".into(), pct(self.duplicate_pct)]);
        }
        if self.reorder_pct != 0.0 && self.delay_ms != 0.0 {
            a.extend(["reorder".into(), pct(self.reorder_pct)]);
        }
        if let Some(r) = self.rate_kbit {
            a.extend(["rate".into(), format!("{r}kbit")]);
        }
        a
    }

    /// The arguments after `tc qdisc replace dev DEV root tbf` for the
    /// fallback rate limit, if any: a bucket of 20 ms at the rate (at
    /// least two full frames) and a queue of at most 200 ms.
    pub fn tbf_args(&self) -> Option<Vec<String>> {
        let r = self.rate_kbit?;
        let burst = (r * 1000 / 8 / 50).max(3200);
        Some(vec![
            "rate".into(),
            format!("{r}kbit"),
            "burst".into(),
            burst.to_string(),
            "latency".into(),
            "200ms".into(),
        ])
    }

    /// The iptables `statistic` probability of the fallback loss, if any.
    pub fn loss_probability(&self) -> Option<String> {
        (self.loss_pct != 0.0).then(|| format!("{:.6}", self.loss_pct / 100.0))
    }

    /// Settings the fallback applies (rate, loss) and the ones it cannot.
    pub fn fallback_split(&self) -> (Vec<Setting>, Vec<Setting>) {
        self.settings()
            .into_iter()
            .partition(|(k, _)| *k == "rate_kbit" || *k == "loss_pct")
    }
}

/// Entries in a generated netem table (as iproute2's own tables).
pub const TABLE_SIZE: usize = 4096;
/// The table value of one standard deviation (the kernel's NETEM_DIST_SCALE).
pub const TABLE_SCALE: f64 = 8192.0;

/// Quantile function of a shape, before standardisation.
fn raw_quantile(shape: Shape, weibull_k: f64, q: f64) -> f64 {
    let normal = || {
        Normal::new(0.0, 1.0)
            .expect("standard normal")
            .inverse_cdf(q)
    };
    // Pareto with minimum 1 and tail index 3.
    let pareto = || (1.0 - q).powf(-1.0 / 3.0);
    match shape {
        Shape::Uniform => 2.0 * q - 1.0,
        Shape::Normal => normal(),
        Shape::Pareto => pareto(),
        // Standardise both before blending, as iproute2 does: Pareto(1, 3)
        // has mean 1.5 and standard deviation sqrt(3)/2.
        Shape::Paretonormal => 0.25 * normal() + 0.75 * (pareto() - 1.5) / (3f64.sqrt() / 2.0),
        Shape::Weibull => (-(1.0 - q).ln()).powf(1.0 / weibull_k),
    }
}

/// Mean and standard deviation of a shape's (unclipped) distribution.
fn moments(shape: Shape, weibull_k: f64) -> (f64, f64) {
    use statrs::function::gamma::gamma;
    match shape {
        Shape::Uniform => (0.0, 1.0 / 3f64.sqrt()),
        Shape::Normal => (0.0, 1.0),
        Shape::Pareto => (1.5, 0.75f64.sqrt()),
        Shape::Weibull => {
            let m = gamma(1.0 + 1.0 / weibull_k);
            (m, (gamma(1.0 + 2.0 / weibull_k) - m * m).sqrt())
        }
        // No closed form: integrate the quantile function on a fine grid.
        Shape::Paretonormal => {
            let n = 1 << 18;
            let xs: Vec<f64> = (0..n)
                .map(|i| raw_quantile(shape, weibull_k, (i as f64 + 0.5) / n as f64))
                .collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
            (m, var.sqrt())
        }
    }
}

/// The values of a table, in units of one standard deviation of the
/// distribution: its quantiles at (i + 0.5) / N, standardised with the
/// distribution's own mean and standard deviation, clipped to what a table
/// entry holds (a signed 16-bit number: [-4, 4) standard deviations) and
/// shifted back to mean 0. So netem's `delay MEAN JITTER` gives exactly
/// that mean; the spread is JITTER for light tails and somewhat less for
/// heavy ones (pareto, small Weibull shapes), whose tail beyond 4 standard
/// deviations is cut. Sorted ascending.
pub fn table_values(shape: Shape, weibull_k: f64) -> Vec<f64> {
    let lo = -32768.0 / TABLE_SCALE;
    let hi = 32767.0 / TABLE_SCALE;
    let (mean, sd) = moments(shape, weibull_k);
    let mut v: Vec<f64> = (0..TABLE_SIZE)
        .map(|i| {
            let q = (i as f64 + 0.5) / TABLE_SIZE as f64;
            ((raw_quantile(shape, weibull_k, q) - mean) / sd).clamp(lo, hi)
        })
        .collect();
    // Cutting the tail moves the mean; shift back until it stays put.
    for _ in 0..50 {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v = v.iter().map(|x| (x - m).clamp(lo, hi)).collect();
    }
    v
}

/// The table as iproute2's text format: a comment, then the entries.
pub fn table_text(shape: Shape, weibull_k: f64, name: &str) -> String {
    let values = table_values(shape, weibull_k);
    let mut out = format!(
        "# netem delay distribution table `{name}`, generated by detgen.\n\
         # {TABLE_SIZE} quantiles of the standardised distribution (mean 0,\n\
         # standard deviation {TABLE_SCALE} = one unit of jitter), clipped to 16 bits.\n"
    );
    for chunk in values.chunks(8) {
        let line: Vec<String> = chunk
            .iter()
            .map(|x| {
                ((x * TABLE_SCALE).round() as i64)
                    .clamp(-32768, 32767)
                    .to_string()
            })
            .collect();
        out.push_str(&line.join(" "));
        out.push('\n');
    }
    out
}

/// The delays (ms) netem draws from this link, one per table entry, with
/// negative delays sent at once (0): the distribution a measurement should
/// see. For `uniform`, an even grid on [delay - jitter, delay + jitter].
pub fn expected_delays(link: &Link) -> Vec<f64> {
    let z: Vec<f64> = match (link.jitter_ms == 0.0, link.distribution) {
        (true, _) => vec![0.0],
        (false, Shape::Uniform) => (0..TABLE_SIZE)
            .map(|i| 2.0 * (i as f64 + 0.5) / TABLE_SIZE as f64 - 1.0)
            .collect(),
        (false, s) => table_values(s, link.weibull_shape.unwrap_or(1.0))
            .iter()
            .map(|x| (x * TABLE_SCALE).round() / TABLE_SCALE)
            .collect(),
    };
    z.iter()
        .map(|t| (link.delay_ms + link.jitter_ms * t).max(0.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        (
            m,
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt(),
        )
    }

    fn parse_table(text: &str) -> Vec<f64> {
        let mut v: Vec<f64> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(|l| l.split_whitespace())
            .map(|x| x.parse::<i64>().expect("integer entry") as f64 / TABLE_SCALE)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Entry i of a sorted table stands for quantile (i + 0.5) / N;
    /// interpolate between entries.
    fn quantile(sorted: &[f64], q: f64) -> f64 {
        let x = (q * sorted.len() as f64 - 0.5).clamp(0.0, (sorted.len() - 1) as f64);
        let (i, f) = (x.floor() as usize, x.fract());
        let next = sorted[(i + 1).min(sorted.len() - 1)];
        sorted[i] + f * (next - sorted[i])
    }

    #[test]
    fn tables_have_mean_zero_and_at_most_unit_spread() {
        for (shape, k, sd_min) in [
            (Shape::Normal, 1.0, 0.99),
            (Shape::Paretonormal, 1.0, 0.7),
            (Shape::Pareto, 1.0, 0.5),
            (Shape::Weibull, 0.7, 0.5),
            (Shape::Weibull, 1.5, 0.98),
            (Shape::Weibull, 3.6, 0.99),
        ] {
            let v = parse_table(&table_text(shape, k, "t"));
            assert_eq!(v.len(), TABLE_SIZE);
            let (m, sd) = stats(&v);
            assert!(m.abs() < 0.001, "{shape:?} k={k}: mean {m}");
            assert!(sd <= 1.001 && sd >= sd_min, "{shape:?} k={k}: sd {sd}");
            assert!(v[0] >= -4.0 && v[TABLE_SIZE - 1] < 4.0);
        }
    }

    /// The standardised target quantile, computed independently of the
    /// table code (closed forms with the distributions' own moments).
    fn target(shape: Shape, k: f64, q: f64) -> f64 {
        use statrs::function::gamma::gamma;
        match shape {
            Shape::Normal => Normal::new(0.0, 1.0).unwrap().inverse_cdf(q),
            Shape::Pareto => {
                let (mean, sd) = (1.5, (0.75f64).sqrt());
                ((1.0 - q).powf(-1.0 / 3.0) - mean) / sd
            }
            Shape::Weibull => {
                let mean = gamma(1.0 + 1.0 / k);
                let sd = (gamma(1.0 + 2.0 / k) - mean * mean).sqrt();
                ((-(1.0 - q).ln()).powf(1.0 / k) - mean) / sd
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn table_quantiles_match_the_target_distributions() {
        // Below the 4-sd cut, a table's quantiles are the distribution's,
        // up to the small shift that keeps the mean after the cut (largest
        // for the heaviest tails) and table rounding.
        for (shape, k, tol) in [
            (Shape::Normal, 1.0, 0.002),
            (Shape::Weibull, 3.6, 0.002),
            (Shape::Weibull, 1.5, 0.005),
            (Shape::Weibull, 1.0, 0.03),
            (Shape::Pareto, 1.0, 0.03),
        ] {
            let v = parse_table(&table_text(shape, k, "t"));
            for q in [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95] {
                let (got, want) = (quantile(&v, q), target(shape, k, q));
                assert!(
                    (got - want).abs() < tol,
                    "{shape:?} k={k} q={q}: table {got:.4}, target {want:.4}"
                );
            }
        }
        // Pareto has a hard floor: nothing below its minimum.
        let v = parse_table(&table_text(Shape::Pareto, 1.0, "t"));
        let floor = target(Shape::Pareto, 1.0, 0.0);
        assert!((v[0] - floor).abs() < 0.03, "floor {} vs {floor}", v[0]);
    }

    /// Compare with iproute2's own tables where the system has them: an
    /// independent implementation of the same distributions.
    #[test]
    fn tables_agree_with_iproute2s_where_installed() {
        let dir = std::path::Path::new("/usr/lib/x86_64-linux-gnu/tc");
        for (shape, name, tol) in [
            (Shape::Normal, "normal", 0.02),
            (Shape::Paretonormal, "paretonormal", 0.06),
        ] {
            let Ok(text) = std::fs::read_to_string(dir.join(format!("{name}.dist"))) else {
                eprintln!("skipping: no iproute2 {name}.dist here");
                continue;
            };
            let theirs = parse_table(&text);
            let (m, sd) = stats(&theirs);
            let theirs: Vec<f64> = theirs.iter().map(|x| (x - m) / sd).collect();
            // Both standardised by their own spread: the two clip tails
            // differently.
            let ours = parse_table(&table_text(shape, 1.0, "t"));
            let (m, sd) = stats(&ours);
            let ours: Vec<f64> = ours.iter().map(|x| (x - m) / sd).collect();
            for q in [0.05, 0.1, 0.25, 0.5, 0.75, 0.9] {
                let (a, b) = (quantile(&ours, q), quantile(&theirs, q));
                assert!(
                    (a - b).abs() < tol,
                    "{name} q={q}: ours {a:.3} iproute2 {b:.3}"
                );
            }
        }
    }

    #[test]
    fn expected_delays_clip_at_zero_and_keep_the_mean_otherwise() {
        let mut link = Link {
            distribution: Shape::Normal,
            delay_ms: 50.0,
            jitter_ms: 5.0,
            correlation_pct: 0.0,
            weibull_shape: None,
            loss_pct: 0.0,
            corrupt_pct: 0.0,
            duplicate_pct: 0.0,
            reorder_pct: 0.0,
            rate_kbit: None,
            seed: 1,
        };
        let (m, sd) = stats(&expected_delays(&link));
        assert!(
            (m - 50.0).abs() < 0.01 && (sd - 5.0).abs() < 0.01,
            "{m} {sd}"
        );
        link.delay_ms = 1.0;
        let d = expected_delays(&link);
        assert!(d.iter().all(|x| *x >= 0.0));
        assert!(stats(&d).0 > 1.0, "clipping raises the mean");
    }

    #[test]
    fn netem_arguments_carry_units_and_tables() {
        let link = Link {
            distribution: Shape::Weibull,
            delay_ms: 42.137,
            jitter_ms: 3.2,
            correlation_pct: 25.0,
            weibull_shape: Some(1.5),
            loss_pct: 0.5,
            corrupt_pct: 0.0,
            duplicate_pct: 0.0,
            reorder_pct: 0.0,
            rate_kbit: Some(16000),
            seed: 9,
        };
        assert_eq!(
            link.netem_args().join(" "),
            "limit 100000 delay 42137us 3200us 25% distribution detgen-weibull-k1.50 \
             loss random 0.5% rate 16000kbit"
        );
        assert_eq!(
            link.tbf_args().unwrap().join(" "),
            "rate 16000kbit burst 40000 latency 200ms"
        );
        assert_eq!(link.loss_probability().as_deref(), Some("0.005000"));
        let (applied, skipped) = link.fallback_split();
        assert_eq!(
            applied.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["loss_pct", "rate_kbit"]
        );
        assert!(skipped.iter().any(|(k, _)| *k == "delay_ms"));
    }

    #[test]
    fn presets_parse_and_check() {
        let p = presets();
        for name in ["lan", "paper-primary", "paper-secondary"] {
            assert!(p.contains_key(name), "preset {name}");
        }
        for (name, profile) in &p {
            check_profile(profile).unwrap_or_else(|e| panic!("preset {name}: {e:?}"));
        }
    }
}
