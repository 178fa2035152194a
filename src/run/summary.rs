//! Aggregation: every strategy's per-group means, stds and bootstrap intervals, and the paired
//! comparisons between strategies.

use rayon::prelude::*;

use crate::dataset::{Dataset, Question};
use crate::results::*;
use crate::score::aggregate::mean_std;
use crate::score::bootstrap::{paired, Resamples};

/// A group of questions that gets its own summary row: a corpus, a question kind (`kind:NAME`),
/// or `all`.
pub struct ReportGroup {
    pub name: String,
    /// Question indices.
    pub members: Vec<usize>,
    /// The document whose chunks the row counts (a corpus that is a document); `None`: all chunks.
    pub document: Option<usize>,
}

/// The summary groups of a dataset, in report order: corpora, then kinds (sorted), then `all`.
pub fn report_groups(dataset: &Dataset) -> Vec<ReportGroup> {
    let select = |f: &dyn Fn(&Question) -> bool| -> Vec<usize> {
        dataset
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| f(q))
            .map(|(i, _)| i)
            .collect()
    };
    let mut groups: Vec<ReportGroup> = dataset
        .corpora()
        .into_iter()
        .map(|c| ReportGroup {
            members: select(&|q| q.corpus == c),
            document: dataset.documents.iter().position(|d| d.id == c),
            name: c,
        })
        .collect();
    let mut kinds: Vec<String> = dataset
        .questions
        .iter()
        .filter_map(|q| q.kind.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        groups.push(ReportGroup {
            members: select(&|q| q.kind.as_deref() == Some(k.as_str())),
            document: None,
            name: format!("kind:{k}"),
        });
    }
    groups.push(ReportGroup {
        name: "all".into(),
        members: (0..dataset.questions.len()).collect(),
        document: None,
    });
    groups
}

/// Whether two rows get a paired comparison: always when the run has one retrieval setup;
/// otherwise the same strategy under two setups, or two strategies under the same setup.
fn comparable(a: &StrategyResults, b: &StrategyResults) -> bool {
    match (&a.setup, &b.setup) {
        (Some(x), Some(y)) => x.strategy == y.strategy || x.label == y.label,
        _ => true,
    }
}

/// Fills every strategy's group summaries (means, stds, bootstrap intervals) and computes the
/// paired comparisons between strategies over all questions. Deterministic: fixed seed, and the
/// same resamples for every strategy of a group.
pub fn summarise(
    dataset: &Dataset,
    mut strategies: Vec<StrategyResults>,
    resamples: usize,
    seed: u64,
) -> (Vec<StrategyResults>, Vec<Comparison>) {
    for group in report_groups(dataset) {
        let (g, idx) = (&group.name, &group.members);
        strategies.par_iter_mut().for_each(|s| {
            let metrics = METRICS
                .iter()
                .map(|m| {
                    let xs: Vec<f64> = idx
                        .iter()
                        .filter_map(|&i| (m.get)(&s.questions[i]))
                        .collect();
                    let stat = mean_std(&xs);
                    let (lo, hi) = Resamples::new(xs.len(), resamples, seed).interval(&xs);
                    MetricSummary {
                        metric: m.name.to_string(),
                        stat,
                        lo,
                        hi,
                    }
                })
                .collect();
            let slot = s
                .summary
                .iter_mut()
                .find(|x| &x.corpus == g)
                .expect("group slot");
            slot.questions = idx.len();
            slot.metrics = metrics;
        });
    }
    // Paired comparisons over all questions that have the metric in both strategies.
    let mut comparisons = Vec::new();
    for a in 0..strategies.len() {
        for b in a + 1..strategies.len() {
            if !comparable(&strategies[a], &strategies[b]) {
                continue;
            }
            for m in METRICS {
                let (xa, xb): (Vec<f64>, Vec<f64>) = strategies[a]
                    .questions
                    .iter()
                    .zip(&strategies[b].questions)
                    .filter_map(|(qa, qb)| Some(((m.get)(qa)?, (m.get)(qb)?)))
                    .unzip();
                if xa.is_empty() {
                    continue; // a model-based metric that was not computed
                }
                let d = paired(&xa, &xb, &Resamples::new(xa.len(), resamples, seed));
                comparisons.push(Comparison {
                    a: strategies[a].name.clone(),
                    b: strategies[b].name.clone(),
                    metric: m.name.to_string(),
                    diff: d.mean,
                    lo: d.lo,
                    hi: d.hi,
                    n: d.n,
                    significant: d.significant(),
                });
            }
        }
    }
    (strategies, comparisons)
}
