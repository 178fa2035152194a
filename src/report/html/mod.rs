//! `report.html`: one self-contained page (no scripts, no external requests) with the run's
//! metadata, the tables with their 95% intervals, the figures inline as SVG, and a chunk-size
//! histogram per strategy. Deterministic for the same results and timings.

mod histogram;
mod markup;
mod run_info;
mod sections;

use std::fmt::Write;

use super::figures::Figure;
use super::{tables, Exporter, File, RunView};
use crate::error::Result;
use crate::results::{RunResults, Timings};
use markup::{collapsible, esc, STYLE};
use sections::{differences_section, group_tables, metric_table, rows, text_table, Row};

/// `report.html`, with the run's figures inline.
pub struct HtmlReport;

impl Exporter for HtmlReport {
    fn name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        let page = render(run.results, run.timings, run.figures()?);
        Ok(vec![File::new(self.name(), page)])
    }
}

/// Renders the page. `figures` are embedded as inline SVG.
pub fn render(r: &RunResults, t: Option<&Timings>, figures: &[Figure]) -> String {
    let mut o = String::with_capacity(256 * 1024);
    header(&mut o, r, !figures.is_empty());
    run_info::run_section(&mut o, r, t);
    retrieval_section(&mut o, r, t);
    span_section(&mut o, r);
    rank_section(&mut o, r);
    answer_section(&mut o, r);
    differences_section(&mut o, r);
    index_section(&mut o, r);
    figures_section(&mut o, figures);
    group_sections(&mut o, r);
    o.push_str("<section id=\"chunk-sizes\"><h2>Chunk sizes</h2>\n");
    let _ = writeln!(o, "<p class=\"note\">Distribution of each strategy's chunk sizes in cl100k tokens over the whole dataset; dashed line: the strategy's size limit (<code>size</code> or <code>max</code>, when in cl100k tokens).</p>");
    o.push_str("<div class=\"hists\">\n");
    for s in &r.strategies {
        histogram::strategy_histogram(&mut o, s);
    }
    o.push_str("</div></section>\n");
    let _ = writeln!(
        o,
        "<footer>Written by chunkbench {}. Tables: summary.csv, summary.md, comparisons.csv; every per-question score: results.json.</footer>\n</body>\n</html>",
        esc(&r.chunkbench_version)
    );
    o
}

/// The document head, the title and lede, and the navigation.
fn header(o: &mut String, r: &RunResults, has_figures: bool) {
    let title = format!("chunkbench report: {}", r.dataset.name);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<header><h1>{}</h1><p class=\"lede\">{} strategies on {} questions over {} documents; embedder {}; {}. Each cell: the mean over questions, under it its 95% bootstrap interval; the best mean of a column in bold.</p>",
        esc(&title),
        r.strategies.len(),
        r.dataset.questions,
        r.dataset.documents,
        esc(&r.embedder.name),
        esc(&match r.retrieval {
            None => format!(
                "exact top-{} cosine retrieval over the chunks of all documents",
                r.k
            ),
            Some(_) => crate::report::retrieval::retrieval_line(r),
        })
    );
    o.push_str("<nav><a href=\"#run\">Run</a>");
    if r.retrieval.is_some() {
        o.push_str("<a href=\"#retrieval\">Retrieval setups</a>");
    }
    o.push_str("<a href=\"#span\">Span metrics</a><a href=\"#rank\">Rank metrics</a>");
    if r.strategies.len() > 1 {
        o.push_str("<a href=\"#differences\">Differences</a>");
    }
    if has_figures {
        o.push_str("<a href=\"#figures\">Figures</a>");
    }
    o.push_str("<a href=\"#corpora\">Per corpus</a>");
    if !tables::kinds(r).is_empty() {
        o.push_str("<a href=\"#kinds\">Per question kind</a>");
    }
    o.push_str("<a href=\"#chunk-sizes\">Chunk sizes</a></nav></header>\n");
}

fn span_section(o: &mut String, r: &RunResults) {
    o.push_str("<section id=\"span\"><h2>Span metrics, all questions</h2>\n");
    let _ = writeln!(o, "<p class=\"note\">Measured over {}: recall = share of the gold characters retrieved, precision = share of the retrieved characters that are gold, IoU = gold retrieved over retrieved plus gold missed, precision_Ω = the precision at full recall (depends on the chunking only).</p>", esc(&r.span_unit));
    let rows: Vec<Row> = rows(r, "all")
        .into_iter()
        .map(|(s, g, _)| {
            let c = &s.chunks;
            let extra = vec![
                s.family.clone(),
                c.count.to_string(),
                format!(
                    "{:.1} / {:.0} / {}",
                    c.tokens_mean, c.tokens_p95, c.tokens_max
                ),
            ];
            (s, g, extra)
        })
        .collect();
    metric_table(
        o,
        "span-metrics",
        &["family", "chunks", "tokens mean / p95 / max"],
        &rows,
        &tables::span_columns(),
        r.k,
    );
    o.push_str("</section>\n");
}

