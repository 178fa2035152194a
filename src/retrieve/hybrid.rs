//! `hybrid`: dense and BM25 rankings fused. Both retrievers rank the first `depth` chunks; the
//! fusion then scores every chunk that either list holds:
//!
//! - `fusion=rrf` (default): reciprocal rank fusion, Σ 1 / (k + rank) over the two lists (rank
//!   from 1; k = 60 as in Cormack et al. 2009);
//! - `fusion=weighted`: alpha · dense + (1 − alpha) · BM25, each score min-max normalised over
//!   its own list for this question (a chunk missing from a list gets 0 there; a list whose
//!   scores are all equal normalises to 1).
//!
//! Fused scores are compared in `f64`; ties go to the earlier chunk.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::bm25::{self, Bm25, LexicalIndex};
use super::dense::DenseIndex;
use super::{Corpus, Hit, Index, Kind, Query, Retriever};
use crate::chunk::Params;
use crate::error::Result;
use crate::strategy::Strategy;

pub const KIND: Kind = Kind {
    name: "hybrid",
    params: "fusion=rrf|weighted, k=60 (rrf), alpha=0.5 (weighted: weight of dense), depth=50, and bm25's k1, b, stem, stop",
    about: "dense and BM25 rankings over the first `depth` chunks fused by reciprocal rank or by min-max normalised scores",
    build,
};

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    Rrf { k: f64 },
    Weighted { alpha: f64 },
}

fn build(spec: &Strategy) -> Result<Arc<dyn Retriever>> {
    let mut p = Params::new(spec);
    let method = p.choice("fusion", &[("rrf", 0), ("weighted", 1)], 0)?;
    let k = p.f64_opt("k")?;
    let alpha = p.f64_opt("alpha")?;
    let fusion = match method {
        0 => {
            if alpha.is_some() {
                return Err(
                    p.error("`alpha` weighs fusion=weighted; reciprocal rank fusion takes `k`")
                );
            }
            let k = k.unwrap_or(60.0);
            if k < 0.0 {
                return Err(p.error(format!("`k` must be at least 0, got {k}")));
            }
            Fusion::Rrf { k }
        }
        _ => {
            if k.is_some() {
                return Err(p.error(
                    "`k` is reciprocal rank fusion's constant; fusion=weighted takes `alpha`",
                ));
            }
            let alpha = alpha.unwrap_or(0.5);
            if !(0.0..=1.0).contains(&alpha) {
                return Err(p.error(format!("`alpha` must be between 0 and 1, got {alpha}")));
            }
            Fusion::Weighted { alpha }
        }
    };
    let depth = p.usize_opt("depth")?.unwrap_or(50);
    if depth == 0 {
        return Err(p.error("`depth` must be at least 1"));
    }
    let bm25 = bm25::read(&mut p)?;
    p.finish(&["fusion", "k", "alpha", "depth", "k1", "b", "stem", "stop"])?;
    Ok(Arc::new(Hybrid {
        fusion,
        depth,
        bm25,
    }))
}

/// The hybrid retriever's settings.
pub struct Hybrid {
    pub fusion: Fusion,
    pub depth: usize,
    pub bm25: Bm25,
}

impl Retriever for Hybrid {
    fn needs_vectors(&self) -> bool {
        true
    }

    fn index(&self, corpus: &Corpus) -> Result<Box<dyn Index>> {
        let vectors = corpus.vectors_for("hybrid")?;
        Ok(Box::new(HybridIndex {
            dense: DenseIndex::new(vectors),
            lexical: self.bm25.build(corpus.texts),
            fusion: self.fusion,
            depth: self.depth,
        }))
    }
}

/// The two indexes and how their rankings are fused.
pub struct HybridIndex {
    dense: DenseIndex,
    lexical: LexicalIndex,
    fusion: Fusion,
    depth: usize,
}

