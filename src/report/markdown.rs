//! `summary.md`: overall tables (span metrics, then rank metrics and answer support), paired
//! differences against the best strategy, then one table per corpus — ready to paste into a post.

use std::fmt::Write;

use super::tables::{self, Difference};
use super::{f4, Exporter, File, RunView};
use crate::error::Result;
use crate::results::{Metric, MetricSummary, RunResults};

pub struct SummaryMarkdown;

impl Exporter for SummaryMarkdown {
    fn name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        Ok(vec![File::new(self.name(), render(run.results))])
    }
}

/// The whole document.
pub fn render(r: &RunResults) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# chunkbench results: {}\n", r.dataset.name);
    let _ = writeln!(
        s,
        "{} documents, {} questions; embedder {}; {}. Span metrics over {}. Each cell: mean over questions [95% bootstrap interval, {} resamples].\n",
        r.dataset.documents, r.dataset.questions, r.embedder.describe(), super::retrieval::retrieval_line(r), r.span_unit, r.bootstrap_resamples
    );
    best_per_setup_table(&mut s, r);
    span_table(&mut s, r);
    rank_table(&mut s, r);
    answer_table(&mut s, r);
    differences_table(&mut s, r);
    index_table(&mut s, r);
    kind_tables(&mut s, r);
    corpus_tables(&mut s, r);
    s
}

/// The best strategy under each retrieval setup (runs with more than the default setup).
fn best_per_setup_table(s: &mut String, r: &RunResults) {
    if let Some((heads, rows)) = super::retrieval::best_per_setup(r) {
        let _ = writeln!(s, "## The best strategy under each retrieval setup\n");
        table(s, &heads, &rows);
        let _ = writeln!(s);
    }
}

/// What each index costs and how much of the text the embedder never saw.
fn index_table(s: &mut String, r: &RunResults) {
    let (heads, rows) = tables::index_table(r);
    let _ = writeln!(s, "\n## The index: cost and truncation\n");
    let _ = writeln!(
        s,
        "Embedder tokens: every chunk as the embedder tokenises it; truncated: chunks longer than its input limit ({}); unseen: the share of tokens past that limit, which no vector reflects.\n",
        r.embedder.max_tokens.map_or_else(|| "unknown".to_string(), |n| format!("{n} tokens"))
    );
    table(s, &heads, &rows);
}

/// A table: the header row `heads`, its separator (the first column left-aligned, the others
/// right-aligned), then `rows`.
fn table(s: &mut String, heads: &[String], rows: &[Vec<String>]) {
    line(s, heads);
    let _ = writeln!(s, "|---|{}", "---:|".repeat(heads.len().saturating_sub(1)));
    for r in rows {
        line(s, r);
    }
}

fn line(s: &mut String, cells: &[String]) {
    s.push('|');
    for c in cells {
        let _ = write!(s, " {c} |");
    }
    s.push('\n');
}

/// `mean [lo, hi]`.
fn ci(m: &MetricSummary) -> String {
    format!("{} [{}, {}]", f4(m.stat.mean), f4(m.lo), f4(m.hi))
}

/// `heads` followed by the labels of `metrics`.
fn heads(first: &[&str], metrics: &[&Metric], k: usize) -> Vec<String> {
    let mut h: Vec<String> = first.iter().map(|x| x.to_string()).collect();
    h.extend(metrics.iter().map(|m| m.label_at(k)));
    h
}

fn span_table(s: &mut String, r: &RunResults) {
    let _ = writeln!(s, "## Span metrics, all questions\n");
    let cols = tables::span_columns();
    let rows: Vec<Vec<String>> = r
        .strategies
        .iter()
        .map(|st| {
            let g = st.overall();
            let c = &st.chunks;
            let mut row = vec![
                st.name.clone(),
                c.count.to_string(),
                format!(
                    "{:.1} / {:.0} / {}",
                    c.tokens_mean, c.tokens_p95, c.tokens_max
                ),
            ];
            row.extend(cols.iter().map(|m| ci(g.metric(m.name))));
            row
        })
        .collect();
    let h = heads(
        &["strategy", "chunks", "tokens mean / p95 / max"],
        &cols,
        r.k,
    );
    table(s, &h, &rows);
}