/// The best strategy under each retrieval setup and what retrieval cost (runs with more than
/// the default setup).
fn retrieval_section(o: &mut String, r: &RunResults, t: Option<&Timings>) {
    let Some((heads, rows)) = crate::report::retrieval::best_per_setup(r) else {
        return;
    };
    o.push_str("<section id=\"retrieval\"><h2>Retrieval setups</h2>\n");
    let _ = writeln!(
        o,
        "<p class=\"note\">{}.</p>",
        esc(&crate::report::retrieval::retrieval_line(r))
    );
    text_table(o, "best-per-setup", &heads, &rows);
    if let Some((heads, rows)) = t.and_then(crate::report::retrieval::latency_table) {
        let _ = writeln!(o, "<p class=\"note\">Index build time and size per row, and the query latency from the question's vector to the chunks handed over (ranking, reranking, hand-over), median and 95th percentile over the questions.</p>");
        text_table(o, "retrieval-cost", &heads, &rows);
    }
    o.push_str("</section>\n");
}

fn index_section(o: &mut String, r: &RunResults) {
    o.push_str("<section id=\"index\"><h2>The index: cost and truncation</h2>\n");
    let limit = r
        .embedder
        .max_tokens
        .map_or_else(|| "unknown".to_string(), |n| format!("{n} tokens"));
    let _ = writeln!(o, "<p class=\"note\">Embedder tokens: every chunk as the embedder tokenises it; truncated: chunks longer than its input limit ({}); unseen: the share of tokens past that limit, which no vector reflects.</p>", esc(&limit));
    let (heads, rows) = tables::index_table(r);
    text_table(o, "index", &heads, &rows);
    o.push_str("</section>\n");
}

fn rank_section(o: &mut String, r: &RunResults) {
    o.push_str("<section id=\"rank\"><h2>Rank metrics and answer support, all questions</h2>\n");
    let _ = writeln!(o, "<p class=\"note\">A retrieved chunk is relevant when it overlaps a gold excerpt; an excerpt counts as found when {:.0}% of it is retrieved. Answer support: share of the gold answer's content words present in the retrieved text (questions with a gold answer only).</p>", r.found_share * 100.0);
    let cols = tables::rank_columns();
    metric_table(o, "rank-metrics", &[], &rows(r, "all"), &cols, r.k);
    o.push_str("</section>\n");
}

/// The model-based answer metrics, when the run computed them (answer support is in the rank
/// table).
fn answer_section(o: &mut String, r: &RunResults) {
    let cols = r.measured_model_metrics();
    if cols.is_empty() {
        return;
    }
    o.push_str("<section id=\"answers\"><h2>Answer quality, all questions</h2>\n");
    let _ = writeln!(
        o,
        "<p class=\"note\">Models: {} Context utility: mean per-token log p(gold answer | question, retrieved chunks) − log p(gold answer | question), in nats. Faithfulness: share of the generated answer's statements the judge finds supported by the retrieved chunks. K-precision: share of the generated answer's words found in the retrieved chunks. Answer token F1: against the gold answer.</p>",
        esc(&super::answer_models_line(r))
    );
    metric_table(o, "answer-metrics", &[], &rows(r, "all"), &cols, r.k);
    o.push_str("</section>\n");
}

fn figures_section(o: &mut String, figures: &[Figure]) {
    if figures.is_empty() {
        return;
    }
    o.push_str("<section id=\"figures\"><h2>Figures</h2>\n");
    let _ = writeln!(
        o,
        "<p class=\"note\">Also in <code>figures/</code> as SVG and PNG.</p>"
    );
    for f in figures {
        let _ = write!(
            o,
            "<figure id=\"fig-{}\">\n{}\n<figcaption>{}</figcaption></figure>\n",
            f.kind.stem(),
            f.svg.trim(),
            esc(f.kind.caption())
        );
    }
    o.push_str("</section>\n");
}

/// The per-corpus tables and, when the dataset names question kinds, the per-kind ones.
fn group_sections(o: &mut String, r: &RunResults) {
    o.push_str("<section id=\"corpora\"><h2>Per corpus</h2>\n");
    collapsible(o, r.dataset.corpora.len(), "corpora", |o| {
        for c in &r.dataset.corpora {
            group_tables(o, r, c, c, "corpus");
        }
    });
    o.push_str("</section>\n");
    let kinds = tables::kinds(r);
    if !kinds.is_empty() {
        o.push_str("<section id=\"kinds\"><h2>Per question kind</h2>\n");
        collapsible(o, kinds.len(), "question kinds", |o| {
            for k in &kinds {
                group_tables(o, r, &format!("kind:{k}"), k, "kind");
            }
        });
        o.push_str("</section>\n");
    }
}

#[cfg(test)]
mod tests {
    use crate::report::testdata::{default_like, timings, under_setups};

    #[test]
    fn a_run_with_setups_gets_the_retrieval_section() {
        let plain = default_like();
        let page = super::render(&plain, None, &[]);
        assert!(!page.contains("id=\"retrieval\""));
        let r = under_setups(default_like(), &["dense, top-5", "bm25, 1000 tokens"]);
        let t = timings(&r);
        let page = super::render(&r, Some(&t), &[]);
        assert!(
            page.contains("<section id=\"retrieval\"><h2>Retrieval setups</h2>"),
            "no section"
        );
        assert!(page.contains("href=\"#retrieval\""));
        assert!(page.contains("bm25, 1000 tokens"));
        assert!(page.contains("every strategy under 2 retrieval setups"));
        assert!(page.contains("id=\"retrieval-cost\""), "no cost table");
    }
}
