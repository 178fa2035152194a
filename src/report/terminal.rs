//! The one-screen summary printed at the end of a run.

use std::fmt::Write;

use crate::run::results::{RunResults, Timings};

/// Renders the overall table (one line per strategy) and the cost line.
pub fn summary(r: &RunResults, t: &Timings) -> String {
    let name_w = r
        .strategies
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<name_w$}  {:>6}  {:>7}  {:>15}  {:>15}  {:>15}  {:>15}",
        "strategy", "chunks", "tokens", "recall", "precision", "IoU", "precision_Ω"
    );
    for st in &r.strategies {
        let all = st
            .summary
            .iter()
            .find(|g| g.corpus == "all")
            .expect("all row");
        let cell = |m: &crate::score::aggregate::MeanStd| format!("{:.4} ± {:.3}", m.mean, m.std);
        let _ = writeln!(
            s,
            "{:<name_w$}  {:>6}  {:>7.1}  {:>15}  {:>15}  {:>15}  {:>15}",
            st.name,
            st.chunks.count,
            st.chunks.tokens_mean,
            cell(&all.recall),
            cell(&all.precision),
            cell(&all.iou),
            cell(&all.precision_omega)
        );
    }
    let _ = writeln!(
        s,
        "\n{} questions, k = {}. Time: {:.1} s total (chunking {:.1} s, embedding {:.1} s for {} new texts / {} tokens = {:.0} tokens/s, {} cached; scoring {:.1} s).",
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
    s
}
