//! Retrieval and scoring of one strategy's chunks, then aggregation with bootstrap intervals and
//! paired comparisons between strategies.

use std::sync::Arc;

use super::summary::report_groups;
use crate::chunk::{sizer::cl100k_tokens, Span};
use crate::dataset::Dataset;
use crate::results::*;
use crate::retrieve::Index;
use crate::score::aggregate::median_p95;
use crate::score::answer::answer_support;
use crate::score::ranges::Range;
use crate::score::rank::{rank_scores, relevant_count};
use crate::score::span::{precision_omega, retrieval_scores};
use crate::strategy::Strategy;

/// Scoring settings.
pub struct Settings {
    pub k: usize,
    pub found_share: f64,
}

/// Retrieves the top-k chunks for every question and scores them. `chunks` are (document, byte
/// span) in collection order; `vectors` their embeddings.
pub fn score_strategy(
    strategy: &Strategy,
    dataset: &Dataset,
    chunks: &[(usize, Span)],
    vectors: &[Arc<[f32]>],
    question_vectors: &[Arc<[f32]>],
    settings: &Settings,
) -> StrategyResults {
    let docs = &dataset.documents;
    let char_range = |d: usize, start: usize, end: usize| {
        let c = &docs[d].chars;
        Range::new(
            d,
            c.byte_to_char(start).expect("spans are on char boundaries"),
            c.byte_to_char(end).expect("spans are on char boundaries"),
        )
    };
    let ranges: Vec<Range> = chunks
        .iter()
        .map(|(d, sp)| char_range(*d, sp.start, sp.end))
        .collect();
    let mut by_doc: Vec<Vec<Range>> = vec![Vec::new(); docs.len()];
    for r in &ranges {
        by_doc[r.doc].push(*r);
    }
    let index = Index::new(vectors);

    let questions: Vec<QuestionResult> = dataset
        .questions
        .iter()
        .zip(question_vectors)
        .map(|(q, qv)| {
            let gold: Vec<Range> = q
                .gold
                .iter()
                .map(|g| char_range(g.doc, g.start, g.end))
                .collect();
            let hits = index.top_k(qv, settings.k);
            let retrieved: Vec<Range> = hits.iter().map(|&(i, _)| ranges[i]).collect();
            let span = retrieval_scores(&gold, &retrieved);
            let mut gold_docs: Vec<usize> = gold.iter().map(|g| g.doc).collect();
            gold_docs.sort_unstable();
            gold_docs.dedup();
            let candidates: Vec<Range> = gold_docs
                .iter()
                .flat_map(|&d| by_doc[d].iter().copied())
                .collect();
            let rank = rank_scores(
                &gold,
                &retrieved,
                relevant_count(&gold, &candidates),
                settings.found_share,
            );
            let support = q.answer.as_deref().and_then(|a| {
                answer_support(
                    a,
                    hits.iter().map(|&(i, _)| {
                        let (d, sp) = chunks[i];
                        &docs[d].text[sp.start..sp.end]
                    }),
                )
            });
            QuestionResult {
                id: q.id.clone(),
                corpus: q.corpus.clone(),
                recall: span.recall,
                precision: span.precision,
                iou: span.iou,
                precision_omega: precision_omega(&gold, &candidates),
                hit: rank.hit,
                excerpt_recall: rank.excerpt_recall,
                mrr: rank.mrr,
                ndcg: rank.ndcg,
                answer_support: support,
                context_utility: None,
                generated: None,
                retrieved: hits
                    .iter()
                    .map(|&(i, score)| RetrievedChunk {
                        doc: docs[ranges[i].doc].id.clone(),
                        start: ranges[i].start,
                        end: ranges[i].end,
                        score,
                    })
                    .collect(),
            }
        })
        .collect();

    let token_sizes: Vec<usize> = chunks
        .iter()
        .map(|(d, sp)| cl100k_tokens(&docs[*d].text[sp.start..sp.end]))
        .collect();
    let char_sizes: Vec<usize> = ranges.iter().map(Range::len).collect();
    let chunk_counts: Vec<(String, usize)> = report_groups(dataset)
        .into_iter()
        .map(|g| {
            let n = match g.document {
                Some(d) => by_doc[d].len(),
                None => ranges.len(),
            };
            (g.name, n)
        })
        .collect();
    StrategyResults {
        name: strategy.name.clone(),
        family: strategy.family.clone(),
        params: strategy.params.clone(),
        chunks: chunk_stats(&token_sizes, &char_sizes),
        summary: chunk_counts
            .into_iter()
            .map(|(corpus, chunks)| GroupSummary {
                corpus,
                questions: 0,
                chunks,
                metrics: Vec::new(),
            })
            .collect(),
        questions,
    }
}

fn chunk_stats(tokens: &[usize], chars: &[usize]) -> ChunkStats {
    let mean = |xs: &[usize]| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().sum::<usize>() as f64 / xs.len() as f64
        }
    };
    let (tm, tp) = median_p95(tokens);
    let (cm, cp) = median_p95(chars);
    ChunkStats {
        count: tokens.len(),
        total_tokens: tokens.iter().sum(),
        tokens_mean: mean(tokens),
        tokens_median: tm,
        tokens_p95: tp,
        tokens_max: tokens.iter().copied().max().unwrap_or(0),
        chars_mean: mean(chars),
        chars_median: cm,
        chars_p95: cp,
        chars_max: chars.iter().copied().max().unwrap_or(0),
        token_size_counts: size_counts(tokens),
    }
}
