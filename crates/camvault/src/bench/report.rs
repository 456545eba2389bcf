//! What a benchmark reports and how: every figure comes with a baseline
//! measured in the same run and their ratio, because on a small, noisy
//! machine only ratios compare from one run to the next. People get a block
//! per result and a summary table; scripts get one JSON object per result.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};

/// What a goal is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The measured figure itself.
    Value,
    /// The figure divided by its baseline.
    Ratio,
}

/// Which side of the threshold passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Passes at or above the threshold.
    AtLeast,
    /// Passes strictly below the threshold.
    Below,
}

/// A pass/fail threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    /// Checked against the figure or the ratio.
    pub on: Target,
    /// The direction.
    pub op: Op,
    /// The threshold, in the figure's unit (or unitless for a ratio).
    pub threshold: f64,
    /// The goal as people read it, with where it comes from.
    pub text: String,
}

impl Goal {
    /// A goal on the figure.
    pub fn value(op: Op, threshold: f64, text: impl Into<String>) -> Goal {
        Goal {
            on: Target::Value,
            op,
            threshold,
            text: text.into(),
        }
    }

    /// A goal on the ratio to the baseline.
    pub fn ratio(op: Op, threshold: f64, text: impl Into<String>) -> Goal {
        Goal {
            on: Target::Ratio,
            op,
            threshold,
            text: text.into(),
        }
    }

    fn check(&self, value: Option<f64>, ratio: Option<f64>) -> Option<bool> {
        let v = match self.on {
            Target::Value => value?,
            Target::Ratio => ratio?,
        };
        Some(match self.op {
            Op::AtLeast => v >= self.threshold,
            Op::Below => v < self.threshold,
        })
    }
}

/// The same-run reference a figure is divided by.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// What was measured.
    pub what: String,
    /// Its value, in the figure's unit; None if it could not be measured.
    pub value: Option<f64>,
}

/// One result: a figure, its baseline, their ratio and the goal.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Dotted name, e.g. `ingest.throughput`.
    pub bench: String,
    /// What the figure is.
    pub figure: String,
    /// Its unit.
    pub unit: String,
    /// The figure; None when nothing could be measured.
    pub value: Option<f64>,
    /// The reference.
    pub baseline: Baseline,
    /// value ÷ baseline.
    pub ratio: Option<f64>,
    /// The threshold, if this figure has one.
    pub goal: Option<Goal>,
    /// Whether the goal is met; None without a goal or a measurement.
    pub pass: Option<bool>,
    /// Supporting figures.
    pub details: Map<String, Value>,
    /// Caveats worth reading next to the figure.
    pub notes: Vec<String>,
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

impl Outcome {
    /// A figure against a baseline; the ratio is computed here.
    pub fn new(
        bench: &str,
        figure: &str,
        unit: &str,
        value: Option<f64>,
        baseline_what: &str,
        baseline: Option<f64>,
    ) -> Outcome {
        let (value, baseline) = (finite(value), finite(baseline));
        let ratio = match (value, baseline) {
            (Some(v), Some(b)) if b > 0.0 => finite(Some(v / b)),
            _ => None,
        };
        Outcome {
            bench: bench.into(),
            figure: figure.into(),
            unit: unit.into(),
            value,
            baseline: Baseline {
                what: baseline_what.into(),
                value: baseline,
            },
            ratio,
            goal: None,
            pass: None,
            details: Map::new(),
            notes: Vec::new(),
        }
    }

    /// Sets the goal and judges it.
    pub fn goal(mut self, goal: Goal) -> Outcome {
        self.pass = goal.check(self.value, self.ratio);
        self.goal = Some(goal);
        self
    }

    /// Adds a supporting figure (non-finite numbers become null).
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Outcome {
        self.details.insert(key.into(), value.into());
        self
    }

    /// Adds a caveat.
    pub fn note(mut self, text: impl Into<String>) -> Outcome {
        self.notes.push(text.into());
        self
    }

    fn verdict(&self) -> &'static str {
        match (self.goal.is_some(), self.pass) {
            (false, _) => "-",
            (true, Some(true)) => "PASS",
            (true, Some(false)) => "FAIL",
            (true, None) => "n/a",
        }
    }
}

