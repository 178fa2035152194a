//! The regression gate: compares a current run with a baseline run, question by question.
//!
//! For every strategy of the baseline and every gated metric, the paired difference
//! current − baseline over the questions both runs scored, with its bootstrap interval. A
//! **regression** is a drop whose whole 95% interval lies below −tolerance: a real drop larger
//! than the tolerance, not noise. Runs of a different dataset, embedder or k are refused, naming
//! the difference.

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::results::{metric as metric_named, QuestionResult, RunResults, METRICS};
use crate::score::bootstrap::{paired, Resamples};

/// One strategy × metric line of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub strategy: String,
    pub metric: String,
    pub baseline: f64,
    pub current: f64,
    pub diff: f64,
    pub lo: f64,
    pub hi: f64,
    pub tolerance: f64,
    pub questions: usize,
    pub regression: bool,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub lines: Vec<Line>,
    /// Strategies of the current run that the baseline does not have (not gated).
    pub new_strategies: Vec<String>,
}

impl Comparison {
    pub fn regressions(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.regression)
    }
}

/// The gated metrics with their tolerances: every metric of [`METRICS`] with its default
/// tolerance, with the `metric=value` overrides applied.
pub fn tolerances(overrides: &[String]) -> Result<Vec<(String, f64)>> {
    let mut t: Vec<(String, f64)> = METRICS
        .iter()
        .map(|m| (m.name.to_string(), m.tolerance))
        .collect();
    for o in overrides {
        let (m, v) = o.split_once('=').ok_or_else(|| {
            Error::Usage(format!(
                "--tolerance {o:?}: write metric=value, e.g. iou=0.01"
            ))
        })?;
        let v: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| *v >= 0.0)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--tolerance {o:?}: the value must be a non-negative number"
                ))
            })?;
        let slot = t
            .iter_mut()
            .find(|(name, _)| name == m.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
                Error::Usage(format!(
                    "--tolerance {o:?}: unknown metric; metrics: {}",
                    names.join(", ")
                ))
            })?;
        slot.1 = v;
    }
    Ok(t)
}

/// Refuses to compare runs that did not measure the same thing.
fn check_comparable(base: &RunResults, cur: &RunResults) -> Result<()> {
    let mut diffs = Vec::new();
    if base.dataset.name != cur.dataset.name
        || base.dataset.questions != cur.dataset.questions
        || base.dataset.documents != cur.dataset.documents
    {
        diffs.push(format!(
            "dataset: baseline {} ({} documents, {} questions), current {} ({} documents, {} questions)",
            base.dataset.name, base.dataset.documents, base.dataset.questions, cur.dataset.name, cur.dataset.documents, cur.dataset.questions
        ));
    }
    if base.embedder.id != cur.embedder.id {
        diffs.push(format!(
            "embedder: baseline {}, current {}",
            base.embedder.id, cur.embedder.id
        ));
    }
    if base.k != cur.k {
        diffs.push(format!("k: baseline {}, current {}", base.k, cur.k));
    }
    if base.retrieval != cur.retrieval {
        let describe = |r: &RunResults| match &r.retrieval {
            None => format!("dense top-{}", r.k),
            Some(i) => {
                let mut s = i.setups.join("; ");
                if let (Some(m), Some(d)) = (&i.reranker, i.rerank_depth) {
                    s.push_str(&format!(" (reranker {m}, depth {d})"));
                }
                s
            }
        };
        diffs.push(format!(
            "retrieval: baseline {}, current {}",
            describe(base),
            describe(cur)
        ));
    }
    if base.found_share != cur.found_share {
        diffs.push(format!(
            "found share: baseline {}, current {}",
            base.found_share, cur.found_share
        ));
    }
    let (a, b) = (&base.answer_models, &cur.answer_models);
    for (what, x, y) in [
        ("context-utility model", &a.utility, &b.utility),
        ("answer generator", &a.generator, &b.generator),
        ("judge", &a.judge, &b.judge),
    ] {
        if let (Some(x), Some(y)) = (x, y) {
            if x != y {
                diffs.push(format!("{what}: baseline {x}, current {y}"));
            }
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "the runs are not comparable — {}; re-run the current benchmark with the baseline's settings or save a new baseline",
            diffs.join("; ")
        )))
    }
}

