//! The one-screen summary printed at the end of a run.

use std::fmt::Write;

use crate::run::results::{MetricSummary, RunResults, Timings};

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
        let all = st
            .summary
            .iter()
            .find(|g| g.corpus == "all")
            .expect("all row");
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
    for st in &t.strategies {
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
