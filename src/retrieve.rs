//! Exact top-k retrieval by cosine similarity (vectors are unit length, so cosine = dot product).
//! Brute force on purpose: a benchmark must not depend on an approximate index. Ties are broken
//! by chunk position, so results are deterministic.

use std::cmp::Ordering;

use crate::vector::dot;

/// A dense matrix of unit vectors, one row per chunk.
pub struct Index {
    dim: usize,
    rows: Vec<f32>,
}

impl Index {
    /// Builds an index from vectors of equal dimension.
    pub fn new<V: AsRef<[f32]>>(vectors: &[V]) -> Self {
        let dim = vectors.first().map(|v| v.as_ref().len()).unwrap_or(0);
        let mut rows = Vec::with_capacity(vectors.len() * dim);
        for v in vectors {
            debug_assert_eq!(v.as_ref().len(), dim);
            rows.extend_from_slice(v.as_ref());
        }
        Index { dim, rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` rows most similar to `query`, best first: `(row, similarity)`.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        if self.dim == 0 || k == 0 {
            return Vec::new();
        }
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
        for (i, row) in self.rows.chunks_exact(self.dim).enumerate() {
            let s = dot(row, query);
            if best.len() == k && better(&best[k - 1], &(i, s)) {
                continue;
            }
            let pos = best.partition_point(|b| better(b, &(i, s)));
            best.insert(pos, (i, s));
            best.truncate(k);
        }
        best
    }
}

/// `a` ranks before `b`: higher similarity, then lower row.
fn better(a: &(usize, f32), b: &(usize, f32)) -> bool {
    match a.1.total_cmp(&b.1) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => a.0 < b.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_top_k_with_ties() {
        let idx = Index::new(&[
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![0.6, 0.8],
        ]);
        let got = idx.top_k(&[1.0, 0.0], 3);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 2, 3]);
        assert_eq!(idx.top_k(&[1.0, 0.0], 10).len(), 4);
    }
}
