//! Rank metrics with relevance defined by span overlap, so they compare across chunkers (chunk ids
//! change when the chunking changes; characters do not). A retrieved chunk is *relevant* when it
//! shares at least one character with a gold excerpt.
//!
//! - **hit@k**: 1 if any of the k chunks is relevant;
//! - **MRR**: 1 / rank of the first relevant chunk (0 if none);
//! - **nDCG@k**: binary gains, DCG = Σ rel_i / log2(i + 1) over ranks i = 1..k, divided by the
//!   ideal DCG of this chunking (min(k, number of chunks that overlap the gold) relevant chunks at
//!   the top);
//! - **excerpt recall@k**: share of gold excerpts that the k chunks together cover to at least
//!   `found_share` of their length.

use serde::Serialize;

use super::ranges::{total, union, Range};

/// The rank metrics of one question.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankScores {
    pub hit: f64,
    pub mrr: f64,
    pub ndcg: f64,
    pub excerpt_recall: f64,
}

fn overlaps(chunk: &Range, gold: &[Range]) -> bool {
    gold.iter()
        .any(|g| g.doc == chunk.doc && chunk.start.max(g.start) < chunk.end.min(g.end))
}

/// Rank metrics of `retrieved` (best first) against `gold`; `relevant_chunks` is how many chunks
/// of the whole chunking overlap the gold (for the ideal DCG).
///
/// ```
/// use chunkbench::score::{ranges::Range, rank::rank_scores};
/// let gold = [Range::new(0, 10, 20)];
/// let s = rank_scores(&gold, &[Range::new(0, 30, 40), Range::new(0, 0, 15)], 1, 0.5);
/// assert_eq!((s.hit, s.mrr), (1.0, 0.5));
/// assert_eq!(s.excerpt_recall, 1.0); // half of the excerpt is covered
/// ```
pub fn rank_scores(
    gold: &[Range],
    retrieved: &[Range],
    relevant_chunks: usize,
    found_share: f64,
) -> RankScores {
    let rel: Vec<bool> = retrieved.iter().map(|r| overlaps(r, gold)).collect();
    let first = rel.iter().position(|&r| r);
    let dcg: f64 = rel
        .iter()
        .enumerate()
        .filter(|(_, &r)| r)
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    // Duplicate spans in a retrieval can exceed the chunking's count: never let nDCG pass 1.
    let relevant_retrieved = rel.iter().filter(|&&r| r).count();
    let ideal_n = relevant_chunks.max(relevant_retrieved).min(retrieved.len());
    let idcg: f64 = (0..ideal_n).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
    let found = gold
        .iter()
        .filter(|g| {
            let cover: Vec<Range> = retrieved.iter().filter_map(|r| r.intersect(g)).collect();
            let covered = total(&union(cover)) as f64;
            !g.is_empty() && covered >= found_share * g.len() as f64 - 1e-9
        })
        .count();
    RankScores {
        hit: if first.is_some() { 1.0 } else { 0.0 },
        mrr: first.map(|i| 1.0 / (i + 1) as f64).unwrap_or(0.0),
        ndcg: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        excerpt_recall: if gold.is_empty() {
            0.0
        } else {
            found as f64 / gold.len() as f64
        },
    }
}

/// Number of `chunks` that overlap the gold.
pub fn relevant_count(gold: &[Range], chunks: &[Range]) -> usize {
    chunks.iter().filter(|c| overlaps(c, gold)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: usize, e: usize) -> Range {
        Range::new(0, s, e)
    }

    #[test]
    fn empty_retrieval() {
        let s = rank_scores(&[r(0, 10)], &[], 1, 0.5);
        assert_eq!(
            (s.hit, s.mrr, s.ndcg, s.excerpt_recall),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn touching_is_not_relevant_and_ndcg_is_normalised() {
        let gold = [r(10, 20)];
        // rank 1 touches only, rank 2 overlaps; two chunks of the chunking overlap the gold.
        let s = rank_scores(&gold, &[r(0, 10), r(15, 30)], 2, 1.0);
        assert_eq!(s.mrr, 0.5);
        let expected = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((s.ndcg - expected).abs() < 1e-12);
        assert_eq!(s.excerpt_recall, 0.0); // only half covered, share 1.0 required
    }

    #[test]
    fn excerpt_split_across_duplicate_chunks() {
        let gold = [r(0, 10), r(100, 110)];
        let s = rank_scores(&gold, &[r(0, 5), r(5, 10), r(0, 5)], 2, 1.0);
        assert_eq!(s.excerpt_recall, 0.5);
        assert_eq!(s.hit, 1.0);
        // three relevant chunks at the top (one a duplicate): nDCG is capped at 1
        assert_eq!(s.ndcg, 1.0);
    }
}
