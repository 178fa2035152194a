//! Stage 2: every chunk text and every question embedded once, through the cache.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::chunking::Chunked;
use crate::chunk::sizer::cl100k_tokens;
use crate::dataset::Dataset;
use crate::embed::{embed_cached, prefixed, Embedder, EmbeddingCache, Role};
use crate::error::Result;
use crate::output::Progress;
use crate::results::Timings;

/// The vectors of a run: every strategy's chunks in collection order, then the questions.
pub struct Embedded {
    pub vectors: Vec<Arc<[f32]>>,
    /// Where each strategy's chunk vectors start in `vectors`.
    pub offsets: Vec<usize>,
    /// Chunk texts of each strategy that were not in the cache before the run.
    pub new_per_strategy: Vec<usize>,
    /// The embedder's input tokens of every chunk text (prefix included), in `vectors` order.
    pub chunk_tokens: Vec<usize>,
}

impl Embedded {
    /// The vectors of strategy `s`'s chunks.
    pub fn chunks(&self, s: usize, chunked: &[Chunked]) -> &[Arc<[f32]>] {
        &self.vectors[self.offsets[s]..self.offsets[s] + chunked[s].chunks.len()]
    }

    /// The embedder's input tokens of strategy `s`'s chunks.
    pub fn tokens(&self, s: usize, chunked: &[Chunked]) -> &[usize] {
        &self.chunk_tokens[self.offsets[s]..self.offsets[s] + chunked[s].chunks.len()]
    }

    /// The vectors of the questions, in dataset order.
    pub fn questions(&self, chunked: &[Chunked]) -> &[Arc<[f32]>] {
        let total: usize = chunked.iter().map(|c| c.chunks.len()).sum();
        &self.vectors[total..]
    }
}

/// Embeds what is not cached yet and fills the embedding fields of `timings`.
pub fn embed_all(
    dataset: &Dataset,
    chunked: &[Chunked],
    batch: usize,
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    progress: &Progress,
    timings: &mut Timings,
) -> Result<Embedded> {
    let t = Instant::now();
    let text_of = |d: usize, sp: &crate::chunk::Span| &dataset.documents[d].text[sp.start..sp.end];
    let total_chunks: usize = chunked.iter().map(|c| c.chunks.len()).sum();
    let mut raw: Vec<&str> = Vec::with_capacity(total_chunks);
    let mut offsets = Vec::with_capacity(chunked.len());
    for c in chunked {
        offsets.push(raw.len());
        raw.extend(c.chunks.iter().map(|(d, sp)| text_of(*d, sp)));
    }
    let questions: Vec<&str> = dataset.questions.iter().map(|q| q.text.as_str()).collect();
    // What the embedder reads: the texts with its document or query prefix (none by default).
    let mut owned = prefixed(&*embedder, Role::Document, &raw);
    owned.extend(prefixed(&*embedder, Role::Query, &questions));
    let texts: Vec<&str> = owned.iter().map(|t| t.as_ref()).collect();
    let chunk_tokens = embedder.count_tokens(&texts[..total_chunks]);
    let new_per_strategy: Vec<usize> = chunked
        .iter()
        .zip(&offsets)
        .map(|(c, &at)| {
            let mut seen = HashSet::new();
            texts[at..at + c.chunks.len()]
                .iter()
                .map(|t| cache.key(t))
                .filter(|k| !cache.contains(k) && seen.insert(*k))
                .count()
        })
        .collect();
    let keyed: Vec<_> = texts.par_iter().map(|t| (cache.key(t), *t)).collect();
    let mut distinct = HashSet::new();
    let mut missing: Vec<&str> = Vec::new();
    for (k, t) in &keyed {
        if distinct.insert(*k) && !cache.contains(k) {
            missing.push(t);
        }
    }
    let missing_tokens: usize = missing.par_iter().map(|t| cl100k_tokens(t)).sum();
    let cached_distinct = distinct.len() - missing.len();
    progress.note(&format!(
        "embedding: {} texts, {} distinct, {cached_distinct} already in the cache; {} to embed ({missing_tokens} cl100k tokens)",
        texts.len(),
        distinct.len(),
        missing.len()
    ));
    let bar = progress.bar("embedding", 0);
    let mut new_total = None;
    let vectors = embed_cached(embedder, cache, &texts, batch, |done, total| {
        if new_total.is_none() {
            new_total = Some(total);
            bar.set_length(total as u64);
        }
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    timings.embed_seconds = t.elapsed().as_secs_f64();
    timings.embedded_tokens = missing_tokens;
    timings.embedded_texts = new_total.unwrap_or(0);
    timings.cached_texts = cached_distinct;
    timings.embed_tokens_per_second = if timings.embed_seconds > 0.0 {
        missing_tokens as f64 / timings.embed_seconds
    } else {
        0.0
    };
    progress.note(&format!("embedded in {:.1} s", timings.embed_seconds));
    Ok(Embedded {
        vectors,
        offsets,
        new_per_strategy,
        chunk_tokens,
    })
}
