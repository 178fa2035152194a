//! `dense`: exact top-k by cosine similarity (vectors are unit length, so cosine = dot product).
//! Brute force on purpose: a benchmark must not depend on an approximate index. Ties are broken
//! by chunk position, so results are deterministic.

use std::sync::Arc;

use super::{best, Corpus, Hit, Index, Kind, Query, Retriever};
use crate::chunk::Params;
use crate::error::Result;
use crate::strategy::Strategy;
use crate::vector::dot;

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
}

impl Index for DenseIndex {
    fn rank(&self, query: &Query, n: usize) -> Vec<Hit> {
        match query.vector {
            Some(v) => self.top_k(v, n),
            None => Vec::new(),
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
}