fn rank_table(s: &mut String, r: &RunResults) {
    let _ = writeln!(s, "\n## Rank metrics and answer support, all questions\n");
    let _ = writeln!(
        s,
        "Relevance by span overlap; an excerpt is found when {:.0}% of it is retrieved. Answer support: share of the gold answer's content words present in the retrieved text.\n",
        r.found_share * 100.0
    );
    let cols = tables::rank_columns();
    let rows: Vec<Vec<String>> = r
        .strategies
        .iter()
        .map(|st| {
            let g = st.overall();
            let mut row = vec![st.name.clone()];
            row.extend(cols.iter().map(|m| ci(g.metric(m.name))));
            row
        })
        .collect();
    table(s, &heads(&["strategy"], &cols, r.k), &rows);
}

/// The answer-quality table: answer support and the model-based metrics that were measured
/// (none measured: no table).
fn answer_table(s: &mut String, r: &RunResults) {
    let cols = tables::answer_columns(r);
    if cols.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n## Answer quality, all questions\n");
    let _ = writeln!(s, "Models: {}", super::answer_models_line(r));
    let _ = writeln!(s, "Context utility: mean per-token log p(gold answer | question, retrieved chunks) − log p(gold answer | question), in nats; > 0 when the chunks help. Faithfulness: share of the generated answer's statements the judge finds supported by the retrieved chunks. K-precision: share of the generated answer's words found in the retrieved chunks. Answer token F1: against the gold answer.\n");
    let rows: Vec<Vec<String>> = r
        .strategies
        .iter()
        .map(|st| {
            let g = st.overall();
            let mut row = vec![st.name.clone()];
            row.extend(
                cols.iter()
                    .map(|m| g.measured(m.name).map_or_else(|| "–".to_string(), ci)),
            );
            let scored = cols
                .iter()
                .filter(|m| m.model)
                .filter_map(|m| g.measured(m.name))
                .map(|m| m.stat.n)
                .max()
                .unwrap_or(0);
            row.push(scored.to_string());
            row
        })
        .collect();
    let mut h = heads(&["strategy"], &cols, r.k);
    h.push("questions scored".into());
    table(s, &h, &rows);
}

/// `Δ [lo, hi]`, in bold when the interval excludes 0.
fn difference_cell(d: Option<Difference>) -> String {
    match d {
        None => "–".to_string(),
        Some(d) => {
            let text = format!("{:+.4} [{:+.4}, {:+.4}]", d.diff, d.lo, d.hi);
            if d.significant {
                format!("**{text}**")
            } else {
                text
            }
        }
    }
}

fn differences_table(s: &mut String, r: &RunResults) {
    let Some(best) = tables::best_by_iou(r) else {
        return;
    };
    let _ = writeln!(
        s,
        "\n## Paired differences against the best IoU ({})\n",
        best.name
    );
    let _ = writeln!(s, "Other strategy minus {}, over the same questions, with the 95% paired bootstrap interval; **bold** when the interval excludes 0.\n", best.name);
    let cols = tables::difference_columns(r);
    let rows: Vec<Vec<String>> = r
        .strategies
        .iter()
        .filter(|x| x.name != best.name)
        .map(|st| {
            let mut row = vec![st.name.clone()];
            row.extend(
                cols.iter()
                    .map(|m| difference_cell(tables::difference(r, &best.name, &st.name, m.name))),
            );
            row
        })
        .collect();
    let mut h = vec!["strategy".to_string()];
    h.extend(cols.iter().map(|m| format!("Δ {}", m.label_at(r.k))));
    table(s, &h, &rows);
}

