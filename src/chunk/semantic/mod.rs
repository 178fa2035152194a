//! Semantic chunkers: chunk boundaries chosen from embeddings of the text's own units.
//!
//! Three families, one file each:
//!
//! - [`breakpoint`] (`semantic`): Kamradt's breakpoint method as LangChain's `SemanticChunker`
//!   runs it — sentences, each embedded with `buffer` neighbours, cut where the cosine distance
//!   between consecutive windows is above a threshold (percentile, mean + n·σ, mean + n·IQR, or a
//!   percentile of the distance gradient) — plus a `min` size and a hard `max` size.
//! - [`kamradt`] (`kamradt`): Chroma's `KamradtModifiedChunker` — the same idea on ~50-token
//!   pieces, with the threshold found by binary search so that the mean chunk size meets a target.
//! - [`cluster`] (`cluster`): Chroma's `ClusterSemanticChunker` — dynamic programming over the
//!   pieces' similarity matrix that maximises within-chunk similarity under a max chunk size.
//!
//! What they share lives here and in [`sentences`] (sentence spans) and [`limit`] (the hard max
//! size). Every chunker calls [`ChunkEnv::embed`] once per document with all its windows or
//! pieces; the environment's persistent cache embeds a text once ever, so a sweep over
//! thresholds or sizes embeds the pieces once.
//!
//! Chunks are spans of the document from the first unit's start to the last unit's end (the
//! Chroma reference joins its pieces with a space, so its chunks are not substrings; see each
//! family's notes for what that changes). Windows embedded for distances are real substrings
//! too: the span from the window's first unit to its last.

pub mod breakpoint;
pub mod cluster;
pub mod kamradt;
pub mod limit;
pub mod sentences;

#[cfg(test)]
mod proptests;

use std::ops::Range;
use std::sync::Arc;

use super::separators::SeparatorSplitter;
use super::{ChunkEnv, Chunker, NoEmbeddings, Span, Unit};
use crate::error::{Error, Result};

/// The Chroma reference's piece size in cl100k tokens (`min_chunk_size=50` of both its semantic
/// chunkers).
pub const REFERENCE_PIECE_TOKENS: usize = 50;

/// Embeds the text of each span with one call to the environment.
pub(crate) fn embed_spans(
    text: &str,
    spans: &[Span],
    env: &dyn ChunkEnv,
) -> Result<Vec<Arc<[f32]>>> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let texts: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
    let vectors = env.embed(&texts)?;
    if vectors.len() != texts.len() {
        return Err(Error::Model(format!(
            "the embedder returned {} vectors for {} texts",
            vectors.len(),
            texts.len()
        )));
    }
    if let Some(first) = vectors.first() {
        if vectors.iter().any(|v| v.len() != first.len()) {
            return Err(Error::Model(
                "the embedder returned vectors of different dimensions".into(),
            ));
        }
    }
    Ok(vectors)
}

/// The ~`piece`-token pieces of `text` the Chroma reference's semantic chunkers build on (its
/// recursive splitter, no overlap).
pub(crate) fn reference_pieces(text: &str, piece: usize) -> Result<Vec<Span>> {
    SeparatorSplitter::chroma(piece, 0, Unit::Cl100k).chunk(text, &NoEmbeddings)
}

/// The windows embedded to find where to cut between `units` ([`buffered_windows`]): none for a
/// single unit, where there is nothing to cut.
pub(crate) fn windows_to_cut(units: &[Span], buffer: usize) -> Vec<Span> {
    match units.len() > 1 {
        true => buffered_windows(units, buffer),
        false => Vec::new(),
    }
}

/// For each unit `i`, the span from unit `i - buffer` to unit `i + buffer` (clamped to the
/// document): the text embedded for unit `i`.
pub(crate) fn buffered_windows(units: &[Span], buffer: usize) -> Vec<Span> {
    let n = units.len();
    (0..n)
        .map(|i| {
            let first = i.saturating_sub(buffer);
            let last = (i + buffer).min(n - 1);
            Span::new(units[first].start, units[last].end)
        })
        .collect()
}

pub(crate) use crate::vector::dot_f64 as dot;

/// Cosine distance `1 - a·b` between each vector and the next (`n - 1` values).
pub(crate) fn consecutive_distances(vectors: &[Arc<[f32]>]) -> Vec<f64> {
    vectors
        .windows(2)
        .map(|w| 1.0 - dot(&w[0], &w[1]))
        .collect()
}

/// Unit ranges of the groups that cutting after each unit in `breaks` (ascending) makes out of
/// `n` units.
pub(crate) fn groups_from_breaks(n: usize, breaks: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(breaks.len() + 1);
    let mut start = 0;
    for &b in breaks {
        if b + 1 > start && b < n {
            out.push(start..b + 1);
            start = b + 1;
        }
    }
    if start < n {
        out.push(start..n);
    }
    out
}

/// `max` checked against the smallest size a hard limit can always honour.
pub(crate) fn check_max(params: &crate::chunk::Params, max: usize) -> Result<usize> {
    if max < limit::MIN_MAX_TOKENS {
        return Err(params.error(format!(
            "`max` must be at least {} tokens (a single character can take 4 tokens), got {max}",
            limit::MIN_MAX_TOKENS
        )));
    }
    Ok(max)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Deterministic stand-ins for the embedder, for unit and property tests only.

    use std::collections::HashMap;
    use std::sync::Arc;

    use crate::chunk::ChunkEnv;
    use crate::error::Result;

    pub use crate::chunk::testing::HashEnv;

    /// Hand-made vectors by exact text.
    pub struct TableEnv(pub HashMap<String, Vec<f32>>);

    impl ChunkEnv for TableEnv {
        fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
            Ok(texts
                .iter()
                .map(|t| {
                    let v = self
                        .0
                        .get(*t)
                        .unwrap_or_else(|| panic!("no vector for {t:?}"));
                    Arc::from(v.clone())
                })
                .collect())
        }
    }

    /// A unit vector in 2-D at `degrees`.
    pub fn angle(degrees: f64) -> Vec<f32> {
        let r = degrees.to_radians();
        vec![r.cos() as f32, r.sin() as f32]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_clamp_at_the_ends() {
        let units: Vec<Span> = (0..5).map(|i| Span::new(i * 10, i * 10 + 5)).collect();
        let w = buffered_windows(&units, 1);
        assert_eq!(w[0], Span::new(0, 15));
        assert_eq!(w[2], Span::new(10, 35));
        assert_eq!(w[4], Span::new(30, 45));
        assert_eq!(buffered_windows(&units, 0), units);
        assert_eq!(buffered_windows(&units, 9)[2], Span::new(0, 45));
    }

    #[test]
    fn groups_follow_breaks() {
        assert_eq!(groups_from_breaks(5, &[]), vec![0..5]);
        assert_eq!(groups_from_breaks(5, &[0, 2]), vec![0..1, 1..3, 3..5]);
        assert_eq!(groups_from_breaks(3, &[2]), vec![0..3]);
        assert_eq!(groups_from_breaks(0, &[]), Vec::<Range<usize>>::new());
    }

    #[test]
    fn distances_of_unit_vectors() {
        let v: Vec<Arc<[f32]>> = [0.0, 90.0, 90.0]
            .iter()
            .map(|&a| Arc::from(testing::angle(a)))
            .collect();
        let d = consecutive_distances(&v);
        assert!((d[0] - 1.0).abs() < 1e-6 && d[1].abs() < 1e-6, "{d:?}");
    }
}
