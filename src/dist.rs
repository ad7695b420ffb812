//! The vocabulary of parameter distributions a spec may declare.
//!
//! These are plain data: a `Dist` says *how* to draw a value; `sample` is the
//! only module that draws. A spec writes a distribution as a flat mapping
//! with a `dist` tag, e.g. `{dist: exponential, mean: 10, offset: 2, max: 40,
//! integer: true}`; every distribution is checked when the spec is parsed,
//! so a bad value is reported with its file, line and field path.

use serde::{Deserialize, Serialize};

/// A scalar a parameter can take.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
}

/// Post-processing of a numeric draw, in this order: add `offset`, clamp to
/// `[min, max]`, then round down to an integer when `integer` is set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Post {
    pub offset: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub integer: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(try_from = "RawDist", into = "RawDist")]
pub enum Dist {
    /// Always the same value.
    Constant {
        value: Scalar,
    },
    /// Integer uniform on `[low, high]` (both inclusive).
    UniformInt {
        low: i64,
        high: i64,
    },
    /// Real uniform on `[low, high)`.
    Uniform {
        low: f64,
        high: f64,
        post: Post,
    },
    Normal {
        mean: f64,
        std: f64,
        post: Post,
    },
    /// Exponential with the given mean.
    Exponential {
        mean: f64,
        post: Post,
    },
    /// Pareto with minimum `scale` and tail index `shape`.
    Pareto {
        scale: f64,
        shape: f64,
        post: Post,
    },
    /// |Cauchy(0, scale)|; give `max` to cap its heavy tail.
    HalfCauchy {
        scale: f64,
        post: Post,
    },
    Weibull {
        scale: f64,
        shape: f64,
        post: Post,
    },
    /// One of `values`, uniformly or by `weights`.
    Choice {
        values: Vec<Scalar>,
        weights: Option<Vec<f64>>,
    },
    /// Random characters from `alphabet`, with a drawn length.
    String {
        alphabet: String,
        length: Box<Dist>,
    },
    /// A set of files with drawn count, name lengths and sizes; render
    /// writes them under `data/<parameter>/`.
    Files {
        count: Box<Dist>,
        name_length: Box<Dist>,
        size: Box<Dist>,
    },
}

/// Named alphabets for `dist: string`. Any other `alphabet` value is taken
/// literally as the set of characters to use.
pub const ALPHABETS: &[(&str, &str)] = &[
    ("lower", "abcdefghijklmnopqrstuvwxyz"),
    ("upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    (
        "letters",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ),
    (
        "alnum",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    ),
    ("digits", "0123456789"),
    ("hex", "0123456789abcdef"),
];

/// The characters an `alphabet` field stands for.
pub fn alphabet_chars(alphabet: &str) -> Vec<char> {
    let set = ALPHABETS
        .iter()
        .find(|(n, _)| *n == alphabet)
        .map(|(_, s)| *s)
        .unwrap_or(alphabet);
    let mut chars: Vec<char> = set.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

impl Dist {
    /// The spec's name for this distribution.
    pub fn kind(&self) -> &'static str {
        match self {
            Dist::Constant { .. } => "constant",
            Dist::UniformInt { .. } => "uniform_int",
            Dist::Uniform { .. } => "uniform",
            Dist::Normal { .. } => "normal",
            Dist::Exponential { .. } => "exponential",
            Dist::Pareto { .. } => "pareto",
            Dist::HalfCauchy { .. } => "half_cauchy",
            Dist::Weibull { .. } => "weibull",
            Dist::Choice { .. } => "choice",
            Dist::String { .. } => "string",
            Dist::Files { .. } => "files",
        }
    }
}

/// A number as written: integers stay integers when written back.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn get(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn of(x: f64) -> Num {
        if x.fract() == 0.0 && x.abs() < 9.0e15 {
            Num::Int(x as i64)
        } else {
            Num::Float(x)
        }
    }
}

