//! Late chunking's vectors: a document's contextual token vectors, read in windows of the model's
//! input that overlap, each token taken from the window where it sits farthest from an edge; a
//! chunk's vector is the mean of the vectors of the tokens inside its span, L2-normalised (the
//! mean pooling the model's own sentence vectors use). Vectors go through the embedding cache,
//! keyed by the document's hash, the window overlap and the span, so a re-run reads no window.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::cache::{sha256_hex, Key};
use super::{normalise, Embedder, EmbeddingCache};
use crate::error::Result;

/// The contextual vector of every token of a text, in text order, each with its byte range.
#[derive(Debug, Clone, Default)]
pub struct TokenVectors {
    pub ranges: Vec<(usize, usize)>,
    pub dim: usize,
    /// `ranges.len() × dim` values, token-major.
    pub data: Vec<f32>,
    /// Windows the model read, and the tokens in them (special tokens included).
    pub windows: usize,
    pub model_tokens: usize,
}

impl TokenVectors {
    fn row(&self, t: usize) -> &[f32] {
        &self.data[t * self.dim..(t + 1) * self.dim]
    }

    /// The mean of the vectors of the tokens that start inside the byte range `span`,
    /// normalised (`ranges` are in text order). A span no token starts in (inside one long
    /// token, or only whitespace) takes the token it lies in, else the nearest token.
    pub fn pool(&self, (start, end): (usize, usize)) -> Vec<f32> {
        let first = self.ranges.partition_point(|r| r.0 < start);
        let last = self.ranges.partition_point(|r| r.0 < end);
        let picked = match (first..last).is_empty() {
            false => first..last,
            true => {
                let before = first.checked_sub(1);
                let inside = before.filter(|&t| self.ranges[t].1 > start);
                let nearest = match (before, first < self.ranges.len()) {
                    (Some(b), true) if start - self.ranges[b].1 <= self.ranges[first].0 - end => b,
                    (Some(b), false) => b,
                    _ => first,
                };
                let t = inside.unwrap_or(nearest);
                t..(t + 1).min(self.ranges.len())
            }
        };
        let mut v = vec![0f32; self.dim];
        for t in picked.clone() {
            v.iter_mut().zip(self.row(t)).for_each(|(a, x)| *a += x);
        }
        v.iter_mut().for_each(|a| *a /= picked.len().max(1) as f32);
        normalise(&mut v);
        v
    }
}

/// Windows over `n` tokens of at most `width` tokens, consecutive ones sharing about `overlap`:
/// `(first, end)` token ranges, both ends moved back to a word start (`word_start[t]`) so no
/// window cuts a word, and for each window the first token it owns (the middle of its overlap
/// with the one before). One window when the text fits.
pub fn windows(
    n: usize,
    word_start: &[bool],
    width: usize,
    overlap: usize,
) -> Vec<((usize, usize), usize)> {
    let width = width.max(1);
    let stride = width.saturating_sub(overlap).max(1);
    let mut out: Vec<((usize, usize), usize)> = Vec::new();
    let mut first = 0;
    loop {
        // Ends at a word start too, so a window's text never cuts a word (unless one word is
        // longer than the window).
        let cap = (first + width).min(n);
        let end = match cap == n {
            true => n,
            false => (first + 1..=cap)
                .rev()
                .find(|&t| word_start[t])
                .unwrap_or(cap),
        };
        let owned = match out.last() {
            None => 0,
            Some(&((_, prev_end), _)) => (first + prev_end.min(end)) / 2,
        };
        out.push(((first, end), owned.max(first)));
        if end >= n {
            return out;
        }
        let mut next = (first + stride).min(end);
        while next > first + 1 && !word_start[next] {
            next -= 1;
        }
        first = next.max(first + 1);
    }
}

/// What late pooling cost one strategy: the documents it read, the model's windows and tokens,
/// and the wall time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LateCost {
    pub documents: usize,
    pub windows: usize,
    pub model_tokens: usize,
    pub seconds: f64,
}

/// The late vectors of `units` (document index, byte range) of one strategy, through the cache: each
/// document with a unit not cached yet is read once in windows overlapping by `overlap` tokens.
pub fn late_vectors(
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    documents: &[&str],
    units: &[(usize, (usize, usize))],
    overlap: usize,
) -> Result<(Vec<Arc<[f32]>>, LateCost)> {
    let (keys, cost) = late_keys(embedder, cache, documents, units, overlap)?;
    Ok((cache.vectors(&keys)?, cost))
}