/// Compares `current` against `baseline`.
pub fn compare(
    baseline: &RunResults,
    current: &RunResults,
    tolerances: &[(String, f64)],
    resamples: usize,
    seed: u64,
) -> Result<Comparison> {
    check_comparable(baseline, current)?;
    let mut lines = Vec::new();
    for b in &baseline.strategies {
        let Some(c) = current.strategies.iter().find(|c| c.name == b.name) else {
            return Err(Error::Usage(format!(
                "strategy {:?} of the baseline is missing from the current run; run the same grid, or save a new baseline",
                b.name
            )));
        };
        let cur_by_id: HashMap<&str, &QuestionResult> =
            c.questions.iter().map(|q| (q.id.as_str(), q)).collect();
        for (metric, tol) in tolerances {
            let Some(m) = metric_named(metric) else {
                continue;
            };
            let (xb, xc): (Vec<f64>, Vec<f64>) = b
                .questions
                .iter()
                .filter_map(|qb| {
                    let qc = cur_by_id.get(qb.id.as_str())?;
                    Some(((m.get)(qb)?, (m.get)(qc)?))
                })
                .unzip();
            if xb.is_empty() {
                continue;
            }
            let d = paired(&xb, &xc, &Resamples::new(xb.len(), resamples, seed));
            let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
            lines.push(Line {
                strategy: b.name.clone(),
                metric: metric.clone(),
                baseline: mean(&xb),
                current: mean(&xc),
                diff: d.mean,
                lo: d.lo,
                hi: d.hi,
                tolerance: *tol,
                questions: d.n,
                regression: d.hi < -tol,
            });
        }
    }
    let new_strategies = current
        .strategies
        .iter()
        .filter(|c| !baseline.strategies.iter().any(|b| b.name == c.name))
        .map(|c| c.name.clone())
        .collect();
    Ok(Comparison {
        lines,
        new_strategies,
    })
}

fn verdict(c: &Comparison) -> String {
    let n = c.regressions().count();
    if n == 0 {
        "no regression".to_string()
    } else {
        format!("{n} regression{}", if n == 1 { "" } else { "s" })
    }
}

/// The terminal table.
pub fn render_terminal(c: &Comparison) -> String {
    let w = c
        .lines
        .iter()
        .map(|l| l.strategy.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$}  {:<16} {:>9} {:>9} {:>9}  {:>21} {:>7}  verdict",
        "strategy", "metric", "baseline", "current", "Δ", "95% interval of Δ", "tol"
    );
    for l in &c.lines {
        let _ = writeln!(
            s,
            "{:<w$}  {:<16} {:>9.4} {:>9.4} {:>+9.4}  [{:>+8.4}, {:>+8.4}] {:>7.4}  {}",
            l.strategy,
            l.metric,
            l.baseline,
            l.current,
            l.diff,
            l.lo,
            l.hi,
            l.tolerance,
            if l.regression { "REGRESSION" } else { "ok" }
        );
    }
    if !c.new_strategies.is_empty() {
        let _ = writeln!(
            s,
            "\nnot in the baseline (not gated): {}",
            c.new_strategies.join(", ")
        );
    }
    let _ = writeln!(s, "\n{}", verdict(c));
    s
}

