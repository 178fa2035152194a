//! Retrieval and scoring of one strategy's chunks, then aggregation with bootstrap intervals and
//! paired comparisons between strategies.

use std::sync::Arc;

use rayon::prelude::*;

use crate::chunk::{sizer::cl100k_tokens, Span};
use crate::dataset::Dataset;
use crate::results::*;
use crate::retrieve::Index;
use crate::score::aggregate::{mean_std, median_p95};
use crate::score::answer::answer_support;
use crate::score::bootstrap::{paired, Resamples};
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

/// A group of questions that gets its own summary row: a corpus, a question kind (`kind:NAME`),
/// or `all`.
pub struct ReportGroup {
    pub name: String,
    /// Question indices.
    pub members: Vec<usize>,
    /// The document whose chunks the row counts (a corpus that is a document); `None`: all chunks.
    pub document: Option<usize>,
}

/// The summary groups of a dataset, in report order: corpora, then kinds (sorted), then `all`.
pub fn report_groups(dataset: &Dataset) -> Vec<ReportGroup> {
    let select = |f: &dyn Fn(&crate::dataset::Question) -> bool| -> Vec<usize> {
        dataset
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| f(q))
            .map(|(i, _)| i)
            .collect()
    };
    let mut groups: Vec<ReportGroup> = dataset
        .corpora()
        .into_iter()
        .map(|c| ReportGroup {
            members: select(&|q| q.corpus == c),
            document: dataset.documents.iter().position(|d| d.id == c),
            name: c,
        })
        .collect();
    let mut kinds: Vec<String> = dataset
        .questions
        .iter()
        .filter_map(|q| q.kind.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        groups.push(ReportGroup {
            members: select(&|q| q.kind.as_deref() == Some(k.as_str())),
            document: None,
            name: format!("kind:{k}"),
        });
    }
    groups.push(ReportGroup {
        name: "all".into(),
        members: (0..dataset.questions.len()).collect(),
        document: None,
    });
    groups
}

/// Fills every strategy's group summaries (means, stds, bootstrap intervals) and computes the
/// paired comparisons between strategies over all questions. Deterministic: fixed seed, and the
/// same resamples for every strategy of a group.
pub fn summarise(
    dataset: &Dataset,
    mut strategies: Vec<StrategyResults>,
    resamples: usize,
    seed: u64,
) -> (Vec<StrategyResults>, Vec<Comparison>) {
    for group in report_groups(dataset) {
        let (g, idx) = (&group.name, &group.members);
        strategies.par_iter_mut().for_each(|s| {
            let metrics = METRICS
                .iter()
                .map(|m| {
                    let xs: Vec<f64> = idx
                        .iter()
                        .filter_map(|&i| (m.get)(&s.questions[i]))
                        .collect();
                    let stat = mean_std(&xs);
                    let (lo, hi) = Resamples::new(xs.len(), resamples, seed).interval(&xs);
                    MetricSummary {
                        metric: m.name.to_string(),
                        stat,
                        lo,
                        hi,
                    }
                })
                .collect();
            let slot = s
                .summary
                .iter_mut()
                .find(|x| &x.corpus == g)
                .expect("group slot");
            slot.questions = idx.len();
            slot.metrics = metrics;
        });
    }
    // Paired comparisons over all questions that have the metric in both strategies.
    let mut comparisons = Vec::new();
    for a in 0..strategies.len() {
        for b in a + 1..strategies.len() {
            for m in METRICS {
                let (xa, xb): (Vec<f64>, Vec<f64>) = strategies[a]
                    .questions
                    .iter()
                    .zip(&strategies[b].questions)
                    .filter_map(|(qa, qb)| Some(((m.get)(qa)?, (m.get)(qb)?)))
                    .unzip();
                if xa.is_empty() {
                    continue; // a model-based metric that was not computed
                }
                let d = paired(&xa, &xb, &Resamples::new(xa.len(), resamples, seed));
                comparisons.push(Comparison {
                    a: strategies[a].name.clone(),
                    b: strategies[b].name.clone(),
                    metric: m.name.to_string(),
                    diff: d.mean,
                    lo: d.lo,
                    hi: d.hi,
                    n: d.n,
                    significant: d.significant(),
                });
            }
        }
    }
    (strategies, comparisons)
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
