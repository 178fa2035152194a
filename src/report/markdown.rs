//! `summary.md`: overall tables (span metrics, then rank metrics and answer support), paired
//! differences against the best strategy, then one table per corpus — ready to paste into a post.

use std::fmt::Write;

use super::{f4, Exporter};
use crate::error::Result;
use crate::results::{metric_label, MetricSummary, RunResults, StrategyResults};

pub struct SummaryMarkdown;

/// The answer-quality table: answer support and the model-based metrics that were measured.
fn answer_table(s: &mut String, r: &RunResults, metrics: &[&str]) {
    let _ = writeln!(s, "\n## Answer quality, all questions\n");
    let _ = writeln!(s, "Models: {}", super::answer_models_line(r));
    let _ = writeln!(s, "Context utility: mean per-token log p(gold answer | question, retrieved chunks) − log p(gold answer | question), in nats; > 0 when the chunks help. Faithfulness: share of the generated answer's statements the judge finds supported by the retrieved chunks. K-precision: share of the generated answer's words found in the retrieved chunks. Answer token F1: against the gold answer.\n");
    let mut cols = vec!["answer_support"];
    cols.extend(metrics.iter().copied());
    let _ = write!(s, "| strategy |");
    for c in &cols {
        let _ = write!(s, " {} |", metric_label(c));
    }
    let _ = writeln!(s, " questions scored |");
    let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(cols.len()));
    for st in &r.strategies {
        let g = all(st);
        let _ = write!(s, "| {} |", st.name);
        for c in &cols {
            match g.measured(c) {
                Some(m) => {
                    let _ = write!(s, " {} |", ci(m));
                }
                None => {
                    let _ = write!(s, " – |");
                }
            }
        }
        let n = metrics
            .iter()
            .filter_map(|m| g.measured(m))
            .map(|m| m.stat.n)
            .max()
            .unwrap_or(0);
        let _ = writeln!(s, " {n} |");
    }
}

/// `mean [lo, hi]`.
fn ci(m: &MetricSummary) -> String {
    format!("{} [{}, {}]", f4(m.stat.mean), f4(m.lo), f4(m.hi))
}

