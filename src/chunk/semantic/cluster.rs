//! The `cluster` family: Chroma's `ClusterSemanticChunker` (`chunking_evaluation`).
//!
//! 1. Split the document into ~`piece`-token pieces (default 50) with Chroma's recursive splitter
//!    (`RecursiveTokenChunker(chunk_size=50, chunk_overlap=0, length_function=openai_token_count)`,
//!    separators `["\n\n", "\n", ".", "?", "!", " ", ""]`) — [`SeparatorSplitter::chroma`].
//! 2. Embed every piece; similarity `S[a][b] = v_a · v_b`.
//! 3. Subtract the mean of the off-diagonal similarities (upper triangle) and set the diagonal to
//!    0: `M = S − mean`, `M[a][a] = 0`.
//! 4. Dynamic programming over prefixes: `dp[i] = max over size in 1..=K of reward(i−size+1, i) +
//!    dp[i−size]`, with `reward(s, e)` the sum of `M` over the square `s..=e` × `s..=e` and
//!    `K = max // piece` pieces (`max_cluster = max_chunk_size // min_chunk_size`; 4 pieces for
//!    `max=200`, 8 for 400). Ties go to the smallest size (the reference's strict `>` over
//!    ascending sizes). Chunks are read back from the last piece.
//! 5. A chunk is the span from its first piece's start to its last piece's end; a chunk whose own
//!    text has more than `max` cl100k tokens (pieces are ≤ `piece` tokens by the splitter's sum of
//!    parts, so K of them can exceed `max` by a few tokens) is split at piece boundaries
//!    ([`super::limit`]) — `max` is a hard limit here.
//!
//! Reference quirks, and what we do:
//! - **Fixed: the DP starts from 0, not −∞.** The reference initialises `dp[i] = 0` and only
//!   accepts a candidate that is `> dp[i]`; where no candidate is positive (typically at the start
//!   of a document, whose first pieces are less similar to each other than the average pair),
//!   `segmentation[i]` keeps its initial 0 and the chunk runs from piece 0 to `i` — not the
//!   optimum, and longer than `K` pieces once `i ≥ K`. We take the best candidate whatever its
//!   sign. Once some `dp` is positive the two agree exactly, so only chunks near a document's
//!   start can differ.
//! - Kept: the similarity is a raw dot product (no normalisation). all-MiniLM-L6-v2 ends in a
//!   normalisation layer, and [`ChunkEnv::embed`] returns unit vectors, so it is the cosine either
//!   way.
//! - Kept: each pair counts twice in a reward (the square is symmetric) — a uniform factor of 2
//!   that does not move the optimum. The diagonal is set to 0 (the reference's comment says 1).
//! - Kept: the chunk size limit is in pieces, `max // piece`, not tokens; a `max` below the piece
//!   size (`K = 0`, which makes the reference emit one chunk of the whole document) is rejected.
//! - Computed differently, same value: for long documents the mean off-diagonal similarity comes
//!   from `(|Σv|² − Σ|v|²) / (n(n−1))` in O(n·d) instead of the full n×n matrix, and only the band
//!   of width `K` of `M` is ever formed. Sums are in `f64`.
//! - Spans: the reference joins the pieces with a space (`' '.join`) and later re-locates that text
//!   in the document (whitespace-insensitive regex, first occurrence, a trailing `.` stripped; a
//!   chunk that is just `.` gets the empty span). Our spans are exact, so chunks of repeated text
//!   (Chroma's finance corpus) keep their own position and no chunk is one character short.

use std::ops::Range;
use std::sync::Arc;

use super::{
    check_max, dot, embed_spans, limit::emit_group, reference_pieces, REFERENCE_PIECE_TOKENS,
};
use crate::chunk::{ChunkEnv, Chunker, Family, Params, Span};
use crate::error::Result;
use crate::strategy::Strategy;

