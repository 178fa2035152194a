//! What the report says about retrieval: the line that names the setups (top-k or budgeted,
//! reranked or not), the best strategy under each setup, and what each row's retrieval cost
//! (index build time, index size, query latency, from `timings.json`).

use super::tables::bytes;
use crate::results::{MetricSummary, RunResults, StrategyResults, Timings};

/// How the run retrieved, in one sentence.
pub fn retrieval_line(r: &RunResults) -> String {
    let Some(info) = &r.retrieval else {
        return format!("exact top-{} cosine retrieval over all chunks", r.k);
    };
    let mut s = format!(
        "every strategy under {} retrieval setups ({}); rows are named `strategy @ retriever, hand-over`; dense is exact cosine, BM25 exact Okapi BM25; a token budget ({}) takes chunks in rank order and cuts the last one to fit",
        info.setups.len(),
        info.setups.join("; "),
        info.budget_unit
    );
    if let (Some(model), Some(depth)) = (&info.reranker, info.rerank_depth) {
        s.push_str(&format!(
            "; +rerank: {model} reorders the first {depth} candidates"
        ));
    }
    s
}

/// A metric over all questions, when measured.
fn metric<'a>(s: &'a StrategyResults, name: &str) -> Option<&'a MetricSummary> {
    super::tables::group(s, "all")?.measured(name)
}

fn cell(m: Option<&MetricSummary>) -> String {
    m.map_or_else(String::new, |m| {
        format!("{:.3} [{:.3}, {:.3}]", m.stat.mean, m.lo, m.hi)
    })
}

/// The best strategy under each setup, by IoU and by recall (the last of equals), with their
/// recall, IoU and MRR over all questions; `None` for a run with the default setup only.
pub fn best_per_setup(r: &RunResults) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let info = r.retrieval.as_ref()?;
    let heads = [
        "setup",
        "best by IoU",
        "IoU",
        "recall",
        "MRR",
        "best by recall",
        "recall ",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for label in &info.setups {
        let members: Vec<&StrategyResults> = r
            .strategies
            .iter()
            .filter(|s| s.setup.as_ref().is_some_and(|x| &x.label == label))
            .collect();
        let best = |name: &str| {
            members
                .iter()
                .filter_map(|s| metric(s, name).map(|m| (*s, m.stat.mean)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|x| x.0)
        };
        let (Some(by_iou), Some(by_recall)) = (best("iou"), best("recall")) else {
            continue;
        };
        let strategy = |s: &StrategyResults| {
            s.setup
                .as_ref()
                .map_or_else(|| s.name.clone(), |x| x.strategy.clone())
        };
        rows.push(vec![
            label.clone(),
            strategy(by_iou),
            cell(metric(by_iou, "iou")),
            cell(metric(by_iou, "recall")),
            cell(metric(by_iou, "mrr")),
            strategy(by_recall),
            cell(metric(by_recall, "recall")),
        ]);
    }
    Some((heads, rows))
}

/// Index build time, index size and query latency per row, when the timings have them.
pub fn latency_table(t: &Timings) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let rows: Vec<Vec<String>> = t
        .strategies
        .iter()
        .filter_map(|s| s.retrieval.as_ref())
        .map(|x| {
            let mut row = vec![
                x.name.clone(),
                format!("{:.1}", x.index_seconds * 1000.0),
                bytes(x.index_bytes),
                format!("{:.3}", x.query_p50_ms),
                format!("{:.3}", x.query_p95_ms),
            ];
            row.push(x.rerank.as_ref().map_or_else(String::new, |c| {
                format!(
                    "{} calls, {} cached, {:.1} s",
                    c.calls, c.cache_hits, c.seconds
                )
            }));
            row
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let heads = [
        "strategy",
        "index build (ms)",
        "index size",
        "query p50 (ms)",
        "query p95 (ms)",
        "rerank",
    ]
    .map(String::from)
    .to_vec();
    Some((heads, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;
    use crate::results::{RetrievalInfo, RowSetup};
    use crate::retrieve::Handover;

    #[test]
    fn the_best_strategy_is_chosen_within_each_setup() {
        let mut r = testdata::small();
        assert!(best_per_setup(&r).is_none());
        assert!(retrieval_line(&r).contains("top-"));
        // Put the two strategies under two setups each by relabelling copies.
        let mut rows = Vec::new();
        for (label, bump) in [("dense, top-5", 0.0), ("bm25, top-5", 0.5)] {
            for s in &r.strategies {
                let mut s = s.clone();
                s.setup = Some(RowSetup {
                    strategy: s.name.clone(),
                    retriever: label.split(',').next().unwrap().into(),
                    reranker: None,
                    handover: Handover::TopK(5),
                    label: label.into(),
                });
                for g in &mut s.summary {
                    for m in &mut g.metrics {
                        if m.metric == "iou" && s.name == "recursive_256" {
                            m.stat.mean += bump;
                        }
                    }
                }
                rows.push(s);
            }
        }
        r.strategies = rows;
        r.retrieval = Some(RetrievalInfo {
            setups: vec!["dense, top-5".into(), "bm25, top-5".into()],
            reranker: None,
            rerank_depth: None,
            budget_unit: "cl100k tokens".into(),
        });
        let (_, table) = best_per_setup(&r).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(
            (table[0][0].as_str(), table[0][1].as_str()),
            ("dense, top-5", "fixed_128")
        );
        assert_eq!(
            (table[1][0].as_str(), table[1][1].as_str()),
            ("bm25, top-5", "recursive_256")
        );
        assert!(retrieval_line(&r).contains("2 retrieval setups"));
    }
}
