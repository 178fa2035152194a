//! Test support shared by the unit tests, the property tests and the fuzz targets (`fuzz/`): the
//! span invariants every chunker promises, and a deterministic stand-in for the embedder. Not part
//! of the supported API.

use std::sync::Arc;

use super::{ChunkEnv, Span};
use crate::error::Result;

/// Asserts the invariants every chunker promises (without coverage: see [`check_spans`]).
pub fn assert_valid(text: &str, spans: &[Span]) {
    let mut prev_start = 0;
    for s in spans {
        assert!(s.start < s.end, "empty span {s:?}");
        assert!(s.end <= text.len(), "span {s:?} past the end");
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "{s:?}"
        );
        assert!(s.start >= prev_start, "spans out of order at {s:?}");
        prev_start = s.start;
    }
}

/// The invariants every chunker promises: spans non-empty, on char boundaries, within the
/// text, ordered by start (and disjoint when `disjoint`), each within `fits`, and every
/// non-whitespace character in some span. `Err` says which one failed, and where.
pub fn check_spans(
    text: &str,
    spans: &[Span],
    disjoint: bool,
    fits: impl Fn(&str) -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    let mut covered = vec![false; text.len()];
    let (mut prev_start, mut prev_end) = (0, 0);
    for s in spans {
        if s.start >= s.end {
            return Err(format!("empty span {s:?}"));
        }
        if s.end > text.len() {
            return Err(format!("{s:?} past the end ({} bytes)", text.len()));
        }
        if !(text.is_char_boundary(s.start) && text.is_char_boundary(s.end)) {
            return Err(format!("{s:?} not on char boundaries"));
        }
        if s.start < prev_start {
            return Err(format!("out of order at {s:?}"));
        }
        if disjoint && s.start < prev_end {
            return Err(format!("overlap at {s:?}"));
        }
        fits(&text[s.start..s.end]).map_err(|e| format!("{e}: {s:?}"))?;
        covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
        (prev_start, prev_end) = (s.start, s.end);
    }
    for (i, ch) in text.char_indices() {
        if !covered[i] && !ch.is_whitespace() {
            return Err(format!("{ch:?} at byte {i} is in no chunk"));
        }
    }
    Ok(())
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A deterministic stand-in for the embedder: a hashed bag of words. Each lower-cased word adds to
/// one of `DIM` dimensions (and takes from another), then the vector is normalised. Texts sharing
/// words are similar, so the algorithms see some structure; an empty text gets a fixed unit vector.
pub struct HashEnv;

const DIM: usize = 16;

impl HashEnv {
    pub fn vector(text: &str) -> Vec<f32> {
        let mut v = vec![0f32; DIM];
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.is_empty() {
                continue;
            }
            let h = fnv(w.to_lowercase().as_bytes());
            v[(h % DIM as u64) as usize] += 1.0;
            v[((h >> 32) % DIM as u64) as usize] -= 0.5;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 {
            v = vec![0.0; DIM];
            v[0] = 1.0;
        } else {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

impl ChunkEnv for HashEnv {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        Ok(texts.iter().map(|t| Arc::from(Self::vector(t))).collect())
    }
}

/// The chunk texts the strategy `spec` makes of `text` (an embedding-free family), after checking
/// the spans with [`assert_valid`]; for the families' unit tests.
#[cfg(test)]
pub fn chunk_texts(spec: &str, text: &str) -> Vec<String> {
    let chunker = super::build(&crate::strategy::Strategy::parse(spec).unwrap()).unwrap();
    let spans = chunker.chunk(text, &super::NoEmbeddings).unwrap();
    assert_valid(text, &spans);
    spans
        .iter()
        .map(|s| text[s.start..s.end].to_string())
        .collect()
}
