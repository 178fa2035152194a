//! The one-screen summary printed at the end of a run.

use std::fmt::Write;

use std::path::{Path, PathBuf};

use crate::results::{metric, Metric, MetricSummary, RunResults, Timings, Unit};

/// The metrics of the overall table.
const COLUMNS: [&str; 5] = ["recall", "precision", "iou", "precision_omega", "mrr"];

/// `mean [lo,hi]` to 3 places, signed for a metric that can be negative.
fn cell(m: &Metric, x: &MetricSummary) -> String {
    match m.unit {
        Unit::Nats => format!("{:+.3} [{:+.3},{:+.3}]", x.stat.mean, x.lo, x.hi),
        Unit::Share => format!("{:.3} [{:.3},{:.3}]", x.stat.mean, x.lo, x.hi),
    }
}

/// "Wrote a, b and c to DIR": the outputs [`crate::report::write_run`] wrote into `dir`.
pub fn written(paths: &[PathBuf], dir: &Path) -> String {
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let list = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    };
    format!("Wrote {list} to {}", dir.display())
}

/// Renders the overall table (one line per strategy, mean and 95% interval) and the cost line.
pub fn summary(r: &RunResults, t: &Timings) -> String {
    let name_w = r
        .strategies
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut s = String::new();
    overall_table(&mut s, r, name_w);
    let _ = writeln!(
        s,
        "\n{} questions, k = {}, mean [95% bootstrap interval]. Time: {:.1} s total (chunking {:.1} s{}; embedding {:.1} s for {} new texts, {} cl100k tokens, {:.0} tokens/s; {} texts from the cache; scoring {:.1} s){}.",
        r.dataset.questions,
        r.k,
        t.total_seconds,
        t.chunk_seconds,
        chunk_embedding(t),
        t.embed_seconds,
        t.embedded_texts,
        t.embedded_tokens,
        t.embed_tokens_per_second,
        t.cached_texts,
        t.score_seconds,
        peak_memory(t)
    );
    index_lines(&mut s, r);
    if let Some((heads, rows)) =
        super::retrieval::latency_table(t).filter(|_| r.retrieval.is_some())
    {
        plain_table(&mut s, "Retrieval cost (index build, size, query latency from the question's vector to the chunks handed over):", &heads, &rows);
    }
    if let Some((heads, rows)) = super::retrieval::best_per_setup(r) {
        plain_table(
            &mut s,
            "Best strategy under each retrieval setup:",
            &heads,
            &rows,
        );
    }
    answer_table(&mut s, r, name_w);
    if let Some(c) = &t.utility_baseline {
        let _ = writeln!(s, "Context utility, question-only baseline: {c}.");
    }
    for st in &t.strategies {
        for (what, c) in [
            ("context utility", &st.answer.utility),
            ("answers", &st.answer.generator),
            ("judge", &st.answer.judge),
        ] {
            if let Some(c) = c {
                let _ = writeln!(s, "{what} for {}: {c}.", st.name);
            }
        }
        if let Some(c) = &st.llm {
            let _ = writeln!(
                s,
                "Language model for {}: {} calls, {} from the cache, {} prompt + {} completion tokens, {:.1} s of model time, {} fallbacks ({}).",
                st.name,
                c.calls,
                c.cache_hits,
                c.prompt_tokens,
                c.completion_tokens,
                c.seconds,
                c.fallbacks,
                c.model
            );
        }
        if let Some(c) = &st.late {
            let _ = writeln!(
                s,
                "Late chunking for {}: {} documents read in {} windows, {} model tokens, {:.1} s.",
                st.name, c.documents, c.windows, c.model_tokens, c.seconds
            );
        }
    }
    s
}

/// One line per strategy: chunks, mean tokens and the [`COLUMNS`] metrics.
fn overall_table(s: &mut String, r: &RunResults, name_w: usize) {
    let cols: Vec<&Metric> = COLUMNS.into_iter().filter_map(metric).collect();
    let _ = write!(
        s,
        "{:<name_w$}  {:>6}  {:>6}",
        "strategy", "chunks", "tokens"
    );
    for m in &cols {
        let _ = write!(s, "  {:>19}", m.label_at(r.k));
    }
    let _ = writeln!(s);
    for st in &r.strategies {
        let all = st.overall();
        let _ = write!(
            s,
            "{:<name_w$}  {:>6}  {:>6.1}",
            st.name, st.chunks.count, st.chunks.tokens_mean
        );
        for m in &cols {
            let _ = write!(s, "  {:>19}", cell(m, all.metric(m.name)));
        }
        let _ = writeln!(s);
    }
}

