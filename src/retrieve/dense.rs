//! `dense`: exact top-k by cosine similarity (vectors are unit length, so cosine = dot product).
//! Brute force on purpose: a benchmark must not depend on an approximate index. Ties are broken
//! by chunk position, so results are deterministic.

use std::sync::Arc;

use rayon::prelude::*;

use super::{best, Corpus, Hit, Index, Kind, Query, Retriever, TopK};
use crate::chunk::Params;
use crate::error::Result;
use crate::strategy::Strategy;
use crate::vector::{dot, dot4};

/// Queries scored together against one tile of rows (each row is read from memory once per
/// block, not once per query).
const QUERY_BLOCK: usize = 64;
/// Bytes of rows in one tile: small enough to stay in a core's L2 cache while a query block is
/// scored against it.
const TILE_BYTES: usize = 192 * 1024;

pub const KIND: Kind = Kind {
    name: "dense",
    params: "(no parameters)",
    about: "exact cosine similarity between the question's and the chunks' embeddings",
    build,
};

fn build(spec: &Strategy) -> Result<Arc<dyn Retriever>> {
    Params::new(spec).finish(&[])?;
    Ok(Arc::new(Dense))
}

/// The dense retriever (it has no settings: the embedder is the run's).
pub struct Dense;

impl Retriever for Dense {
    fn needs_vectors(&self) -> bool {
        true
    }

    fn index(&self, corpus: &Corpus) -> Result<Box<dyn Index>> {
        let vectors = corpus.vectors_for("dense")?;
        Ok(Box::new(DenseIndex::new(vectors)))
    }
}

/// A dense matrix of unit vectors, one row per chunk.
pub struct DenseIndex {
    dim: usize,
    rows: Vec<f32>,
}

impl DenseIndex {
    /// Builds an index from vectors of equal dimension.
    pub fn new<V: AsRef<[f32]>>(vectors: &[V]) -> Self {
        let dim = vectors.first().map(|v| v.as_ref().len()).unwrap_or(0);
        let mut rows = Vec::with_capacity(vectors.len() * dim);
        for v in vectors {
            debug_assert_eq!(v.as_ref().len(), dim);
            rows.extend_from_slice(v.as_ref());
        }
        DenseIndex { dim, rows }
    }

    /// An index over `rows`, `dim` floats per vector, back to back.
    pub fn from_rows(dim: usize, rows: Vec<f32>) -> Self {
        assert!(
            dim > 0 && rows.len().is_multiple_of(dim),
            "rows of {dim} floats"
        );
        DenseIndex { dim, rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` rows most similar to `query`, best first: `(row, similarity)`.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<Hit> {
        if self.dim == 0 {
            return Vec::new();
        }
        let scored = self
            .rows
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(i, row)| (i, dot(row, query)));
        best(scored, k)
    }

    /// The `k` best rows for each of `queries`: exactly what [`Self::top_k`] finds for each
    /// (the same similarities, bit for bit, and the same tie rule), computed in blocks — a tile
    /// of rows that fits in cache is scored against a block of queries, four rows at a time —
    /// and in parallel over query blocks. Results are in query order whatever the thread count.
    pub fn top_k_many<Q: AsRef<[f32]> + Sync>(&self, queries: &[Q], k: usize) -> Vec<Vec<Hit>> {
        if self.dim == 0 {
            return vec![Vec::new(); queries.len()];
        }
        let tile = (TILE_BYTES / (4 * self.dim)).max(4) / 4 * 4;
        queries
            .par_chunks(QUERY_BLOCK)
            .flat_map_iter(|block| self.score_block(block, k, tile))
            .collect()
    }

    /// One block of queries against every tile of rows.
    fn score_block<Q: AsRef<[f32]>>(&self, block: &[Q], k: usize, tile: usize) -> Vec<Vec<Hit>> {
        let dim = self.dim;
        let mut tops: Vec<TopK> = block.iter().map(|_| TopK::new(k)).collect();
        for (t, rows) in self.rows.chunks(tile * dim).enumerate() {
            let first = t * tile;
            for (q, top) in block.iter().zip(&mut tops) {
                let q = q.as_ref();
                let mut quads = rows.chunks_exact(4 * dim);
                for (i, quad) in quads.by_ref().enumerate() {
                    let (a, rest) = quad.split_at(dim);
                    let (b, rest) = rest.split_at(dim);
                    let (c, d) = rest.split_at(dim);
                    let s = dot4([a, b, c, d], q);
                    let at = first + 4 * i;
                    (0..4).for_each(|j| top.offer((at + j, s[j])));
                }
                let done = first + (rows.len() / dim) / 4 * 4;
                for (j, row) in quads.remainder().chunks_exact(dim).enumerate() {
                    top.offer((done + j, dot(row, q)));
                }
            }
        }
        tops.into_iter().map(TopK::into_hits).collect()
    }
}

impl Index for DenseIndex {
    fn rank(&self, query: &Query, n: usize) -> Vec<Hit> {
        match query.vector {
            Some(v) => self.top_k(v, n),
            None => Vec::new(),
        }
    }

    fn rank_many(&self, queries: &[Query], n: usize) -> Vec<Vec<Hit>> {
        match queries.iter().map(|q| q.vector).collect::<Option<Vec<_>>>() {
            Some(vectors) => self.top_k_many(&vectors, n),
            None => queries.iter().map(|q| self.rank(q, n)).collect(),
        }
    }

    fn bytes(&self) -> usize {
        self.rows.len() * std::mem::size_of::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_top_k_with_ties() {
        let idx = DenseIndex::new(&[
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![0.6, 0.8],
        ]);
        let got = idx.top_k(&[1.0, 0.0], 3);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 2, 3]);
        assert_eq!(idx.top_k(&[1.0, 0.0], 10).len(), 4);
        assert_eq!(idx.bytes(), 4 * 2 * 4);
    }

    /// Pseudo-random unit-ish vectors from a fixed seed (xorshift), with some exact duplicates
    /// so ties occur.
    fn vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 2001) as f32 / 1000.0 - 1.0
        };
        let mut v: Vec<Vec<f32>> = (0..n).map(|_| (0..dim).map(|_| next()).collect()).collect();
        for i in (0..n).step_by(7).skip(1) {
            v[i] = v[i - 3].clone();
        }
        v
    }

    #[test]
    fn blocked_search_equals_one_query_at_a_time() {
        // Sizes that leave remainders everywhere: rows not a multiple of 4 or of a tile,
        // queries not a multiple of a block, a dimension not a multiple of 8.
        for (rows, queries, dim, k) in [(1_203, 131, 37, 10), (9, 3, 384, 20), (5, 70, 8, 1)] {
            let idx = DenseIndex::new(&vectors(rows, dim, 7));
            let qs = vectors(queries, dim, 11);
            let many = idx.top_k_many(&qs, k);
            assert_eq!(many.len(), queries);
            for (q, got) in qs.iter().zip(&many) {
                let want = idx.top_k(q, k);
                assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.0, w.0);
                    assert_eq!(g.1.to_bits(), w.1.to_bits());
                }
            }
        }
        assert!(DenseIndex::new::<Vec<f32>>(&[]).top_k_many(&[vec![1.0]], 3)[0].is_empty());
    }
}
