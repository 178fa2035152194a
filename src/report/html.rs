//! `report.html`: one self-contained page (no scripts, no external requests) with the run's
//! metadata, the tables with their 95% intervals, the figures inline as SVG, and a chunk-size
//! histogram per strategy. Deterministic for the same results and timings.

use std::fmt::Write;

use super::figures::{self, Figure};
use super::{f4, Exporter};
use crate::error::Result;
use crate::results::{GroupSummary, MetricSummary, RunResults, StrategyResults, Timings};

pub const FILE_NAME: &str = "report.html";

/// The report as an [`Exporter`] (renders its own figures). `write_visual` writes the same page
/// from figures it has already drawn.
pub struct HtmlReport {
    pub timings: Option<Timings>,
}

impl Exporter for HtmlReport {
    fn file_name(&self) -> &'static str {
        FILE_NAME
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>> {
        let figures = figures::render_all(results, self.timings.as_ref())?;
        Ok(render(results, self.timings.as_ref(), &figures).into_bytes())
    }
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
  margin: 0 auto; padding: 1.5rem 1.25rem 3rem; max-width: 72rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .4rem; }
p.lede, p.note { color: #555; margin: .3rem 0 .8rem; }
nav { font-size: .9rem; margin: .8rem 0 0; }
nav a { margin-right: .9rem; color: #0072B2; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .86rem; margin: .3rem 0 .6rem; }
th, td { padding: .3rem .65rem; vertical-align: top; border-bottom: 1px solid #e6e6e6; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
td.best .m { font-weight: 700; }
.ci { display: block; color: #777; font-size: .74rem; }
table.meta td, table.meta th { text-align: left; white-space: normal; }
table.meta th { width: 14rem; background: none; }
td.sig { font-weight: 700; }
figure { margin: 1.2rem 0 1.8rem; }
figure svg { width: 100%; max-width: 800px; height: auto; display: block; }
figcaption { color: #555; font-size: .88rem; max-width: 800px; margin-top: .3rem; }
details > summary { cursor: pointer; color: #0072B2; margin: .4rem 0; }
.hists { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem 1.4rem; }
.hist svg { width: 100%; height: auto; display: block; }
.hist h3 { margin: 0 0 .1rem; font-size: .92rem; }
.hist p { margin: 0; color: #666; font-size: .8rem; }
footer { margin-top: 3rem; color: #777; font-size: .8rem; }
";

/// HTML-escapes `s`.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn group<'a>(s: &'a StrategyResults, name: &str) -> Option<&'a GroupSummary> {
    s.summary
        .iter()
        .find(|g| g.corpus == name && !g.metrics.is_empty())
}

fn find<'a>(g: &'a GroupSummary, metric: &str) -> Option<&'a MetricSummary> {
    g.metrics.iter().find(|m| m.metric == metric)
}

/// A metric cell: mean, then the interval in small grey type; bold when `best`.
fn cell(m: Option<&MetricSummary>, best: bool) -> String {
    match m {
        Some(m) if m.stat.n > 0 => format!(
            "<td{}><span class=\"m\">{}</span><span class=\"ci\">[{}, {}]</span></td>",
            if best { " class=\"best\"" } else { "" },
            f4(m.stat.mean),
            f4(m.lo),
            f4(m.hi)
        ),
        _ => "<td>–</td>".into(),
    }
}

/// A table of `metrics` (name, header) for the summaries `rows` (strategy, its group), with
/// `extra` leading columns; the highest mean of each metric in bold.
fn metric_table(
    out: &mut String,
    id: &str,
    extra_heads: &[&str],
    rows: &[(&StrategyResults, &GroupSummary, Vec<String>)],
    metrics: &[(&str, String)],
) {
    let best: Vec<f64> = metrics
        .iter()
        .map(|(m, _)| {
            rows.iter()
                .filter_map(|(_, g, _)| find(g, m).filter(|x| x.stat.n > 0))
                .map(|x| x.stat.mean)
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let _ = write!(
        out,
        "<div class=\"scroll\"><table id=\"{}\"><thead><tr><th>strategy</th>",
        esc(id)
    );
    for h in extra_heads {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    for (_, h) in metrics {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (s, g, extra) in rows {
        let _ = write!(
            out,
            "<tr data-strategy=\"{}\"><td>{}</td>",
            esc(&s.name),
            esc(&s.name)
        );
        for e in extra {
            let _ = write!(out, "<td>{}</td>", esc(e));
        }
        for ((m, _), b) in metrics.iter().zip(&best) {
            let x = find(g, m);
            let is_best = rows.len() > 1 && x.is_some_and(|x| x.stat.n > 0 && x.stat.mean == *b);
            out.push_str(&cell(x, is_best));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn span_metrics() -> Vec<(&'static str, String)> {
    vec![
        ("recall", "recall".into()),
        ("precision", "precision".into()),
        ("iou", "IoU".into()),
        ("precision_omega", "precision_Ω".into()),
    ]
}

/// Renders the page. `figures` are embedded as inline SVG.
pub fn render(r: &RunResults, t: Option<&Timings>, figures: &[Figure]) -> String {
    let mut o = String::with_capacity(256 * 1024);
    let title = format!("chunkbench report: {}", r.dataset.name);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<header><h1>{}</h1><p class=\"lede\">{} strategies on {} questions over {} documents; embedder {}; exact top-{} cosine retrieval over the chunks of all documents. Each cell: the mean over questions, under it its 95% bootstrap interval; the best mean of a column in bold.</p>",
        esc(&title),
        r.strategies.len(),
        r.dataset.questions,
        r.dataset.documents,
        esc(&r.embedder.name),
        r.k
    );
    let kinds = kind_groups(r);
    o.push_str("<nav><a href=\"#run\">Run</a><a href=\"#span\">Span metrics</a><a href=\"#rank\">Rank metrics</a>");
    if r.strategies.len() > 1 {
        o.push_str("<a href=\"#differences\">Differences</a>");
    }
    if !figures.is_empty() {
        o.push_str("<a href=\"#figures\">Figures</a>");
    }
    o.push_str("<a href=\"#corpora\">Per corpus</a>");
    if !kinds.is_empty() {
        o.push_str("<a href=\"#kinds\">Per question kind</a>");
    }
    o.push_str("<a href=\"#chunk-sizes\">Chunk sizes</a></nav></header>\n");

    super::run_info::run_section(&mut o, r, t);

    // Span metrics.
    o.push_str("<section id=\"span\"><h2>Span metrics, all questions</h2>\n");
    let _ = writeln!(o, "<p class=\"note\">Measured over {}: recall = share of the gold characters retrieved, precision = share of the retrieved characters that are gold, IoU = gold retrieved over retrieved plus gold missed, precision_Ω = the precision at full recall (depends on the chunking only).</p>", esc(&r.span_unit));
    let rows: Vec<_> = r
        .strategies
        .iter()
        .filter_map(|s| {
            group(s, "all").map(|g| {
                (
                    s,
                    g,
                    vec![
                        s.family.clone(),
                        s.chunks.count.to_string(),
                        format!(
                            "{:.1} / {:.0} / {}",
                            s.chunks.tokens_mean, s.chunks.tokens_p95, s.chunks.tokens_max
                        ),
                    ],
                )
            })
        })
        .collect();
    metric_table(
        &mut o,
        "span-metrics",
        &["family", "chunks", "tokens mean / p95 / max"],
        &rows,
        &span_metrics(),
    );
    o.push_str("</section>\n");

    // Rank metrics and answer support.
    o.push_str("<section id=\"rank\"><h2>Rank metrics and answer support, all questions</h2>\n");
    let _ = writeln!(o, "<p class=\"note\">A retrieved chunk is relevant when it overlaps a gold excerpt; an excerpt counts as found when {:.0}% of it is retrieved. Answer support: share of the gold answer's content words present in the retrieved text (questions with a gold answer only).</p>", r.found_share * 100.0);
    let rows: Vec<_> = r
        .strategies
        .iter()
        .filter_map(|s| group(s, "all").map(|g| (s, g, Vec::new())))
        .collect();
    metric_table(
        &mut o,
        "rank-metrics",
        &[],
        &rows,
        &[
            ("hit", format!("hit@{}", r.k)),
            ("excerpt_recall", format!("excerpt recall@{}", r.k)),
            ("mrr", "MRR".into()),
            ("ndcg", format!("nDCG@{}", r.k)),
            ("answer_support", "answer support".into()),
        ],
    );
    o.push_str("</section>\n");

    // Model-based answer metrics, when the run computed them.
    let model_metrics = r.measured_model_metrics();
    if !model_metrics.is_empty() {
        o.push_str("<section id=\"answers\"><h2>Answer quality, all questions</h2>\n");
        let _ = writeln!(
            o,
            "<p class=\"note\">Models: {} Context utility: mean per-token log p(gold answer | question, retrieved chunks) − log p(gold answer | question), in nats. Faithfulness: share of the generated answer's statements the judge finds supported by the retrieved chunks. K-precision: share of the generated answer's words found in the retrieved chunks. Answer token F1: against the gold answer.</p>",
            esc(&super::answer_models_line(r))
        );
        let rows: Vec<_> = r
            .strategies
            .iter()
            .filter_map(|s| group(s, "all").map(|g| (s, g, Vec::new())))
            .collect();
        let cols: Vec<(&str, String)> = model_metrics
            .iter()
            .map(|m| (*m, crate::results::metric_label(m).to_string()))
            .collect();
        metric_table(&mut o, "answer-metrics", &[], &rows, &cols);
        o.push_str("</section>\n");
    }

    differences_section(&mut o, r);

    if !figures.is_empty() {
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

    o.push_str("<section id=\"corpora\"><h2>Per corpus</h2>\n");
    collapsible(&mut o, r.dataset.corpora.len(), "corpora", |o| {
        for c in &r.dataset.corpora {
            group_tables(o, r, c, c, "corpus");
        }
    });
    o.push_str("</section>\n");
    if !kinds.is_empty() {
        o.push_str("<section id=\"kinds\"><h2>Per question kind</h2>\n");
        collapsible(&mut o, kinds.len(), "question kinds", |o| {
            for k in &kinds {
                group_tables(o, r, &format!("kind:{k}"), k, "kind");
            }
        });
        o.push_str("</section>\n");
    }

    o.push_str("<section id=\"chunk-sizes\"><h2>Chunk sizes</h2>\n");
    let _ = writeln!(o, "<p class=\"note\">Distribution of each strategy's chunk sizes in cl100k tokens over the whole dataset; dashed line: the strategy's size limit (<code>size</code> or <code>max</code>, when in cl100k tokens).</p>");
    o.push_str("<div class=\"hists\">\n");
    for s in &r.strategies {
        histogram(&mut o, s);
    }
    o.push_str("</div></section>\n");
    let _ = writeln!(
        o,
        "<footer>Written by chunkbench {}. Tables: summary.csv, summary.md, comparisons.csv; every per-question score: results.json.</footer>\n</body>\n</html>",
        esc(&r.chunkbench_version)
    );
    o
}

/// Writes `body` inside a closed `<details>` when there are many groups (a long page), as is when
/// few.
fn collapsible(o: &mut String, n: usize, what: &str, body: impl FnOnce(&mut String)) {
    if n > 4 {
        let _ = writeln!(
            o,
            "<details><summary>Show the tables of all {n} {what}</summary>"
        );
        body(o);
        o.push_str("</details>\n");
    } else {
        body(o);
    }
}

fn kind_groups(r: &RunResults) -> Vec<String> {
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

fn differences_section(o: &mut String, r: &RunResults) {
    let Some(best) = r
        .strategies
        .iter()
        .filter_map(|s| {
            group(s, "all")
                .and_then(|g| find(g, "iou"))
                .map(|m| (s, m.stat.mean))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|x| x.0)
    else {
        return;
    };
    if r.strategies.len() < 2 {
        return;
    }
    let _ = writeln!(
        o,
        "<section id=\"differences\"><h2>Paired differences against the best IoU ({})</h2>\n<p class=\"note\">Other strategy minus {}, over the same questions, with the 95% paired bootstrap interval; bold when the interval excludes 0.</p>",
        esc(&best.name),
        esc(&best.name)
    );
    let mut metrics: Vec<(&str, String)> = [
        ("recall", "Δ recall"),
        ("iou", "Δ IoU"),
        ("precision_omega", "Δ precision_Ω"),
        ("mrr", "Δ MRR"),
        ("answer_support", "Δ answer support"),
    ]
    .map(|(m, h)| (m, h.to_string()))
    .to_vec();
    for m in r.measured_model_metrics() {
        metrics.push((m, format!("Δ {}", crate::results::metric_label(m))));
    }
    o.push_str(
        "<div class=\"scroll\"><table id=\"differences-table\"><thead><tr><th>strategy</th>",
    );
    for (_, h) in &metrics {
        let _ = write!(o, "<th>{}</th>", esc(h));
    }
    o.push_str("</tr></thead><tbody>\n");
    for s in r.strategies.iter().filter(|s| s.name != best.name) {
        let _ = write!(
            o,
            "<tr data-strategy=\"{}\"><td>{}</td>",
            esc(&s.name),
            esc(&s.name)
        );
        for (m, _) in &metrics {
            let c = r.comparisons.iter().find(|c| {
                c.metric == *m
                    && ((c.a == best.name && c.b == s.name) || (c.b == best.name && c.a == s.name))
            });
            match c {
                None => o.push_str("<td>–</td>"),
                Some(c) => {
                    let (d, lo, hi) = if c.a == best.name {
                        (c.diff, c.lo, c.hi)
                    } else {
                        (-c.diff, -c.hi, -c.lo)
                    };
                    let _ = write!(
                        o,
                        "<td{}><span class=\"m\">{:+.4}</span><span class=\"ci\">[{:+.4}, {:+.4}]</span></td>",
                        if c.significant { " class=\"sig\"" } else { "" },
                        d,
                        lo,
                        hi
                    );
                }
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table></div></section>\n");
}

/// The span-metric table of one group (a corpus or `kind:NAME`).
fn group_tables(o: &mut String, r: &RunResults, group_name: &str, label: &str, what: &str) {
    let rows: Vec<_> = r
        .strategies
        .iter()
        .filter_map(|s| {
            group(s, group_name)
                .map(|g| (s, g, vec![g.questions.to_string(), g.chunks.to_string()]))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "<h3>{}</h3>", esc(label));
    let id = format!("{what}-{}", slug(label));
    metric_table(o, &id, &["questions", "chunks"], &rows, &span_metrics());
}

/// `s` reduced to `[a-z0-9-]` for an element id.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// An inline SVG histogram of one strategy's chunk sizes.
fn histogram(o: &mut String, s: &StrategyResults) {
    let c = &s.chunks;
    let _ = write!(
        o,
        "<div class=\"hist\" data-strategy=\"{}\"><h3>{}</h3><p>{} chunks · mean {:.1} · median {:.0} · p95 {:.0} · max {} tokens</p>",
        esc(&s.name),
        esc(&s.name),
        c.count,
        c.tokens_mean,
        c.tokens_median,
        c.tokens_p95,
        c.tokens_max
    );
    if c.token_size_counts.is_empty() {
        o.push_str(
            "<p>No chunk sizes in this results.json (written by an older chunkbench).</p></div>\n",
        );
        return;
    }
    let limit = s
        .params
        .iter()
        .find(|(k, _)| k == "size")
        .or_else(|| s.params.iter().find(|(k, _)| k == "max"))
        .and_then(|(_, v)| v.to_string().parse::<f64>().ok())
        .filter(|_| {
            s.params
                .iter()
                .find(|(k, _)| k == "unit")
                .is_none_or(|(_, u)| u.to_string() == "cl100k")
        });
    o.push_str(&super::histogram::histogram_svg(
        &c.token_size_counts,
        limit,
    ));
    o.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }
}