/// The answer-quality lines (answer support and the measured model-based metrics), when the run
/// computed a model-based metric.
fn answer_table(s: &mut String, r: &RunResults, name_w: usize) {
    let cols = super::tables::answer_columns(r);
    if cols.is_empty() {
        return;
    }
    let _ = writeln!(s, "\nAnswer quality — {}", super::answer_models_line(r));
    let _ = write!(s, "{:<name_w$}", "strategy");
    for m in &cols {
        let _ = write!(s, "  {:>21}", m.label_at(r.k));
    }
    let _ = writeln!(s);
    for st in &r.strategies {
        let all = st.overall();
        let _ = write!(s, "{:<name_w$}", st.name);
        for m in &cols {
            let text = all
                .measured(m.name)
                .map_or_else(|| "–".to_string(), |x| cell(m, x));
            let _ = write!(s, "  {text:>21}");
        }
        let _ = writeln!(s);
    }
}

/// The index table: vectors, size, embedder tokens, truncation (and money, with a price).
fn index_lines(s: &mut String, r: &RunResults) {
    let (heads, rows) = super::tables::index_table(r);
    plain_table(
        s,
        &format!("Index ({}):", r.embedder.describe()),
        &heads,
        &rows,
    );
}

/// A titled table of text cells, columns padded (the first left-aligned, the rest right).
fn plain_table(s: &mut String, title: &str, heads: &[String], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..heads.len())
        .map(|c| {
            rows.iter()
                .map(|row| row[c].chars().count())
                .chain([heads[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = writeln!(s, "\n{title}");
    for row in std::iter::once(heads).chain(rows.iter().map(Vec::as_slice)) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| match i {
                0 => format!("{c:<w$}"),
                _ => format!("{c:>w$}"),
            })
            .collect();
        let _ = writeln!(s, "{}", cells.join("  ").trim_end());
    }
}

/// `; peak memory N MB`, when the run measured it.
/// What the chunking stage spent embedding chunkers' own units, when it embedded any.
pub fn chunk_embedding(t: &Timings) -> String {
    match &t.chunk_embedding {
        Some(c) if c.texts > 0 => {
            let tokens = c
                .model_tokens
                .map(|n| format!(", {n} model tokens"))
                .unwrap_or_default();
            format!(
                ", of which {:.1} s embedding {} pieces and windows{tokens}",
                c.seconds, c.texts
            )
        }
        _ => String::new(),
    }
}

pub fn peak_memory(t: &Timings) -> String {
    t.peak_rss_bytes
        .map(|b| format!("; peak memory {:.0} MB", b as f64 / 1e6))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn summary_of_two_strategies() {
        let r = testdata::small();
        assert_eq!(
            summary(&r, &testdata::timings(&r)),
            r#"strategy       chunks  tokens               recall            precision                  IoU          precision_Ω                  MRR
fixed_128          30    64.0  0.300 [0.280,0.320]  0.310 [0.290,0.330]  0.320 [0.300,0.340]  0.330 [0.310,0.350]  0.360 [0.340,0.380]
recursive_256      30   128.0  0.250 [0.230,0.270]  0.260 [0.240,0.280]  0.270 [0.250,0.290]  0.280 [0.260,0.300]  0.310 [0.290,0.330]

4 questions, k = 5, mean [95% bootstrap interval]. Time: 1.2 s total (chunking 0.1 s; embedding 1.0 s for 10 new texts, 1000 cl100k tokens, 1000 tokens/s; 0 texts from the cache; scoring 0.1 s).

Index (test-embedder (local, mean pooling), inputs cut at 256 tokens, 8 dimensions):
strategy       vectors  index size  embedder tokens  chunks truncated  tokens unseen
fixed_128            0         0 B                0               n/a            n/a
recursive_256        0         0 B                0               n/a            n/a
"#
        );
    }

    #[test]
    fn answer_lines_sign_the_nats() {
        let r = testdata::small_with_utility();
        let s = summary(&r, &testdata::timings(&r));
        assert!(
            s.ends_with(
                r#"
Answer quality — context utility scored by `tiny-lm`; over every question.
strategy              answer support        context utility
fixed_128        0.380 [0.360,0.400]  -0.120 [-0.200,-0.040]
recursive_256    0.330 [0.310,0.350]  +0.050 [+0.010,+0.090]
"#
            ),
            "{s}"
        );
    }

    #[test]
    fn written_lists_the_outputs() {
        let dir = Path::new("out");
        let paths: Vec<PathBuf> = ["summary.csv", "figures", "timings.json"]
            .map(|p| dir.join(p))
            .to_vec();
        assert_eq!(
            written(&paths, dir),
            format!(
                "Wrote summary.csv, figures and timings.json to {}",
                dir.display()
            )
        );
        assert_eq!(
            written(&paths[..1], dir),
            format!("Wrote summary.csv to {}", dir.display())
        );
    }
}