/// A number for people: about four significant digits.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.2}"),
        Some(0.0) => "0".into(),
        Some(v) => format!("{v:.4}"),
    }
}

/// Prints results as they come and the summary at the end: the human text
/// on stdout, or on stderr when JSON lines take stdout.
#[derive(Debug, Default)]
pub struct Reporter {
    json: bool,
    done: Vec<Outcome>,
    errors: Vec<String>,
}

impl Reporter {
    /// A reporter; `json` puts one JSON object per result on stdout.
    pub fn new(json: bool) -> Reporter {
        Reporter {
            json,
            ..Reporter::default()
        }
    }

    /// Writes a line of human text where it belongs.
    pub fn say(&self, line: &str) {
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }

    /// Progress: always stderr, so it never mixes with results.
    pub fn progress(&self, line: &str) {
        eprintln!("bench: {line}");
    }

    /// Reports one result.
    pub fn emit(&mut self, o: Outcome) {
        let mut text = vec![format!("== {}: {}", o.bench, o.figure)];
        text.push(format!("   value     {} {}", num(o.value), o.unit));
        text.push(format!(
            "   baseline  {} {}  ({})",
            num(o.baseline.value),
            o.unit,
            o.baseline.what
        ));
        text.push(format!("   ratio     {}", num(o.ratio)));
        match &o.goal {
            Some(g) => text.push(format!("   goal      {} -> {}", g.text, o.verdict())),
            None => text.push("   goal      none (informational)".into()),
        }
        for (k, v) in &o.details {
            text.push(format!("   {k}: {v}"));
        }
        for n in &o.notes {
            text.push(format!("   note: {n}"));
        }
        self.say(&text.join("\n"));
        if self.json {
            match serde_json::to_string(&o) {
                Ok(line) => {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                    let _ = out.flush();
                }
                Err(e) => eprintln!("bench: cannot encode {}: {e}", o.bench),
            }
        }
        self.done.push(o);
    }

    /// Notes that a benchmark could not run.
    pub fn failed(&mut self, bench: &str, error: &anyhow::Error) {
        let line = format!("{bench}: {error:#}");
        self.say(&format!("== {bench}: ERROR {error:#}"));
        self.errors.push(line);
    }

    /// The results so far.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.done
    }

    /// The errors so far.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Prints the summary table.
    pub fn summary(&self) {
        let header = format!(
            "{:<22} {:>12} {:>12} {:<7} {:>9}  {:<34} {}",
            "benchmark", "value", "baseline", "unit", "ratio", "goal", "result"
        );
        let mut lines = vec![String::new(), "summary".into(), header];
        for o in &self.done {
            lines.push(format!(
                "{:<22} {:>12} {:>12} {:<7} {:>9}  {:<34} {}",
                o.bench,
                num(o.value),
                num(o.baseline.value),
                o.unit,
                num(o.ratio),
                o.goal.as_ref().map_or("-", |g| g.text.as_str()),
                o.verdict()
            ));
        }
        for e in &self.errors {
            lines.push(format!("ERROR {e}"));
        }
        self.say(&lines.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_and_goals() {
        let o = Outcome::new("x.y", "f", "MB/s", Some(8.0), "base", Some(10.0)).goal(Goal::ratio(
            Op::AtLeast,
            0.8,
            "ratio >= 0.8",
        ));
        assert_eq!(o.ratio, Some(0.8));
        assert_eq!(o.pass, Some(true));
        let o = Outcome::new("x.y", "f", "ms", Some(12.0), "base", Some(0.0)).goal(Goal::value(
            Op::Below,
            10.0,
            "< 10 ms",
        ));
        assert_eq!(o.ratio, None);
        assert_eq!(o.pass, Some(false));
        let o = Outcome::new("x.y", "f", "ms", None, "base", Some(1.0)).goal(Goal::value(
            Op::Below,
            10.0,
            "< 10 ms",
        ));
        assert_eq!(o.pass, None);
        assert_eq!(num(Some(f64::NAN).filter(|v| v.is_finite())), "-");
    }
}