/// A Markdown summary for CI (e.g. `$GITHUB_STEP_SUMMARY`): the verdict, the regressions, then
/// every line.
pub fn render_markdown(c: &Comparison) -> String {
    let mut s = String::new();
    let regressions: Vec<&Line> = c.regressions().collect();
    let _ = writeln!(s, "## chunkbench: {}\n", verdict(c));
    let _ = writeln!(s, "A regression is a drop whose 95% paired bootstrap interval lies entirely below −tolerance.\n");
    let row = |s: &mut String, l: &Line| {
        let _ = writeln!(
            s,
            "| {} | {} | {:.4} | {:.4} | {:+.4} [{:+.4}, {:+.4}] | {:.4} | {} |",
            l.strategy,
            l.metric,
            l.baseline,
            l.current,
            l.diff,
            l.lo,
            l.hi,
            l.tolerance,
            if l.regression {
                "❌ regression"
            } else {
                "✅"
            }
        );
    };
    let header = "| strategy | metric | baseline | current | Δ [95% interval] | tolerance | verdict |\n|---|---|---:|---:|---:|---:|---|\n";
    if !regressions.is_empty() {
        let _ = writeln!(s, "### Regressions\n\n{header}");
        s.pop();
        for l in &regressions {
            row(&mut s, l);
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "<details><summary>All {} comparisons</summary>\n\n{header}",
        c.lines.len()
    );
    s.pop();
    for l in &c.lines {
        row(&mut s, l);
    }
    let _ = writeln!(s, "\n</details>");
    if !c.new_strategies.is_empty() {
        let _ = writeln!(
            s,
            "\nNot in the baseline (not gated): {}",
            c.new_strategies.join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;
    use crate::results::StrategyResults;

    /// A run of one strategy `fixed_128` whose question `i` of 40 scores `value(i)` on every
    /// retrieval metric.
    fn run(value: impl Fn(usize) -> f64) -> RunResults {
        let mut s: StrategyResults = testdata::small().strategies.remove(0);
        s.questions = (0..40)
            .map(|i| testdata::question(&format!("q{i}"), "alpha", value(i)))
            .collect();
        testdata::results(vec![s])
    }

    /// The baseline's scores: 0.6 and 0.8 in turn.
    fn base(i: usize) -> f64 {
        if i.is_multiple_of(2) {
            0.6
        } else {
            0.8
        }
    }

    fn gate(b: &RunResults, c: &RunResults) -> Comparison {
        compare(b, c, &tolerances(&[]).unwrap(), 500, 1).unwrap()
    }

    fn line<'a>(c: &'a Comparison, metric: &str) -> &'a Line {
        c.lines.iter().find(|l| l.metric == metric).unwrap()
    }

    #[test]
    fn a_real_drop_is_a_regression() {
        let c = gate(&run(base), &run(|i| base(i) - 0.1));
        let recall = line(&c, "recall");
        assert!(recall.regression);
        assert!((recall.diff + 0.1).abs() < 1e-9, "{}", recall.diff);
        assert!((recall.baseline - 0.7).abs() < 1e-9);
        assert_eq!(recall.questions, 40);
        assert_eq!(recall.tolerance, 0.02);
        // Every retrieval metric and answer support dropped; the model metrics were not run.
        assert_eq!(c.lines.len(), 9);
        assert_eq!(c.regressions().count(), 9);
        assert!(render_terminal(&c).ends_with("\n9 regressions\n"));
    }

    #[test]
    fn a_drop_within_tolerance_passes_each_metric_by_its_own() {
        // A sure drop of 0.01: within recall's tolerance (0.02), beyond precision's (0.005).
        let c = gate(&run(base), &run(|i| base(i) - 0.01));
        assert!(!line(&c, "recall").regression);
        assert!(line(&c, "precision").regression);
        assert!(line(&c, "iou").regression);
        assert!(!line(&c, "mrr").regression);
        // Looser tolerances let it through.
        let loose: Vec<String> = ["precision", "iou", "precision_omega"]
            .map(|m| format!("{m}=0.02"))
            .to_vec();
        let loose = tolerances(&loose).unwrap();
        let c = compare(&run(base), &run(|i| base(i) - 0.01), &loose, 500, 1).unwrap();
        assert_eq!(c.regressions().count(), 0);
        assert_eq!(render_terminal(&c).lines().last(), Some("no regression"));
    }

    #[test]
    fn noise_is_not_a_regression() {
        // Mean drop 0.03 (beyond recall's tolerance), but paired differences of −0.33 and
        // +0.27 in turn: the interval reaches above −tolerance.
        let noisy = |i: usize| base(i) - 0.03 + if i.is_multiple_of(2) { -0.3 } else { 0.3 };
        let c = gate(&run(base), &run(noisy));
        let recall = line(&c, "recall");
        assert!((recall.diff + 0.03).abs() < 1e-9);
        assert!(recall.lo < -0.03 && recall.hi > -0.02, "{recall:?}");
        assert!(!recall.regression);
        assert_eq!(c.regressions().count(), 0);
    }

    #[test]
    fn a_metric_missing_on_one_side_is_not_gated() {
        let mut b = run(base);
        for q in &mut b.strategies[0].questions {
            q.context_utility = Some(0.5);
        }
        let c = gate(&b, &run(base));
        assert!(c.lines.iter().all(|l| l.metric != "context_utility"));
        assert_eq!(c.lines.len(), 9);
        assert_eq!(c.regressions().count(), 0);
        // On both sides it is gated, with its own tolerance.
        let mut cur = run(base);
        for q in &mut cur.strategies[0].questions {
            q.context_utility = Some(0.3);
        }
        let c = gate(&b, &cur);
        let u = line(&c, "context_utility");
        assert_eq!(u.tolerance, 0.05);
        assert!(u.regression);
    }

    #[test]
    fn runs_that_measured_something_else_are_refused() {
        let b = run(base);
        let mut c = run(base);
        c.embedder.id = "other-embedder@1".into();
        c.k = 10;
        c.retrieval = Some(crate::results::RetrievalInfo {
            setups: vec!["bm25, top-10".into()],
            reranker: None,
            rerank_depth: None,
            budget_unit: "cl100k tokens".into(),
        });
        let e = compare(&b, &c, &tolerances(&[]).unwrap(), 100, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("embedder: baseline test-embedder@0, current other-embedder@1"),
            "{e}"
        );
        assert!(e.contains("k: baseline 5, current 10"), "{e}");
        assert!(
            e.contains("retrieval: baseline dense top-5, current bm25, top-10"),
            "{e}"
        );
        // A strategy of the baseline missing from the current run is an error; a new one is
        // listed, not gated.
        let mut c = run(base);
        c.strategies[0].name = "recursive_256".into();
        let e = compare(&b, &c, &tolerances(&[]).unwrap(), 100, 1).unwrap_err();
        assert!(e
            .to_string()
            .contains("\"fixed_128\" of the baseline is missing"));
        let mut c = run(base);
        let mut extra = c.strategies[0].clone();
        extra.name = "recursive_256".into();
        c.strategies.push(extra);
        assert_eq!(gate(&b, &c).new_strategies, ["recursive_256"]);
    }

    #[test]
    fn tolerances_default_to_the_metric_list_and_take_overrides() {
        let t = tolerances(&[]).unwrap();
        assert_eq!(t.len(), METRICS.len());
        assert_eq!(t[2], ("iou".to_string(), 0.005));
        let t = tolerances(&["iou=0.01".into()]).unwrap();
        assert_eq!(t[2], ("iou".to_string(), 0.01));
        for bad in ["nope=0.1", "iou=-1", "iou"] {
            assert!(tolerances(&[bad.into()]).is_err(), "{bad}");
        }
        let e = tolerances(&["nope=0.1".into()]).unwrap_err().to_string();
        assert!(e.contains("metrics: recall, precision, iou"), "{e}");
    }
}
