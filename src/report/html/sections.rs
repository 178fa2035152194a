//! The tables of `report.html`: metric tables with the best mean of each column in bold, the
//! paired differences against the best strategy, and the per-group (corpus, question kind)
//! tables. Which metrics and rows they show comes from [`crate::report::tables`].

use std::fmt::Write;

use super::markup::{esc, slug};
use crate::report::f4;
use crate::report::tables;
use crate::results::{GroupSummary, Metric, MetricSummary, RunResults, StrategyResults};

/// A row of a metric table: the strategy, the group it shows, and its leading extra cells.
pub type Row<'a> = (&'a StrategyResults, &'a GroupSummary, Vec<String>);

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

/// `<div><table id=ID><thead>` with the header cells `heads`, up to the `<tbody>`.
fn table_head<'a>(out: &mut String, id: &str, heads: impl IntoIterator<Item = &'a str>) {
    table_head_named(out, id, "strategy", heads)
}

/// A table's head whose first column is called `first`.
fn table_head_named<'a>(
    out: &mut String,
    id: &str,
    first: &str,
    heads: impl IntoIterator<Item = &'a str>,
) {
    let _ = write!(
        out,
        "<div class=\"scroll\"><table id=\"{}\"><thead><tr><th>{}</th>",
        esc(id),
        esc(first)
    );
    for h in heads {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
}

/// The opening of a strategy's row.
fn row_head(out: &mut String, s: &StrategyResults) {
    let _ = write!(
        out,
        "<tr data-strategy=\"{}\"><td>{}</td>",
        esc(&s.name),
        esc(&s.name)
    );
}

/// A table of `metrics` (labelled for the run's `k`) for `rows`, after the columns
/// `extra_heads`; the highest mean of each metric in bold.
pub fn metric_table(
    out: &mut String,
    id: &str,
    extra_heads: &[&str],
    rows: &[Row],
    metrics: &[&Metric],
    k: usize,
) {
    let best: Vec<f64> = metrics
        .iter()
        .map(|m| {
            rows.iter()
                .filter_map(|(_, g, _)| find(g, m.name).filter(|x| x.stat.n > 0))
                .map(|x| x.stat.mean)
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let labels: Vec<String> = metrics.iter().map(|m| m.label_at(k)).collect();
    table_head(
        out,
        id,
        extra_heads
            .iter()
            .copied()
            .chain(labels.iter().map(String::as_str)),
    );
    for (s, g, extra) in rows {
        row_head(out, s);
        for e in extra {
            let _ = write!(out, "<td>{}</td>", esc(e));
        }
        for (m, b) in metrics.iter().zip(&best) {
            let x = find(g, m.name);
            let is_best = rows.len() > 1 && x.is_some_and(|x| x.stat.n > 0 && x.stat.mean == *b);
            out.push_str(&cell(x, is_best));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// The rows of group `name` (strategies without it are left out), with no extra cells.
pub fn rows<'a>(r: &'a RunResults, name: &str) -> Vec<Row<'a>> {
    r.strategies
        .iter()
        .filter_map(|s| tables::group(s, name).map(|g| (s, g, Vec::new())))
        .collect()
}

/// Differences of every other strategy against the best by IoU (fewer than two strategies:
/// nothing).
pub fn differences_section(o: &mut String, r: &RunResults) {
    let Some(best) = tables::best_by_iou(r) else {
        return;
    };
    let _ = writeln!(
        o,
        "<section id=\"differences\"><h2>Paired differences against the best IoU ({})</h2>\n<p class=\"note\">Other strategy minus {}, over the same questions, with the 95% paired bootstrap interval; bold when the interval excludes 0.</p>",
        esc(&best.name),
        esc(&best.name)
    );
    let metrics = tables::difference_columns(r);
    let heads: Vec<String> = metrics
        .iter()
        .map(|m| format!("Δ {}", m.label_at(r.k)))
        .collect();
    table_head(o, "differences-table", heads.iter().map(String::as_str));
    for s in r.strategies.iter().filter(|s| s.name != best.name) {
        row_head(o, s);
        for m in &metrics {
            match tables::difference(r, &best.name, &s.name, m.name) {
                None => o.push_str("<td>–</td>"),
                Some(d) => {
                    let _ = write!(
                        o,
                        "<td{}><span class=\"m\">{:+.4}</span><span class=\"ci\">[{:+.4}, {:+.4}]</span></td>",
                        if d.significant { " class=\"sig\"" } else { "" },
                        d.diff,
                        d.lo,
                        d.hi
                    );
                }
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table></div></section>\n");
}

/// The span-metric table of one group (a corpus or `kind:NAME`), titled `label`.
pub fn group_tables(o: &mut String, r: &RunResults, group_name: &str, label: &str, what: &str) {
    let rows: Vec<Row> = rows(r, group_name)
        .into_iter()
        .map(|(s, g, _)| (s, g, vec![g.questions.to_string(), g.chunks.to_string()]))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "<h3>{}</h3>", esc(label));
    let id = format!("{what}-{}", slug(label));
    metric_table(
        o,
        &id,
        &["questions", "chunks"],
        &rows,
        &tables::span_columns(),
        r.k,
    );
}

/// A plain table of text cells: the first column names the row (a strategy, or a retrieval
/// setup), as in the metric tables.
pub fn text_table(out: &mut String, id: &str, heads: &[String], rows: &[Vec<String>]) {
    let first = heads.first().map_or("strategy", String::as_str);
    table_head_named(out, id, first, heads.iter().skip(1).map(String::as_str));
    for row in rows {
        let _ = write!(
            out,
            "<tr data-strategy=\"{}\">",
            esc(row.first().map_or("", String::as_str))
        );
        for c in row {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}
