//! The "Run" section of `report.html`: what was run, on what, with which models, and what the
//! run cost (from `timings.json`, when present).

use std::fmt::Write;

use super::markup::esc;
use crate::llm::LlmCost;
use crate::results::{RunResults, Timings};

pub(super) fn run_section(o: &mut String, r: &RunResults, t: Option<&Timings>) {
    o.push_str(
        "<section id=\"run\"><h2>Run</h2>\n<table class=\"meta\" id=\"run-metadata\"><tbody>\n",
    );
    let d = &r.dataset;
    let mut rows: Vec<(&str, String)> = vec![
        (
            "dataset",
            format!(
                "{} ({}, {} layout)",
                d.name,
                d.path,
                serde_json::to_string(&d.format)
                    .unwrap_or_default()
                    .trim_matches('"')
            ),
        ),
        (
            "documents / questions",
            format!(
                "{} / {} (corpora: {})",
                d.documents,
                d.questions,
                d.corpora.len()
            ),
        ),
        (
            "embedder",
            format!("{} — id {}", r.embedder.describe(), r.embedder.id),
        ),
        (
            "retrieval",
            format!("exact top-{} cosine over all chunks", r.k),
        ),
        ("span unit", r.span_unit.clone()),
        (
            "excerpt found at",
            format!("{:.0}% retrieved", r.found_share * 100.0),
        ),
        (
            "bootstrap",
            format!(
                "{} resamples, seed {}, 95% percentile intervals",
                r.bootstrap_resamples, r.bootstrap_seed
            ),
        ),
        ("chunkbench version", r.chunkbench_version.clone()),
    ];
    if r.answer_models != Default::default() {
        rows.push(("answer-metric models", crate::report::answer_models_line(r)));
    }
    if let Some(t) = t {
        rows.extend(timing_rows(t));
    }
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    o.push_str("</tbody></table></section>\n");
}

/// What this run cost: wall time per stage, and the model calls of the answer metrics.
fn timing_rows(t: &Timings) -> Vec<(&'static str, String)> {
    let mut rows = vec![(
        "time (this run)",
        format!(
            "{:.1} s total: chunking {:.1} s{}, embedding {:.1} s ({} new texts, {} cl100k tokens, {} from the cache), scoring {:.1} s{}",
            t.total_seconds, t.chunk_seconds, crate::report::terminal::chunk_embedding(t), t.embed_seconds, t.embedded_texts, t.embedded_tokens, t.cached_texts, t.score_seconds,
            crate::report::terminal::peak_memory(t)
        ),
    )];
    if t.answer_seconds > 0.0 {
        let total = answer_cost(t);
        rows.push((
            "answer metrics (this run)",
            format!(
                "{:.1} s: {} model calls ({} from the cache), {} prompt + {} completion tokens, {} unusable judge replies",
                t.answer_seconds, total.calls, total.cache_hits, total.prompt_tokens, total.completion_tokens, total.fallbacks
            ),
        ));
    }
    rows
}

/// The model cost of the answer metrics, summed over the baseline and every strategy.
fn answer_cost(t: &Timings) -> LlmCost {
    let mut total = LlmCost::default();
    let mut add = |c: &LlmCost| {
        total.calls += c.calls;
        total.cache_hits += c.cache_hits;
        total.prompt_tokens += c.prompt_tokens;
        total.completion_tokens += c.completion_tokens;
        total.seconds += c.seconds;
        total.fallbacks += c.fallbacks;
    };
    t.utility_baseline.iter().for_each(&mut add);
    for st in &t.strategies {
        for c in [&st.answer.utility, &st.answer.generator, &st.answer.judge]
            .into_iter()
            .flatten()
        {
            add(c);
        }
    }
    total
}