impl Index for HybridIndex {
    fn rank(&self, query: &Query, n: usize) -> Vec<Hit> {
        let depth = self.depth.max(n);
        let dense = self.dense.rank(query, depth);
        let lexical = self.lexical.rank(query, depth);
        let mut fused = fuse(self.fusion, &dense, &lexical);
        fused.truncate(n);
        fused
    }

    fn bytes(&self) -> usize {
        self.dense.bytes() + self.lexical.bytes()
    }
}

/// Fuses two rankings (best first) into one, best first, ties to the earlier chunk.
pub fn fuse(fusion: Fusion, a: &[Hit], b: &[Hit]) -> Vec<Hit> {
    let mut score: BTreeMap<usize, f64> = BTreeMap::new();
    match fusion {
        Fusion::Rrf { k } => {
            for list in [a, b] {
                for (rank, &(c, _)) in list.iter().enumerate() {
                    *score.entry(c).or_default() += 1.0 / (k + (rank + 1) as f64);
                }
            }
        }
        Fusion::Weighted { alpha } => {
            for (list, w) in [(a, alpha), (b, 1.0 - alpha)] {
                for (c, x) in min_max(list) {
                    *score.entry(c).or_default() += w * x;
                }
            }
        }
    }
    let mut out: Vec<(usize, f64)> = score.into_iter().collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    out.into_iter().map(|(c, s)| (c, s as f32)).collect()
}

/// Scores of one list min-max normalised to [0, 1] (all equal: 1).
fn min_max(list: &[Hit]) -> Vec<(usize, f64)> {
    let lo = list
        .iter()
        .map(|h| h.1 as f64)
        .fold(f64::INFINITY, f64::min);
    let hi = list
        .iter()
        .map(|h| h.1 as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    list.iter()
        .map(|&(c, s)| {
            let x = if hi > lo {
                (s as f64 - lo) / (hi - lo)
            } else {
                1.0
            };
            (c, x)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocal_rank_fusion_on_hand_computed_lists() {
        // a: 3, 1, 2   b: 1, 4
        let a = [(3, 0.9), (1, 0.8), (2, 0.1)];
        let b = [(1, 7.0), (4, 2.0)];
        let got = fuse(Fusion::Rrf { k: 60.0 }, &a, &b);
        let ids: Vec<usize> = got.iter().map(|h| h.0).collect();
        // 1: 1/62 + 1/61; 3: 1/61; 4: 1/62; 2: 1/63.
        assert_eq!(ids, [1, 3, 4, 2]);
        assert!((got[0].1 as f64 - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-7);
    }

    #[test]
    fn weighted_fusion_normalises_each_list() {
        let a = [(0, 0.9), (1, 0.5)]; // normalised 1, 0
        let b = [(1, 10.0), (2, 5.0), (0, 0.0)]; // 1, 0.5, 0
        let got = fuse(Fusion::Weighted { alpha: 0.25 }, &a, &b);
        // 0: 0.25·1 + 0.75·0 = 0.25; 1: 0 + 0.75 = 0.75; 2: 0.75·0.5 = 0.375.
        let ids: Vec<usize> = got.iter().map(|h| h.0).collect();
        assert_eq!(ids, [1, 2, 0]);
        assert!((got[1].1 - 0.375).abs() < 1e-7);
        // Ties go to the earlier chunk.
        let tie = fuse(Fusion::Rrf { k: 60.0 }, &[(5, 1.0)], &[(2, 1.0)]);
        assert_eq!(tie.iter().map(|h| h.0).collect::<Vec<_>>(), [2, 5]);
    }

    #[test]
    fn parameters_are_checked() {
        for bad in [
            "hybrid:fusion=rank",
            "hybrid:alpha=0.3",
            "hybrid:fusion=weighted,alpha=2",
            "hybrid:fusion=weighted,k=60",
            "hybrid:depth=0",
        ] {
            assert!(super::super::parse(bad).is_err(), "{bad}");
        }
        assert!(
            super::super::parse("hybrid:fusion=weighted,alpha=0.3,depth=20,stem=english").is_ok()
        );
    }
}