/// `cluster`: Chroma's ClusterSemanticChunker.
pub const FAMILY: Family = Family {
    name: "cluster",
    params: "max (required), piece=50",
    about: "Chroma's ClusterSemanticChunker: pieces grouped to maximise within-chunk similarity",
    build: |s| Ok(Box::new(Cluster::from_strategy(s)?)),
};

/// The mean similarity over all pairs `a < b` (0 for fewer than two vectors). Up to
/// [`DIRECT_MEAN_MAX`] vectors the pairs are summed one by one (exact ties stay ties: with two
/// pieces the single centred similarity is exactly 0, as in the reference); above, through
/// `Σ_{a<b} v_a·v_b = (|Σv|² − Σ|v|²) / 2` in O(n·d).
pub fn mean_pair_similarity(vectors: &[Arc<[f32]>]) -> f64 {
    let n = vectors.len();
    if n < 2 {
        return 0.0;
    }
    if n <= DIRECT_MEAN_MAX {
        let mut sum = 0.0;
        for a in 0..n {
            for b in a + 1..n {
                sum += dot(&vectors[a], &vectors[b]);
            }
        }
        return sum / (n * (n - 1) / 2) as f64;
    }
    let dim = vectors[0].len();
    let mut sum = vec![0f64; dim];
    let mut squares = 0f64;
    for v in vectors {
        for (s, &x) in sum.iter_mut().zip(v.iter()) {
            *s += x as f64;
        }
        squares += dot(v, v);
    }
    let total: f64 = sum.iter().map(|s| s * s).sum();
    (total - squares) / (n as f64 * (n as f64 - 1.0))
}

/// Up to this many pieces, [`mean_pair_similarity`] sums the pairs directly.
pub const DIRECT_MEAN_MAX: usize = 256;

/// The segmentation of `n = vectors.len()` pieces into runs of at most `max_pieces` that maximises
/// the sum of within-run mean-centred similarities (module doc, step 4), as ranges of pieces.
pub fn optimal_segmentation(vectors: &[Arc<[f32]>], max_pieces: usize) -> Vec<Range<usize>> {
    let n = vectors.len();
    let k = max_pieces.max(1);
    let mean = mean_pair_similarity(vectors);
    // band[a * k + d] = M[a][a + d] for d in 1..k (index 0 unused).
    let mut band = vec![0f64; n * k];
    for a in 0..n {
        for d in 1..k.min(n - a) {
            band[a * k + d] = dot(&vectors[a], &vectors[a + d]) - mean;
        }
    }
    let mut dp = vec![0f64; n];
    let mut start = vec![0usize; n];
    for i in 0..n {
        let (mut best, mut best_start) = (f64::NEG_INFINITY, i);
        let mut reward = 0.0; // reward(s, i), grown one piece to the left at a time
        for size in 1..=k.min(i + 1) {
            let s = i + 1 - size;
            if size > 1 {
                let row: f64 = (1..size).map(|d| band[s * k + d]).sum();
                reward += 2.0 * row;
            }
            let total = reward + if s > 0 { dp[s - 1] } else { 0.0 };
            if total > best {
                best = total;
                best_start = s;
            }
        }
        dp[i] = best;
        start[i] = best_start;
    }
    let mut out = Vec::new();
    let mut end = n;
    while end > 0 {
        let s = start[end - 1];
        out.push(s..end);
        end = s;
    }
    out.reverse();
    out
}

/// The `cluster` chunker.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Max chunk size in cl100k tokens (hard); `max / piece` pieces per chunk in the DP.
    pub max: usize,
    /// Piece size in cl100k tokens.
    pub piece: usize,
}

impl Cluster {
    pub const PARAMS: &'static [&'static str] = &["max", "piece"];

    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let max = p.positive("max")?;
        let max = check_max(&p, max)?;
        let piece = p.usize_opt("piece")?.unwrap_or(REFERENCE_PIECE_TOKENS);
        if piece == 0 || piece > max {
            return Err(p.error(format!(
                "`piece` ({piece}) must be between 1 and `max` ({max}): a chunk holds max / piece pieces"
            )));
        }
        p.finish(Self::PARAMS)?;
        Ok(Cluster { max, piece })
    }
}

