//! Retrieval and scoring of one strategy's chunks, then aggregation with bootstrap intervals and
//! paired comparisons between strategies.

use std::sync::Arc;

use super::summary::report_groups;
use crate::chunk::{sizer::cl100k_tokens, Span};
use crate::dataset::{Dataset, Question};
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

/// One strategy's chunks as retrieval and scoring see them: code-point ranges, grouped by
/// document, and the dense index over their vectors.
struct Scorer<'a> {
    dataset: &'a Dataset,
    chunks: &'a [(usize, Span)],
    ranges: Vec<Range>,
    by_doc: Vec<Vec<Range>>,
    index: Index,
    settings: &'a Settings,
}

impl<'a> Scorer<'a> {
    fn new(
        dataset: &'a Dataset,
        chunks: &'a [(usize, Span)],
        vectors: &[Arc<[f32]>],
        settings: &'a Settings,
    ) -> Self {
        let ranges: Vec<Range> = chunks
            .iter()
            .map(|(d, sp)| char_range(dataset, *d, sp.start, sp.end))
            .collect();
        let mut by_doc: Vec<Vec<Range>> = vec![Vec::new(); dataset.documents.len()];
        for r in &ranges {
            by_doc[r.doc].push(*r);
        }
        Scorer {
            dataset,
            chunks,
            ranges,
            by_doc,
            index: Index::new(vectors),
            settings,
        }
    }