/// The flat form written in specs and manifests.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alphabet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Box<Dist>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Box<Dist>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_length: Option<Box<Dist>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Box<Dist>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Num>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
}

const KINDS: &str = "constant, uniform_int, uniform, normal, exponential, pareto, half_cauchy, weibull, choice, string, files";

impl TryFrom<RawDist> for Dist {
    type Error = String;

    fn try_from(r: RawDist) -> Result<Dist, String> {
        let f = |n: Option<Num>| n.map(Num::get);
        // Which fields each kind takes; everything else must be absent.
        let (required, optional): (&[&str], &[&str]) = match r.dist.as_str() {
            "constant" => (&["value"], &[]),
            "uniform_int" => (&["low", "high"], &[]),
            "uniform" => (&["low", "high"], POST),
            "normal" => (&["mean", "std"], POST),
            "exponential" => (&["mean"], POST),
            "pareto" | "weibull" => (&["scale", "shape"], POST),
            "half_cauchy" => (&["scale"], POST),
            "choice" => (&["values"], &["weights"]),
            "string" => (&["alphabet", "length"], &[]),
            "files" => (&["count", "name_length", "size"], &[]),
            other => {
                return Err(format!(
                    "unknown distribution `{other}`; expected one of: {KINDS}"
                ))
            }
        };
        for (field, present) in r.present() {
            let allowed = required.contains(&field) || optional.contains(&field);
            if present && !allowed {
                return Err(format!(
                    "`{field}` does not apply to `dist: {}` (it takes {})",
                    r.dist,
                    takes(required, optional)
                ));
            }
            if !present && required.contains(&field) {
                return Err(format!(
                    "`dist: {}` needs `{field}` (it takes {})",
                    r.dist,
                    takes(required, optional)
                ));
            }
        }
        let post = Post {
            offset: f(r.offset).unwrap_or(0.0),
            min: f(r.min),
            max: f(r.max),
            integer: r.integer,
        };
        for (name, v) in [
            ("offset", f(r.offset)),
            ("min", f(r.min)),
            ("max", f(r.max)),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(format!("`{name}` must be a finite number"));
            }
        }
        if let (Some(lo), Some(hi)) = (f(r.min), f(r.max)) {
            if lo > hi {
                return Err(format!("`min` ({lo}) is greater than `max` ({hi})"));
            }
        }
        let finite = |name: &str, v: Option<f64>| -> Result<f64, String> {
            match v {
                Some(v) if v.is_finite() => Ok(v),
                _ => Err(format!("`{name}` must be a finite number")),
            }
        };
        let positive = |name: &str, v: Option<f64>| -> Result<f64, String> {
            let v = finite(name, v)?;
            if v > 0.0 {
                Ok(v)
            } else {
                Err(format!("`{name}` must be greater than 0, got {v}"))
            }
        };
        let ordered = |lo: f64, hi: f64, strict: bool| -> Result<(), String> {
            if lo > hi || (strict && lo == hi) {
                Err(format!(
                    "`low` ({lo}) must be {} `high` ({hi})",
                    if strict { "less than" } else { "at most" }
                ))
            } else {
                Ok(())
            }
        };
        Ok(match r.dist.as_str() {
            "constant" => Dist::Constant {
                value: r.value.unwrap_or(Scalar::Int(0)),
            },
            "uniform_int" => {
                let (lo, hi) = (finite("low", f(r.low))?, finite("high", f(r.high))?);
                if lo.fract() != 0.0 || hi.fract() != 0.0 {
                    return Err("`low` and `high` of `uniform_int` must be integers".into());
                }
                ordered(lo, hi, false)?;
                Dist::UniformInt {
                    low: lo as i64,
                    high: hi as i64,
                }
            }
            "uniform" => {
                let (low, high) = (finite("low", f(r.low))?, finite("high", f(r.high))?);
                ordered(low, high, true)?;
                Dist::Uniform { low, high, post }
            }
            "normal" => Dist::Normal {
                mean: finite("mean", f(r.mean))?,
                std: positive("std", f(r.std))?,
                post,
            },
            "exponential" => Dist::Exponential {
                mean: positive("mean", f(r.mean))?,
                post,
            },
            "pareto" => Dist::Pareto {
                scale: positive("scale", f(r.scale))?,
                shape: positive("shape", f(r.shape))?,
                post,
            },
            "weibull" => Dist::Weibull {
                scale: positive("scale", f(r.scale))?,
                shape: positive("shape", f(r.shape))?,
                post,
            },
            "half_cauchy" => Dist::HalfCauchy {
                scale: positive("scale", f(r.scale))?,
                post,
            },
            "choice" => {
                let values = r.values.unwrap_or_default();
                if values.is_empty() {
                    return Err("`values` must list at least one value".into());
                }
                if let Some(w) = &r.weights {
                    if w.len() != values.len() {
                        return Err(format!(
                            "`weights` has {} entries but `values` has {}",
                            w.len(),
                            values.len()
                        ));
                    }
                    if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0
                    {
                        return Err(
                            "`weights` must be non-negative numbers with a positive sum".into()
                        );
                    }
                }
                Dist::Choice {
                    values,
                    weights: r.weights,
                }
            }
            "string" => {
                let alphabet = r.alphabet.unwrap_or_default();
                if alphabet_chars(&alphabet).len() < 2 {
                    return Err(format!(
                        "`alphabet` must name a set ({}) or list at least two distinct characters",
                        ALPHABETS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let length = r.length.expect("checked above");
                numeric_only("length", &length)?;
                Dist::String { alphabet, length }
            }
            "files" => {
                let (count, name_length, size) = (
                    r.count.expect("checked above"),
                    r.name_length.expect("checked above"),
                    r.size.expect("checked above"),
                );
                for (n, d) in [
                    ("count", &count),
                    ("name_length", &name_length),
                    ("size", &size),
                ] {
                    numeric_only(n, d)?;
                }
                Dist::Files {
                    count,
                    name_length,
                    size,
                }
            }
            _ => unreachable!("kinds matched above"),
        })
    }
}

const POST: &[&str] = &["offset", "min", "max", "integer"];

fn takes(required: &[&str], optional: &[&str]) -> String {
    let mut s = required.join(", ");
    if !optional.is_empty() {
        s.push_str(&format!("; optional: {}", optional.join(", ")));
    }
    s
}

fn numeric_only(field: &str, d: &Dist) -> Result<(), String> {
    match d {
        Dist::String { .. } | Dist::Files { .. } => Err(format!(
            "`{field}` must be a numeric distribution, not `{}`",
            d.kind()
        )),
        _ if !numeric_values(d) => Err(format!("`{field}` must draw numbers")),
        _ => Ok(()),
    }
}

fn values_of(d: &Dist) -> Vec<&Scalar> {
    match d {
        Dist::Choice { values, .. } => values.iter().collect(),
        Dist::Constant { value } => vec![value],
        _ => vec![],
    }
}

fn numeric_values(d: &Dist) -> bool {
    values_of(d)
        .iter()
        .all(|v| matches!(v, Scalar::Int(_) | Scalar::Float(_)))
}

impl RawDist {
    fn present(&self) -> [(&'static str, bool); 18] {
        [
            ("value", self.value.is_some()),
            ("low", self.low.is_some()),
            ("high", self.high.is_some()),
            ("mean", self.mean.is_some()),
            ("std", self.std.is_some()),
            ("scale", self.scale.is_some()),
            ("shape", self.shape.is_some()),
            ("values", self.values.is_some()),
            ("weights", self.weights.is_some()),
            ("alphabet", self.alphabet.is_some()),
            ("length", self.length.is_some()),
            ("count", self.count.is_some()),
            ("name_length", self.name_length.is_some()),
            ("size", self.size.is_some()),
            ("offset", self.offset.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("integer", self.integer),
        ]
    }
}

impl From<Dist> for RawDist {
    fn from(d: Dist) -> RawDist {
        let mut r = RawDist {
            dist: d.kind().to_string(),
            ..RawDist::default()
        };
        let set_post = |r: &mut RawDist, p: Post| {
            r.offset = (p.offset != 0.0).then_some(Num::of(p.offset));
            r.min = p.min.map(Num::of);
            r.max = p.max.map(Num::of);
            r.integer = p.integer;
        };
        match d {
            Dist::Constant { value } => r.value = Some(value),
            Dist::UniformInt { low, high } => {
                r.low = Some(Num::Int(low));
                r.high = Some(Num::Int(high));
            }
            Dist::Uniform { low, high, post } => {
                r.low = Some(Num::of(low));
                r.high = Some(Num::of(high));
                set_post(&mut r, post);
            }
            Dist::Normal { mean, std, post } => {
                r.mean = Some(Num::of(mean));
                r.std = Some(Num::of(std));
                set_post(&mut r, post);
            }
            Dist::Exponential { mean, post } => {
                r.mean = Some(Num::of(mean));
                set_post(&mut r, post);
            }
            Dist::Pareto { scale, shape, post } | Dist::Weibull { scale, shape, post } => {
                r.scale = Some(Num::of(scale));
                r.shape = Some(Num::of(shape));
                set_post(&mut r, post);
            }
            Dist::HalfCauchy { scale, post } => {
                r.scale = Some(Num::of(scale));
                set_post(&mut r, post);
            }
            Dist::Choice { values, weights } => {
                r.values = Some(values);
                r.weights = weights;
            }
            Dist::String { alphabet, length } => {
                r.alphabet = Some(alphabet);
                r.length = Some(length);
            }
            Dist::Files {
                count,
                name_length,
                size,
            } => {
                r.count = Some(count);
                r.name_length = Some(name_length);
                r.size = Some(size);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Dist, String> {
        serde_yaml_ng::from_str::<Dist>(s).map_err(|e| e.to_string())
    }

    #[test]
    fn round_trips_through_the_flat_form() {
        for s in [
            "{dist: exponential, mean: 10.0, offset: 2.0, max: 40.0, integer: true}",
            "{dist: choice, values: [a, b], weights: [1.0, 3.0]}",
            "{dist: string, alphabet: lower, length: {dist: uniform_int, low: 3, high: 9}}",
            "{dist: half_cauchy, scale: 5000.0, max: 1000000.0, integer: true}",
        ] {
            let d = parse(s).unwrap();
            let back = serde_yaml_ng::to_string(&d).unwrap();
            assert_eq!(parse(&back).unwrap(), d, "{s}");
        }
    }

    #[test]
    fn rejects_bad_values_with_a_reason() {
        let cases = [
            ("{dist: gamma, mean: 1}", "unknown distribution `gamma`"),
            ("{dist: exponential}", "needs `mean`"),
            (
                "{dist: exponential, mean: -1}",
                "`mean` must be greater than 0",
            ),
            (
                "{dist: exponential, mean: 1, std: 2}",
                "`std` does not apply",
            ),
            ("{dist: uniform, low: 3, high: 3}", "must be less than"),
            ("{dist: uniform_int, low: 1.5, high: 3}", "must be integers"),
            ("{dist: choice, values: []}", "at least one value"),
            (
                "{dist: choice, values: [a], weights: [1, 2]}",
                "`weights` has 2",
            ),
            (
                "{dist: string, alphabet: x, length: {dist: constant, value: 3}}",
                "alphabet",
            ),
            (
                "{dist: normal, mean: 0, std: 1, min: 5, max: 1}",
                "greater than `max`",
            ),
            (
                "{dist: normal, mean: 0, std: 1, colour: 1}",
                "unknown field `colour`",
            ),
            (
                "{dist: string, alphabet: lower, length: {dist: constant, value: ab}}",
                "must draw numbers",
            ),
        ];
        for (s, want) in cases {
            let e = parse(s).unwrap_err();
            assert!(e.contains(want), "{s}: got {e:?}, want {want:?}");
        }
    }
}
