//! What the tables show, shared by `summary.md` and `report.html`: which metrics are columns of
//! which table, the best strategy, the paired differences against it, and the question kinds.
//! Formatting is the exporters' business; the choices live here once.

use crate::results::{in_group, metric, Group, GroupSummary, Metric, RunResults, StrategyResults};

/// The span-metric table's columns.
pub fn span_columns() -> Vec<&'static Metric> {
    in_group(Group::Span).collect()
}

/// The rank table's columns: the rank metrics, then answer support.
pub fn rank_columns() -> Vec<&'static Metric> {
    in_group(Group::Rank)
        .chain(metric("answer_support"))
        .collect()
}

/// The answer table's columns: answer support, then the model-based metrics the run measured
/// (empty when it measured none: then there is no answer table).
pub fn answer_columns(r: &RunResults) -> Vec<&'static Metric> {
    let model = r.measured_model_metrics();
    if model.is_empty() {
        return Vec::new();
    }
    metric("answer_support").into_iter().chain(model).collect()
}

/// The metrics of the paired-differences table: the headline metrics, then the measured
/// model-based ones.
pub fn difference_columns(r: &RunResults) -> Vec<&'static Metric> {
    ["recall", "iou", "precision_omega", "mrr", "answer_support"]
        .into_iter()
        .filter_map(metric)
        .chain(r.measured_model_metrics())
        .collect()
}

/// The summary of group `name` (a corpus, `kind:NAME` or `all`) of `s`, when it was scored.
pub fn group<'a>(s: &'a StrategyResults, name: &str) -> Option<&'a GroupSummary> {
    s.summary
        .iter()
        .find(|g| g.corpus == name && !g.metrics.is_empty())
}

/// The strategy with the highest mean IoU over all questions (the last of equals), when there
/// are at least two strategies to compare.
pub fn best_by_iou(r: &RunResults) -> Option<&StrategyResults> {
    if r.strategies.len() < 2 {
        return None;
    }
    r.strategies
        .iter()
        .filter_map(|s| {
            group(s, "all")
                .and_then(|g| g.metrics.iter().find(|m| m.metric == "iou"))
                .map(|m| (s, m.stat.mean))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|x| x.0)
}

/// A paired difference `other − best` with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub diff: f64,
    pub lo: f64,
    pub hi: f64,
    /// The interval excludes zero.
    pub significant: bool,
}

/// The paired difference `other − best` on `metric`, from the run's comparisons (which hold each
/// pair once, in either order); `None` when the metric was not compared.
pub fn difference(r: &RunResults, best: &str, other: &str, metric: &str) -> Option<Difference> {
    let c = r.comparisons.iter().find(|c| {
        c.metric == metric && ((c.a == best && c.b == other) || (c.b == best && c.a == other))
    })?;
    let (diff, lo, hi) = if c.a == best {
        (c.diff, c.lo, c.hi)
    } else {
        (-c.diff, -c.hi, -c.lo)
    };
    Some(Difference {
        diff,
        lo,
        hi,
        significant: c.significant,
    })
}

/// The question kinds (groups `kind:NAME`) of the run, in order of first appearance.
pub fn kinds(r: &RunResults) -> Vec<String> {
    let mut kinds: Vec<String> = Vec::new();
    for s in &r.strategies {
        for g in &s.summary {
            if let Some(k) = g.corpus.strip_prefix("kind:") {
                if !kinds.iter().any(|x| x == k) {
                    kinds.push(k.to_string());
                }
            }
        }
    }
    kinds
}

/// The number of questions of group `name`, from the first strategy that has it.
pub fn group_questions(r: &RunResults, name: &str) -> usize {
    r.strategies
        .iter()
        .find_map(|s| s.summary.iter().find(|g| g.corpus == name))
        .map_or(0, |g| g.questions)
}

/// Bytes as B, KiB, MiB or GiB.
pub fn bytes(n: usize) -> String {
    let units = ["B", "KiB", "MiB", "GiB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < units.len() {
        x /= 1024.0;
        u += 1;
    }
    match u {
        0 => format!("{n} B"),
        _ => format!("{x:.1} {}", units[u]),
    }
}

/// A share as a percentage, or `n/a` when unknown.
fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// The index table (cost of the index, truncation), one row per strategy: its header, then rows.
/// The money column appears only when the run had a price.
pub fn index_table(r: &RunResults) -> (Vec<String>, Vec<Vec<String>>) {
    let priced = r.strategies.iter().any(|s| s.index.cost_usd.is_some());
    let mut heads: Vec<String> = [
        "strategy",
        "vectors",
        "index size",
        "embedder tokens",
        "chunks truncated",
        "tokens unseen",
    ]
    .map(String::from)
    .to_vec();
    if priced {
        heads.push("cost (USD)".into());
    }
    let rows = r
        .strategies
        .iter()
        .map(|s| {
            let i = &s.index;
            let mut row = vec![
                s.name.clone(),
                i.vectors.to_string(),
                bytes(i.bytes),
                i.embedder_tokens.to_string(),
                percent(i.truncated_share),
                percent(i.unseen_token_share),
            ];
            if priced {
                row.push(i.cost_usd.map_or_else(String::new, |c| format!("{c:.6}")));
            }
            row
        })
        .collect();
    (heads, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn columns_come_from_the_metric_list() {
        let names = |v: Vec<&Metric>| v.iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(
            names(rank_columns()),
            ["hit", "excerpt_recall", "mrr", "ndcg", "answer_support"]
        );
        let r = testdata::small();
        assert!(answer_columns(&r).is_empty());
        assert_eq!(
            names(difference_columns(&r)),
            ["recall", "iou", "precision_omega", "mrr", "answer_support"]
        );
    }

    #[test]
    fn best_and_differences_are_oriented() {
        let r = testdata::small();
        let best = best_by_iou(&r).unwrap();
        assert_eq!(best.name, "fixed_128");
        // comparisons hold (a = fixed_128, b = recursive_256): recursive − fixed as stored.
        let d = difference(&r, "fixed_128", "recursive_256", "iou").unwrap();
        assert_eq!(
            (d.diff, d.lo, d.hi, d.significant),
            (-0.05, -0.08, -0.02, true)
        );
        // Asked the other way round, the sign and the interval flip.
        let d = difference(&r, "recursive_256", "fixed_128", "iou").unwrap();
        assert_eq!((d.diff, d.lo, d.hi), (0.05, 0.02, 0.08));
        assert!(difference(&r, "fixed_128", "recursive_256", "faithfulness").is_none());
        assert_eq!(kinds(&r), ["single"]);
        assert_eq!(group_questions(&r, "kind:single"), 4);
    }
}