/// Recall and IoU per question kind (when the dataset names kinds).
fn kind_tables(s: &mut String, r: &RunResults) {
    let kinds = tables::kinds(r);
    if kinds.is_empty() {
        return;
    }
    for m in ["recall", "iou"]
        .into_iter()
        .filter_map(crate::results::metric)
    {
        let _ = writeln!(s, "\n## {} by question kind\n", m.title());
        let mut h = vec!["strategy".to_string()];
        h.extend(kinds.iter().map(|k| {
            let n = tables::group_questions(r, &format!("kind:{k}"));
            format!("{k} (n={n})")
        }));
        let rows: Vec<Vec<String>> = r
            .strategies
            .iter()
            .map(|st| {
                let mut row = vec![st.name.clone()];
                row.extend(kinds.iter().map(|k| {
                    tables::group(st, &format!("kind:{k}"))
                        .map_or_else(|| "–".to_string(), |g| ci(g.metric(m.name)))
                }));
                row
            })
            .collect();
        table(s, &h, &rows);
    }
}

/// The span metrics of each corpus.
fn corpus_tables(s: &mut String, r: &RunResults) {
    let cols = tables::span_columns();
    for corpus in &r.dataset.corpora {
        let _ = writeln!(s, "\n## {corpus}\n");
        let rows: Vec<Vec<String>> = r
            .strategies
            .iter()
            .filter_map(|st| {
                let g = tables::group(st, corpus)?;
                let mut row = vec![
                    st.name.clone(),
                    g.questions.to_string(),
                    g.chunks.to_string(),
                ];
                row.extend(cols.iter().map(|m| ci(g.metric(m.name))));
                Some(row)
            })
            .collect();
        table(
            s,
            &heads(&["strategy", "questions", "chunks"], &cols, r.k),
            &rows,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn summary_of_two_strategies_over_two_corpora() {
        assert_eq!(
            render(&testdata::small()),
            r#"# chunkbench results: small

2 documents, 4 questions; embedder test-embedder (local, mean pooling), inputs cut at 256 tokens, 8 dimensions; exact top-5 cosine retrieval over all chunks. Span metrics over characters. Each cell: mean over questions [95% bootstrap interval, 100 resamples].

## Span metrics, all questions

| strategy | chunks | tokens mean / p95 / max | recall | precision | IoU | precision_Ω |
|---|---:|---:|---:|---:|---:|---:|
| fixed_128 | 30 | 64.0 / 77 / 83 | 0.3000 [0.2800, 0.3200] | 0.3100 [0.2900, 0.3300] | 0.3200 [0.3000, 0.3400] | 0.3300 [0.3100, 0.3500] |
| recursive_256 | 30 | 128.0 / 154 / 166 | 0.2500 [0.2300, 0.2700] | 0.2600 [0.2400, 0.2800] | 0.2700 [0.2500, 0.2900] | 0.2800 [0.2600, 0.3000] |

## Rank metrics and answer support, all questions

Relevance by span overlap; an excerpt is found when 50% of it is retrieved. Answer support: share of the gold answer's content words present in the retrieved text.

| strategy | hit@5 | excerpt recall@5 | MRR | nDCG@5 | answer support |
|---|---:|---:|---:|---:|---:|
| fixed_128 | 0.3400 [0.3200, 0.3600] | 0.3500 [0.3300, 0.3700] | 0.3600 [0.3400, 0.3800] | 0.3700 [0.3500, 0.3900] | 0.3800 [0.3600, 0.4000] |
| recursive_256 | 0.2900 [0.2700, 0.3100] | 0.3000 [0.2800, 0.3200] | 0.3100 [0.2900, 0.3300] | 0.3200 [0.3000, 0.3400] | 0.3300 [0.3100, 0.3500] |

## Paired differences against the best IoU (fixed_128)

Other strategy minus fixed_128, over the same questions, with the 95% paired bootstrap interval; **bold** when the interval excludes 0.

| strategy | Δ recall | Δ IoU | Δ precision_Ω | Δ MRR | Δ answer support |
|---|---:|---:|---:|---:|---:|
| recursive_256 | -0.0400 [-0.1000, +0.0200] | **-0.0500 [-0.0800, -0.0200]** | – | +0.0100 [-0.0300, +0.0500] | – |

## The index: cost and truncation

Embedder tokens: every chunk as the embedder tokenises it; truncated: chunks longer than its input limit (256 tokens); unseen: the share of tokens past that limit, which no vector reflects.

| strategy | vectors | index size | embedder tokens | chunks truncated | tokens unseen |
|---|---:|---:|---:|---:|---:|
| fixed_128 | 0 | 0 B | 0 | n/a | n/a |
| recursive_256 | 0 | 0 B | 0 | n/a | n/a |

## Recall by question kind

| strategy | single (n=4) |
|---|---:|
| fixed_128 | 0.3000 [0.2800, 0.3200] |
| recursive_256 | 0.2500 [0.2300, 0.2700] |

## IoU by question kind

| strategy | single (n=4) |
|---|---:|
| fixed_128 | 0.3200 [0.3000, 0.3400] |
| recursive_256 | 0.2700 [0.2500, 0.2900] |

## alpha

| strategy | questions | chunks | recall | precision | IoU | precision_Ω |
|---|---:|---:|---:|---:|---:|---:|
| fixed_128 | 2 | 12 | 0.4000 [0.3800, 0.4200] | 0.4100 [0.3900, 0.4300] | 0.4200 [0.4000, 0.4400] | 0.4300 [0.4100, 0.4500] |
| recursive_256 | 2 | 12 | 0.3500 [0.3300, 0.3700] | 0.3600 [0.3400, 0.3800] | 0.3700 [0.3500, 0.3900] | 0.3800 [0.3600, 0.4000] |

## beta

| strategy | questions | chunks | recall | precision | IoU | precision_Ω |
|---|---:|---:|---:|---:|---:|---:|
| fixed_128 | 2 | 18 | 0.2000 [0.1800, 0.2200] | 0.2100 [0.1900, 0.2300] | 0.2200 [0.2000, 0.2400] | 0.2300 [0.2100, 0.2500] |
| recursive_256 | 2 | 18 | 0.1500 [0.1300, 0.1700] | 0.1600 [0.1400, 0.1800] | 0.1700 [0.1500, 0.1900] | 0.1800 [0.1600, 0.2000] |
"#
        );
    }

    #[test]
    fn answer_table_and_differences_gain_the_measured_model_metrics() {
        let md = render(&testdata::small_with_utility());
        assert!(md.contains(r#"## Answer quality, all questions

Models: context utility scored by `tiny-lm`; over every question.
Context utility: mean per-token log p(gold answer | question, retrieved chunks) − log p(gold answer | question), in nats; > 0 when the chunks help. Faithfulness: share of the generated answer's statements the judge finds supported by the retrieved chunks. K-precision: share of the generated answer's words found in the retrieved chunks. Answer token F1: against the gold answer.

| strategy | answer support | context utility | questions scored |
|---|---:|---:|---:|
| fixed_128 | 0.3800 [0.3600, 0.4000] | -0.1200 [-0.2000, -0.0400] | 4 |
| recursive_256 | 0.3300 [0.3100, 0.3500] | 0.0500 [0.0100, 0.0900] | 4 |

"#), "{md}");
        assert!(md.contains("| strategy | Δ recall | Δ IoU | Δ precision_Ω | Δ MRR | Δ answer support | Δ context utility |\n"));
        assert!(md.contains("| recursive_256 | -0.0400 [-0.1000, +0.0200] | **-0.0500 [-0.0800, -0.0200]** | – | +0.0100 [-0.0300, +0.0500] | – | – |\n"));
    }

    #[test]
    fn one_strategy_has_no_differences() {
        let mut r = testdata::small();
        r.strategies.truncate(1);
        let md = render(&r);
        assert!(!md.contains("Paired differences"));
        assert!(md.contains("| fixed_128 | 2 | 18 | 0.2000 [0.1800, 0.2200] |"));
    }
}