    /// Retrieves the top-k chunks for question `q` (embedded as `qv`) and scores them.
    fn question(&self, q: &Question, qv: &[f32]) -> QuestionResult {
        let docs = &self.dataset.documents;
        let gold: Vec<Range> = q
            .gold
            .iter()
            .map(|g| char_range(self.dataset, g.doc, g.start, g.end))
            .collect();
        let hits = self.index.top_k(qv, self.settings.k);
        let retrieved: Vec<Range> = hits.iter().map(|&(i, _)| self.ranges[i]).collect();
        let span = retrieval_scores(&gold, &retrieved);
        let mut gold_docs: Vec<usize> = gold.iter().map(|g| g.doc).collect();
        gold_docs.sort_unstable();
        gold_docs.dedup();
        let candidates: Vec<Range> = gold_docs
            .iter()
            .flat_map(|&d| self.by_doc[d].iter().copied())
            .collect();
        let rank = rank_scores(
            &gold,
            &retrieved,
            relevant_count(&gold, &candidates),
            self.settings.found_share,
        );
        let support = q.answer.as_deref().and_then(|a| {
            answer_support(
                a,
                hits.iter().map(|&(i, _)| {
                    let (d, sp) = self.chunks[i];
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
                    doc: docs[self.ranges[i].doc].id.clone(),
                    start: self.ranges[i].start,
                    end: self.ranges[i].end,
                    score,
                })
                .collect(),
        }
    }
}

/// The code-point range of a byte span of document `d`.
fn char_range(dataset: &Dataset, d: usize, start: usize, end: usize) -> Range {
    let c = &dataset.documents[d].chars;
    Range::new(
        d,
        c.byte_to_char(start).expect("spans are on char boundaries"),
        c.byte_to_char(end).expect("spans are on char boundaries"),
    )
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
    let scorer = Scorer::new(dataset, chunks, vectors, settings);
    let questions: Vec<QuestionResult> = dataset
        .questions
        .iter()
        .zip(question_vectors)
        .map(|(q, qv)| scorer.question(q, qv))
        .collect();
    let Scorer { ranges, by_doc, .. } = scorer;
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
        index: Default::default(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Document, Format, GoldSpan};
    use crate::strategy::Strategy;

    /// Two documents; "é" makes byte and code-point offsets differ in the first.
    fn dataset() -> Dataset {
        let doc = |id: &str, text: &str| {
            Document::new(id.into(), text.into(), format!("{id}.md").into()).unwrap()
        };
        let question = |id: &str, gold: Vec<GoldSpan>, answer: Option<&str>| Question {
            id: id.into(),
            text: format!("question {id}"),
            corpus: "a".into(),
            kind: None,
            answer: answer.map(str::to_string),
            gold,
        };
        Dataset {
            name: "t".into(),
            path: "t".into(),
            format: Format::Native,
            // "é" is 2 bytes: byte 10 is code point 9.
            documents: vec![doc("a", "héllo wor ld apples pears"), doc("b", "zzzz yyyy")],
            questions: vec![
                // gold = "apples" (bytes 14..20, code points 13..19)
                question(
                    "q1",
                    vec![GoldSpan {
                        doc: 0,
                        start: 14,
                        end: 20,
                    }],
                    Some("apples"),
                ),
                // gold split over two chunks of document b
                question(
                    "q2",
                    vec![GoldSpan {
                        doc: 1,
                        start: 2,
                        end: 7,
                    }],
                    None,
                ),
            ],
        }
    }

    // Chunks: a[0..10) "héllo wor", a[10..26) " ld apples pears", b[0..5), b[5..9).
    const CHUNKS: [(usize, Span); 4] = [
        (0, Span { start: 0, end: 10 }),
        (0, Span { start: 10, end: 26 }),
        (1, Span { start: 0, end: 5 }),
        (1, Span { start: 5, end: 9 }),
    ];

    fn vectors(rows: &[[f32; 2]]) -> Vec<Arc<[f32]>> {
        rows.iter().map(|r| Arc::from(&r[..])).collect()
    }

    fn score(chunk_vectors: &[[f32; 2]], questions: &[[f32; 2]], k: usize) -> StrategyResults {
        let ds = dataset();
        score_strategy(
            &Strategy::parse("fixed:size=4").unwrap(),
            &ds,
            &CHUNKS,
            &vectors(chunk_vectors),
            &vectors(questions),
            &Settings {
                k,
                found_share: 0.5,
            },
        )
    }

    #[test]
    fn scores_a_hit_at_rank_two_on_code_point_spans() {
        // q1's vector is closest to chunk 0, then chunk 1 (which holds the gold).
        let r = score(
            &[[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.0, 1.0]],
            &[[1.0, 0.0], [0.0, 1.0]],
            2,
        );
        let q1 = &r.questions[0];
        assert_eq!(q1.retrieved.len(), 2);
        assert_eq!((q1.retrieved[0].start, q1.retrieved[0].end), (0, 9));
        assert_eq!((q1.retrieved[1].start, q1.retrieved[1].end), (9, 25));
        assert_eq!(q1.recall, 1.0);
        // 6 gold code points over 9 + 16 retrieved.
        assert!(
            (q1.precision - 6.0 / 25.0).abs() < 1e-12,
            "{}",
            q1.precision
        );
        assert!((q1.iou - 6.0 / 25.0).abs() < 1e-12);
        // The one chunk that touches the gold is 16 code points long.
        assert!((q1.precision_omega - 6.0 / 16.0).abs() < 1e-12);
        assert_eq!(q1.hit, 1.0);
        assert_eq!(q1.mrr, 0.5);
        assert_eq!(q1.answer_support, Some(1.0));
    }

    #[test]
    fn a_miss_scores_zero_and_a_split_excerpt_needs_both_chunks() {
        // q1 retrieves only chunk 0 (no gold); q2 retrieves one of the two chunks holding its
        // gold ("zz yy" = bytes 2..7: 3 code points in chunk 2, 2 in chunk 3).
        let r = score(
            &[[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.6, 0.8]],
            &[[1.0, 0.0], [0.0, 1.0]],
            1,
        );
        let (q1, q2) = (&r.questions[0], &r.questions[1]);
        assert_eq!(
            (q1.recall, q1.precision, q1.hit, q1.mrr),
            (0.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(q1.answer_support, Some(0.0));
        assert_eq!(q2.retrieved[0].doc, "b");
        assert!((q2.recall - 3.0 / 5.0).abs() < 1e-12, "{}", q2.recall);
        assert!((q2.precision - 3.0 / 5.0).abs() < 1e-12);
        assert_eq!(q2.answer_support, None);
        // The gold touches both chunks of b: best precision at full recall is 5 / 9.
        assert!((q2.precision_omega - 5.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn chunk_counts_per_group_and_sizes() {
        let r = score(&[[1.0, 0.0]; 4], &[[1.0, 0.0], [1.0, 0.0]], 1);
        assert_eq!(r.chunks.count, 4);
        assert_eq!(r.chunks.chars_max, 16);
        let groups: Vec<(&str, usize)> = r
            .summary
            .iter()
            .map(|g| (g.corpus.as_str(), g.chunks))
            .collect();
        assert_eq!(groups, [("a", 2), ("all", 4)]);
        // Ties are broken by chunk position: the first chunk wins.
        assert_eq!(r.questions[0].retrieved[0].start, 0);
    }
}
