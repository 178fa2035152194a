//! Span metrics (Chroma's definitions, over character ranges).
//!
//! For one question with gold excerpts G and retrieved chunks R (a list: duplicates count):
//! - covered = |∪(r ∩ g)| over r ∈ R, g ∈ G, same document;
//! - **recall** = covered / Σ|g|;
//! - **precision** = covered / Σ|r| (a plain sum over the k retrieved chunks, chunks of other
//!   documents included);
//! - **IoU** = covered / (Σ|r| + |G not covered|);
//! - **precision_Ω** = the precision of an oracle that retrieves every chunk touching an excerpt:
//!   |∪(c ∩ g)| / |∪ touching chunks ∪ uncovered gold|, over all chunks c of the excerpts'
//!   documents. As in the reference, a chunk that only touches an excerpt (shares an endpoint)
//!   counts as touching.

use serde::Serialize;

use super::ranges::{difference, total, union, Range};

/// The retrieval scores of one question.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RetrievalScores {
    pub recall: f64,
    pub precision: f64,
    pub iou: f64,
}

/// Scores one question's retrieved chunks against its gold excerpts.
///
/// ```
/// use chunkbench::score::{ranges::Range, span::retrieval_scores};
/// let gold = [Range::new(0, 10, 20)];
/// let got = retrieval_scores(&gold, &[Range::new(0, 0, 15), Range::new(1, 0, 5)]);
/// assert_eq!(got.recall, 0.5);
/// assert_eq!(got.precision, 5.0 / 20.0);
/// assert_eq!(got.iou, 5.0 / 25.0);
/// ```
pub fn retrieval_scores(gold: &[Range], retrieved: &[Range]) -> RetrievalScores {
    let gold_set = union(gold.to_vec());
    let hits: Vec<Range> = retrieved
        .iter()
        .flat_map(|r| gold.iter().filter_map(move |g| r.intersect(g)))
        .collect();
    let covered_set = union(hits);
    let covered = total(&covered_set) as f64;
    let gold_len = total(gold) as f64;
    let retrieved_len = total(retrieved) as f64;
    let uncovered = total(&difference(&gold_set, &covered_set)) as f64;
    RetrievalScores {
        recall: ratio(covered, gold_len),
        precision: ratio(covered, retrieved_len),
        iou: ratio(covered, retrieved_len + uncovered),
    }
}

/// precision_Ω for one question: `chunks` are all chunks of the documents its excerpts are in
/// (others are ignored).
pub fn precision_omega(gold: &[Range], chunks: &[Range]) -> f64 {
    let mut hits = Vec::new();
    let mut touching = Vec::new();
    for c in chunks {
        let mut touches = false;
        for g in gold {
            if let Some(i) = c.intersect(g) {
                touches = true;
                hits.push(i);
            }
        }
        if touches {
            touching.push(*c);
        }
    }
    let covered_set = union(hits);
    let uncovered = difference(&union(gold.to_vec()), &covered_set);
    touching.extend(uncovered);
    ratio(total(&covered_set) as f64, total(&union(touching)) as f64)
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: usize, e: usize) -> Range {
        Range::new(0, s, e)
    }

    #[test]
    fn empty_retrieval_scores_zero() {
        let s = retrieval_scores(&[r(0, 10)], &[]);
        assert_eq!((s.recall, s.precision, s.iou), (0.0, 0.0, 0.0));
    }

    #[test]
    fn duplicate_chunks_count_twice_in_precision() {
        let s = retrieval_scores(&[r(0, 10)], &[r(0, 10), r(0, 10)]);
        assert_eq!(s.recall, 1.0);
        assert_eq!(s.precision, 0.5);
        assert_eq!(s.iou, 0.5);
    }

    #[test]
    fn excerpt_split_across_chunks() {
        // gold 10..30, chunks 0..20 and 20..40: all covered, 40 retrieved.
        let s = retrieval_scores(&[r(10, 30)], &[r(0, 20), r(20, 40)]);
        assert_eq!(s.recall, 1.0);
        assert_eq!(s.precision, 0.5);
        // two excerpts, one missed entirely: IoU adds its length
        let s = retrieval_scores(&[r(10, 20), r(50, 60)], &[r(0, 20)]);
        assert_eq!(s.recall, 0.5);
        assert_eq!(s.iou, 10.0 / 30.0);
    }

    #[test]
    fn other_documents_only_add_to_denominators() {
        let s = retrieval_scores(&[r(0, 10)], &[Range::new(1, 0, 10), r(0, 10)]);
        assert_eq!((s.recall, s.precision), (1.0, 0.5));
    }

    #[test]
    fn omega_counts_touching_chunks() {
        // chunks tile 0..100 by 25; gold 30..40 is inside chunk 25..50.
        let chunks: Vec<Range> = (0..4).map(|i| r(i * 25, i * 25 + 25)).collect();
        assert_eq!(precision_omega(&[r(30, 40)], &chunks), 10.0 / 25.0);
        // gold 25..50 touches 0..25 and 50..75 at its ends: the reference counts them.
        assert_eq!(precision_omega(&[r(25, 50)], &chunks), 25.0 / 75.0);
    }
}
