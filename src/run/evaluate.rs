//! Scoring one question: its gold spans against the chunks a retrieval setup handed over, on
//! code-point ranges.

use super::summary::report_groups;
use crate::chunk::Span;
use crate::dataset::{Dataset, Question};
use crate::results::*;
use crate::retrieve::handover::Handed;
use crate::score::aggregate::median_p95;
use crate::score::answer::answer_support;
use crate::score::ranges::Range;
use crate::score::rank::{rank_scores, relevant_count};
use crate::score::span::{precision_omega, retrieval_scores};
use crate::strategy::Strategy;

/// One strategy's chunks as scoring sees them: code-point ranges, grouped by document.
pub struct Scorer<'a> {
    dataset: &'a Dataset,
    chunks: &'a [(usize, Span)],
    ranges: Vec<Range>,
    by_doc: Vec<Vec<Range>>,
    found_share: f64,
}

impl<'a> Scorer<'a> {
    pub fn new(dataset: &'a Dataset, chunks: &'a [(usize, Span)], found_share: f64) -> Self {
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
            found_share,
        }
    }

    /// The code-point range of what was handed over of a chunk (all of it, or a prefix).
    fn handed_range(&self, h: &Handed) -> Range {
        let (d, sp) = self.chunks[h.chunk];
        if h.bytes == sp.len() {
            self.ranges[h.chunk]
        } else {
            char_range(self.dataset, d, sp.start, sp.start + h.bytes)
        }
    }

    /// Scores question `q` on the chunks handed over for it, best first.
    pub fn question(&self, q: &Question, handed: &[Handed]) -> QuestionResult {
        let docs = &self.dataset.documents;
        let gold: Vec<Range> = q
            .gold
            .iter()
            .map(|g| char_range(self.dataset, g.doc, g.start, g.end))
            .collect();
        let retrieved: Vec<Range> = handed.iter().map(|h| self.handed_range(h)).collect();
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
            self.found_share,
        );
        let support = q.answer.as_deref().and_then(|a| {
            answer_support(
                a,
                handed.iter().map(|h| {
                    let (d, sp) = self.chunks[h.chunk];
                    &docs[d].text[sp.start..sp.start + h.bytes]
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
            retrieved: retrieved
                .iter()
                .zip(handed)
                .map(|(r, h)| RetrievedChunk {
                    doc: docs[r.doc].id.clone(),
                    start: r.start,
                    end: r.end,
                    score: h.score,
                })
                .collect(),
        }
    }

    /// A strategy's result row without questions yet: its chunk statistics and one summary slot
    /// per report group. `tokens` are the chunks' cl100k lengths.
    pub fn row(&self, strategy: &Strategy, tokens: &[usize]) -> StrategyResults {
        let char_sizes: Vec<usize> = self.ranges.iter().map(Range::len).collect();
        let summary = report_groups(self.dataset)
            .into_iter()
            .map(|g| GroupSummary {
                chunks: match g.document {
                    Some(d) => self.by_doc[d].len(),
                    None => self.ranges.len(),
                },
                corpus: g.name,
                questions: 0,
                metrics: Vec::new(),
            })
            .collect();
        StrategyResults {
            name: strategy.name.clone(),
            family: strategy.family.clone(),
            params: strategy.params.clone(),
            setup: None,
            chunks: chunk_stats(tokens, &char_sizes),
            index: Default::default(),
            summary,
            questions: Vec::new(),
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
    use crate::chunk::Chunk;
    use crate::dataset::{Document, Format, GoldSpan};
    use crate::strategy::Strategy;
    use std::sync::Arc;

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
        score_units(
            CHUNKS.map(|(d, sp)| (d, Chunk::plain(sp))).to_vec(),
            chunk_vectors,
            questions,
            k,
        )
    }

    fn score_units(
        units: Vec<(usize, Chunk)>,
        chunk_vectors: &[[f32; 2]],
        questions: &[[f32; 2]],
        k: usize,
    ) -> StrategyResults {
        let ds = dataset();
        let setups =
            crate::retrieve::setup::plan(&[], &[crate::retrieve::Handover::TopK(k)]).unwrap();
        let retrieval = crate::run::retrieval::Retrieval {
            setups: &setups,
            rerank: None,
            found_share: 0.5,
            plain_names: true,
            bar: &indicatif::ProgressBar::hidden(),
        };
        let chunked = crate::run::chunking::Chunked {
            chunks: units,
            embedding: crate::chunk::Embedding::Text,
            cpu_seconds: 0.0,
            llm: None,
        };
        let mut rows = crate::run::retrieval::score_strategy(
            &Strategy::parse("fixed:size=4").unwrap(),
            &ds,
            &chunked,
            Some(&vectors(chunk_vectors)),
            Some(&vectors(questions)),
            &retrieval,
        )
        .unwrap();
        rows.remove(0).results
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

    #[test]
    fn children_hand_over_their_parents_once_at_the_best_childs_rank() {
        // The four chunks as children of two parents: a[0..26) and b[0..9).
        let parent = |d: usize| match d {
            0 => Span::new(0, 26),
            _ => Span::new(0, 9),
        };
        let units: Vec<(usize, Chunk)> = CHUNKS
            .iter()
            .map(|&(d, span)| {
                let mut u = Chunk::plain(span);
                u.returned = Some(parent(d));
                (d, u)
            })
            .collect();
        // q1 ranks both children of a first: a is handed over once, then b.
        let r = score_units(
            units,
            &[[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]],
            &[[1.0, 0.0], [0.0, 1.0]],
            2,
        );
        let q1 = &r.questions[0];
        let got: Vec<(&str, usize, usize)> = q1
            .retrieved
            .iter()
            .map(|c| (c.doc.as_str(), c.start, c.end))
            .collect();
        assert_eq!(got, [("a", 0, 25), ("b", 0, 9)]);
        assert_eq!((q1.recall, q1.mrr), (1.0, 1.0));
        // The row's chunks are what is handed over: the two parents.
        assert_eq!(r.chunks.count, 2);
    }
}