impl Chunker for Cluster {
    /// The pieces the chunks are made of, each embedded.
    fn embedding_spans(&self, text: &str) -> Result<Vec<Span>> {
        reference_pieces(text, self.piece)
    }

    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let pieces = reference_pieces(text, self.piece)?;
        let vectors = embed_spans(text, &pieces, env)?;
        let mut out = Vec::new();
        for g in optimal_segmentation(&vectors, self.max / self.piece) {
            emit_group(text, &pieces, g, Some(self.max), &mut out);
        }
        Ok(out)
    }

    fn needs_embeddings(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::angle;
    use super::*;
    use crate::chunk::build;

    fn vecs(raw: &[Vec<f32>]) -> Vec<Arc<[f32]>> {
        raw.iter().map(|v| Arc::from(v.clone())).collect()
    }

    /// The reference algorithm on the full matrix, with the DP fixed to start from −∞.
    fn naive(vectors: &[Arc<[f32]>], k: usize) -> (Vec<Range<usize>>, f64) {
        let n = vectors.len();
        let mut m = vec![vec![0f64; n]; n];
        let (mut sum, mut count) = (0.0, 0.0);
        for a in 0..n {
            for b in 0..n {
                m[a][b] = dot(&vectors[a], &vectors[b]);
                if a < b {
                    sum += m[a][b];
                    count += 1.0;
                }
            }
        }
        let mean = if count > 0.0 { sum / count } else { 0.0 };
        for (a, row) in m.iter_mut().enumerate() {
            for (b, x) in row.iter_mut().enumerate() {
                *x = if a == b { 0.0 } else { *x - mean };
            }
        }
        let reward = |s: usize, e: usize| -> f64 {
            (s..=e).map(|a| (s..=e).map(|b| m[a][b]).sum::<f64>()).sum()
        };
        let mut dp = vec![f64::NEG_INFINITY; n];
        let mut seg = vec![0; n];
        for i in 0..n {
            for size in 1..=k {
                if i + 1 >= size {
                    let s = i + 1 - size;
                    let r = reward(s, i) + if s > 0 { dp[s - 1] } else { 0.0 };
                    if r > dp[i] {
                        dp[i] = r;
                        seg[i] = s;
                    }
                }
            }
        }
        let mut out = Vec::new();
        let mut end = n;
        while end > 0 {
            out.push(seg[end - 1]..end);
            end = seg[end - 1];
        }
        out.reverse();
        (out, dp.last().copied().unwrap_or(0.0))
    }

    /// Pseudo-random unit vectors (a fixed LCG).
    fn random(n: usize, dim: usize, seed: u64) -> Vec<Arc<[f32]>> {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64) as f32 - 0.5
        };
        (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..dim).map(|_| next()).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                Arc::from(v.iter().map(|x| x / norm).collect::<Vec<_>>())
            })
            .collect()
    }

    #[test]
    fn mean_matches_the_full_matrix() {
        let v = random(40, 8, 7);
        let mut sum = 0.0;
        for a in 0..40 {
            for b in a + 1..40 {
                sum += dot(&v[a], &v[b]);
            }
        }
        assert!((mean_pair_similarity(&v) - sum / 780.0).abs() < 1e-12);
        let many = random(DIRECT_MEAN_MAX + 40, 8, 3);
        let n = many.len();
        let mut sum = 0.0;
        for a in 0..n {
            for b in a + 1..n {
                sum += dot(&many[a], &many[b]);
            }
        }
        let direct = sum / (n * (n - 1) / 2) as f64;
        assert!((mean_pair_similarity(&many) - direct).abs() < 1e-12);
        assert_eq!(mean_pair_similarity(&v[..1]), 0.0);
    }

    #[test]
    fn dp_matches_the_naive_reference_and_brute_force() {
        for seed in 0..30 {
            let n = 1 + (seed as usize * 7) % 23;
            let v = random(n, 6, seed);
            for k in [1, 2, 3, 4, 8] {
                let got = optimal_segmentation(&v, k);
                let (want, _) = naive(&v, k);
                assert_eq!(got, want, "seed {seed}, n {n}, k {k}");
                assert!(got.iter().all(|r| r.len() <= k && !r.is_empty()));
            }
        }
        // Brute force over every segmentation of 9 pieces with runs of at most 3.
        let v = random(9, 4, 99);
        let (seg, best) = naive(&v, 3);
        let score = |segs: &[Range<usize>]| -> f64 {
            let mean = mean_pair_similarity(&v);
            segs.iter()
                .map(|r| {
                    let mut s = 0.0;
                    for a in r.clone() {
                        for b in r.clone() {
                            if a != b {
                                s += dot(&v[a], &v[b]) - mean;
                            }
                        }
                    }
                    s
                })
                .sum()
        };
        let mut best_brute = f64::NEG_INFINITY;
        for mask in 0u32..(1 << 8) {
            let mut segs = Vec::new();
            let mut s = 0;
            for i in 0..9 {
                if i == 8 || mask & (1 << i) != 0 {
                    segs.push(s..i + 1);
                    s = i + 1;
                }
            }
            if segs.iter().all(|r| r.len() <= 3) {
                best_brute = best_brute.max(score(&segs));
            }
        }
        assert!((best - best_brute).abs() < 1e-9 && (score(&seg) - best).abs() < 1e-9);
    }

    #[test]
    fn groups_similar_neighbours() {
        // Two topics of three pieces each: the optimum keeps each topic together.
        let raw: Vec<Vec<f32>> = [0.0, 4.0, 8.0, 90.0, 94.0, 98.0]
            .iter()
            .map(|&a| angle(a))
            .collect();
        assert_eq!(optimal_segmentation(&vecs(&raw), 4), vec![0..3, 3..6]);
        assert_eq!(optimal_segmentation(&vecs(&raw), 2).len(), 4);
        assert!(optimal_segmentation(&[], 4).is_empty());
        assert_eq!(optimal_segmentation(&vecs(&raw[..1]), 4), vec![0..1]);
    }

    #[test]
    fn fixes_the_zero_start_quirk() {
        // Three mutually dissimilar pieces, then similar ones: the reference's dp stays 0 over the
        // first pieces and would make one chunk of pieces 0..=2 with K = 2; we never exceed K.
        let raw: Vec<Vec<f32>> = [0.0, 120.0, 240.0, 60.0, 61.0, 62.0, 63.0]
            .iter()
            .map(|&a| angle(a))
            .collect();
        // (Checked by running the reference's loop on these vectors: [(0, 2), (3, 4), (5, 6)].)
        let got = optimal_segmentation(&vecs(&raw), 2);
        assert_eq!(got, vec![0..1, 1..2, 2..3, 3..5, 5..7]);
    }

    #[test]
    fn parameters_are_validated() {
        for (spec, needle) in [
            ("cluster", "missing required parameter `max`"),
            ("cluster:max=40", "between 1 and `max`"),
            ("cluster:max=200,piece=0", "between 1 and `max`"),
            ("cluster:max=200,avg=3", "unknown parameter `avg`"),
        ] {
            let e = build(&Strategy::parse(spec).unwrap()).err().expect(spec);
            assert!(e.to_string().contains(needle), "{spec}: {e}");
        }
        let c = Cluster::from_strategy(&Strategy::parse("cluster:max=200").unwrap()).unwrap();
        assert_eq!((c.max, c.piece, c.max / c.piece), (200, 50, 4));
    }
}