/// Pools the late vectors of `units` not cached yet into the cache, as [`late_vectors`] does,
/// and returns their cache keys (the vectors stay on disk).
pub fn late_keys(
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    documents: &[&str],
    units: &[(usize, (usize, usize))],
    overlap: usize,
) -> Result<(Vec<Key>, LateCost)> {
    let t = Instant::now();
    let digests: Vec<Option<String>> = {
        let mut used = vec![false; documents.len()];
        units.iter().for_each(|(d, _)| used[*d] = true);
        documents
            .iter()
            .zip(used)
            .map(|(text, u)| u.then(|| sha256_hex(text.as_bytes())))
            .collect()
    };
    let key = |cache: &EmbeddingCache, d: usize, (start, end): (usize, usize)| {
        let digest = digests[d].as_deref().unwrap_or_default();
        cache.key(&format!(
            "\0late\0overlap={overlap}\0{digest}\0{start}-{end}"
        ))
    };
    let keys: Vec<_> = units.iter().map(|(d, sp)| key(cache, *d, *sp)).collect();
    let mut by_doc: Vec<Vec<usize>> = vec![Vec::new(); documents.len()];
    let mut seen = std::collections::HashSet::new();
    for (i, (d, _)) in units.iter().enumerate() {
        if !cache.contains(&keys[i]) && seen.insert(keys[i]) {
            by_doc[*d].push(i);
        }
    }
    let mut cost = LateCost::default();
    for (d, missing) in by_doc.iter().enumerate().filter(|(_, m)| !m.is_empty()) {
        let tokens = embedder.token_vectors(documents[d], overlap)?;
        cost.documents += 1;
        cost.windows += tokens.windows;
        cost.model_tokens += tokens.model_tokens;
        let entries = missing
            .iter()
            .map(|&i| (keys[i], tokens.pool(units[i].1)))
            .collect();
        cache.insert_all(entries)?;
    }
    cost.seconds = t.elapsed().as_secs_f64();
    Ok((keys, cost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_token_once_and_start_at_words() {
        let n = 1000;
        // Every third token starts a word.
        let word_start: Vec<bool> = (0..n).map(|t| t % 3 == 0).collect();
        let w = windows(n, &word_start, 254, 64);
        assert!(w.len() >= 4, "{w:?}");
        assert_eq!(w[0], ((0, 252), 0));
        assert_eq!(w.last().unwrap().0 .1, n);
        for pair in w.windows(2) {
            let (((a0, e0), o0), ((a1, _), o1)) = (pair[0], pair[1]);
            assert!(word_start[a1], "window starts inside a word: {a1}");
            assert!(
                word_start[e0] && e0 - a0 <= 254,
                "window ends inside a word: {e0}"
            );
            assert!(a1 < e0, "consecutive windows overlap");
            assert!(o0 < o1 && o1 >= a1 && o1 <= e0, "{pair:?}");
            assert!(a0 < a1);
        }
        assert_eq!(windows(10, &[true; 10], 254, 64), [((0, 10), 0)]);
        // No overlap: windows meet end to start.
        let w = windows(100, &[true; 100], 30, 0);
        assert!(w
            .windows(2)
            .all(|p| p[0].0 .1 == p[1].0 .0 && p[1].1 == p[1].0 .0));
    }

    /// An embedder without token outputs (an endpoint, say).
    struct TextOnly;

    impl Embedder for TextOnly {
        fn id(&self) -> &str {
            "text-only"
        }
        fn name(&self) -> &str {
            "text-only"
        }
        fn identity(&self) -> super::super::Identity {
            super::super::Identity {
                backend: "openai".into(),
                name: "text-only".into(),
                revision: String::new(),
                pooling: String::new(),
                max_tokens: None,
                query_prefix: String::new(),
                document_prefix: String::new(),
            }
        }
        fn prefixes(&self) -> &super::super::Prefixes {
            unreachable!("late pooling never asks a text-only embedder for its prefixes")
        }
        fn count_tokens(&self, texts: &[&str]) -> Vec<usize> {
            vec![1; texts.len()]
        }
        fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            Ok(vec![vec![1.0]; texts.len()])
        }
    }

    #[test]
    fn an_embedder_without_token_vectors_says_what_late_chunking_needs() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), "text-only").unwrap();
        let e = late_vectors(
            &mut TextOnly,
            &mut cache,
            &["some text"],
            &[(0, (0, 4))],
            16,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("text-only (openai) does not give them"), "{e}");
        assert!(e.contains("local ONNX model"), "{e}");
    }

    #[test]
    fn pooling_averages_the_tokens_that_start_in_the_span() {
        let tv = TokenVectors {
            ranges: vec![(0, 3), (4, 8), (8, 12), (13, 20)],
            dim: 2,
            data: vec![1., 0., 0., 1., 0., 1., 1., 1.],
            windows: 1,
            model_tokens: 6,
        };
        let v = tv.pool((4, 12));
        assert!(
            (v[0] - 0.0).abs() < 1e-6 && (v[1] - 1.0).abs() < 1e-6,
            "{v:?}"
        );
        // Inside one token: the token it overlaps.
        assert_eq!(tv.pool((14, 16)), {
            let mut x = vec![1., 1.];
            normalise(&mut x);
            x
        });
        // Only whitespace between tokens: the nearest one.
        assert_eq!(tv.pool((3, 4)).len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn windows_own_every_token_once_within_the_width(
            word_start in proptest::collection::vec(proptest::bool::weighted(0.6), 1..2000),
            width in 1usize..300,
            overlap in 0usize..300,
        ) {
            let n = word_start.len();
            let overlap = overlap % width;
            let w = windows(n, &word_start, width, overlap);
            proptest::prop_assert_eq!(w[0].1, 0);
            proptest::prop_assert_eq!(w.last().unwrap().0 .1, n);
            for (i, &((first, end), owned)) in w.iter().enumerate() {
                proptest::prop_assert!(first < end && end - first <= width, "{:?}", w[i]);
                proptest::prop_assert!(first <= owned && owned <= end);
                // What a window owns lies inside it: up to the next window's first owned token.
                let owned_end = w.get(i + 1).map_or(n, |next| next.1);
                proptest::prop_assert!(owned <= owned_end && owned_end <= end, "{:?}", w);
            }
        }
    }
}
