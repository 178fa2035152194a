//! The one-screen summary printed at the end of a run.

use std::fmt::Write;

use crate::results::{MetricSummary, RunResults, Timings};

/// Renders the overall table (one line per strategy, mean and 95% interval) and the cost line.
pub fn summary(r: &RunResults, t: &Timings) -> String {
    let name_w = r
        .strategies
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let cols = [
        ("recall", "recall"),
        ("precision", "precision"),
        ("iou", "IoU"),
        ("precision_omega", "precision_Ω"),
        ("mrr", "MRR"),
    ];
    let cell = |m: &MetricSummary| format!("{:.3} [{:.3},{:.3}]", m.stat.mean, m.lo, m.hi);
    let mut s = String::new();
    let _ = write!(
        s,
        "{:<name_w$}  {:>6}  {:>6}",
        "strategy", "chunks", "tokens"
    );
    for (_, label) in cols {
        let _ = write!(s, "  {label:>19}");
    }
    let _ = writeln!(s);
    for st in &r.strategies {
        let all = st.overall();
        let _ = write!(
            s,
            "{:<name_w$}  {:>6}  {:>6.1}",
            st.name, st.chunks.count, st.chunks.tokens_mean
        );
        for (name, _) in cols {
            let _ = write!(s, "  {:>19}", cell(all.metric(name)));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\n{} questions, k = {}, mean [95% bootstrap interval]. Time: {:.1} s total (chunking {:.1} s; embedding {:.1} s for {} new texts, {} cl100k tokens, {:.0} tokens/s; {} texts from the cache; scoring {:.1} s).",
        r.dataset.questions,
        r.k,
        t.total_seconds,
        t.chunk_seconds,
        t.embed_seconds,
        t.embedded_texts,
        t.embedded_tokens,
        t.embed_tokens_per_second,
        t.cached_texts,
        t.score_seconds
    );
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
    }
    s
}

/// The answer-quality lines (answer support and the measured model-based metrics), when the run
/// computed a model-based metric.
fn answer_table(s: &mut String, r: &RunResults, name_w: usize) {
    let model_metrics = r.measured_model_metrics();
    if !model_metrics.is_empty() {
        let _ = writeln!(s, "\nAnswer quality — {}", super::answer_models_line(r));
        let mut cols = vec!["answer_support"];
        cols.extend(model_metrics.iter().copied());
        let _ = write!(s, "{:<name_w$}", "strategy");
        for c in &cols {
            let label = crate::results::metric_label(c);
            let _ = write!(s, "  {label:>21}");
        }
        let _ = writeln!(s);
        for st in &r.strategies {
            let all = st.overall();
            let _ = write!(s, "{:<name_w$}", st.name);
            for c in &cols {
                let text = all.measured(c).map_or_else(
                    || "–".to_string(),
                    |m| {
                        if *c == "context_utility" {
                            // nats, either sign
                            format!("{:+.3} [{:+.3},{:+.3}]", m.stat.mean, m.lo, m.hi)
                        } else {
                            format!("{:.3} [{:.3},{:.3}]", m.stat.mean, m.lo, m.hi)
                        }
                    },
                );
                let _ = write!(s, "  {text:>21}");
            }
            let _ = writeln!(s);
        }
    }
}