fn all(s: &StrategyResults) -> &crate::results::GroupSummary {
    s.overall()
}

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, r: &RunResults) -> Result<Vec<u8>> {
        let mut s = String::new();
        let _ = writeln!(s, "# chunkbench results: {}\n", r.dataset.name);
        let _ = writeln!(
            s,
            "{} documents, {} questions; embedder {} (inputs truncated at {} word pieces); exact top-{} cosine retrieval over all chunks. Span metrics over {}. Each cell: mean over questions [95% bootstrap interval, {} resamples].\n",
            r.dataset.documents, r.dataset.questions, r.embedder.name, r.embedder.max_tokens, r.k, r.span_unit, r.bootstrap_resamples
        );
        let _ = writeln!(s, "## Span metrics, all questions\n");
        let _ = writeln!(s, "| strategy | chunks | tokens mean / p95 / max | recall | precision | IoU | precision_Ω |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for st in &r.strategies {
            let g = all(st);
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} / {:.0} / {} | {} | {} | {} | {} |",
                st.name,
                st.chunks.count,
                st.chunks.tokens_mean,
                st.chunks.tokens_p95,
                st.chunks.tokens_max,
                ci(g.metric("recall")),
                ci(g.metric("precision")),
                ci(g.metric("iou")),
                ci(g.metric("precision_omega"))
            );
        }
        let _ = writeln!(s, "\n## Rank metrics and answer support, all questions\n");
        let _ = writeln!(
            s,
            "Relevance by span overlap; an excerpt is found when {:.0}% of it is retrieved. Answer support: share of the gold answer's content words present in the retrieved text.\n",
            r.found_share * 100.0
        );
        let _ = writeln!(
            s,
            "| strategy | hit@{k} | excerpt recall@{k} | MRR | nDCG@{k} | answer support |",
            k = r.k
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
        for st in &r.strategies {
            let g = all(st);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                st.name,
                ci(g.metric("hit")),
                ci(g.metric("excerpt_recall")),
                ci(g.metric("mrr")),
                ci(g.metric("ndcg")),
                ci(g.metric("answer_support"))
            );
        }
        let model_metrics = r.measured_model_metrics();
        if !model_metrics.is_empty() {
            answer_table(&mut s, r, &model_metrics);
        }
        if r.strategies.len() > 1 {
            let best = r
                .strategies
                .iter()
                .max_by(|a, b| {
                    all(a)
                        .metric("iou")
                        .stat
                        .mean
                        .total_cmp(&all(b).metric("iou").stat.mean)
                })
                .expect("non-empty");
            let _ = writeln!(
                s,
                "\n## Paired differences against the best IoU ({})\n",
                best.name
            );
            let _ = writeln!(s, "Other strategy minus {}, over the same questions, with the 95% paired bootstrap interval; **bold** when the interval excludes 0.\n", best.name);
            let mut cols = vec!["recall", "iou", "precision_omega", "mrr", "answer_support"];
            cols.extend(model_metrics.iter().copied());
            let _ = write!(s, "| strategy |");
            for c in &cols {
                let _ = write!(s, " Δ {} |", metric_label(c));
            }
            let _ = writeln!(s, "\n|---|{}", "---:|".repeat(cols.len()));
            for st in r.strategies.iter().filter(|x| x.name != best.name) {
                let cell = |metric: &str| {
                    let c = r.comparisons.iter().find(|c| {
                        c.metric == metric
                            && ((c.a == best.name && c.b == st.name)
                                || (c.b == best.name && c.a == st.name))
                    });
                    match c {
                        None => "–".to_string(),
                        Some(c) => {
                            let sign = if c.a == best.name { 1.0 } else { -1.0 };
                            let (d, lo, hi) = if sign > 0.0 {
                                (c.diff, c.lo, c.hi)
                            } else {
                                (-c.diff, -c.hi, -c.lo)
                            };
                            let text = format!("{:+.4} [{:+.4}, {:+.4}]", d, lo, hi);
                            if c.significant {
                                format!("**{text}**")
                            } else {
                                text
                            }
                        }
                    }
                };
                let _ = write!(s, "| {} |", st.name);
                for c in &cols {
                    let _ = write!(s, " {} |", cell(c));
                }
                let _ = writeln!(s);
            }
        }
        let kinds: Vec<&str> = r
            .strategies
            .first()
            .map(|st| {
                st.summary
                    .iter()
                    .filter_map(|g| g.corpus.strip_prefix("kind:"))
                    .collect()
            })
            .unwrap_or_default();
        if !kinds.is_empty() {
            for (metric, label) in [("recall", "Recall"), ("iou", "IoU")] {
                let _ = writeln!(s, "\n## {label} by question kind\n");
                let _ = write!(s, "| strategy |");
                for k in &kinds {
                    let n = r.strategies[0]
                        .summary
                        .iter()
                        .find(|g| g.corpus == format!("kind:{k}"))
                        .map(|g| g.questions)
                        .unwrap_or(0);
                    let _ = write!(s, " {k} (n={n}) |");
                }
                let _ = writeln!(s, "\n|---|{}", "---:|".repeat(kinds.len()));
                for st in &r.strategies {
                    let _ = write!(s, "| {} |", st.name);
                    for k in &kinds {
                        let name = format!("kind:{k}");
                        match st.summary.iter().find(|g| g.corpus == name) {
                            Some(g) => {
                                let _ = write!(s, " {} |", ci(g.metric(metric)));
                            }
                            None => {
                                let _ = write!(s, " – |");
                            }
                        }
                    }
                    let _ = writeln!(s);
                }
            }
        }
        for corpus in &r.dataset.corpora {
            let _ = writeln!(s, "\n## {corpus}\n");
            let _ = writeln!(
                s,
                "| strategy | questions | chunks | recall | precision | IoU | precision_Ω |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
            for st in &r.strategies {
                let Some(g) = st.summary.iter().find(|g| &g.corpus == corpus) else {
                    continue;
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    st.name,
                    g.questions,
                    g.chunks,
                    ci(g.metric("recall")),
                    ci(g.metric("precision")),
                    ci(g.metric("iou")),
                    ci(g.metric("precision_omega"))
                );
            }
        }
        Ok(s.into_bytes())
    }
}
