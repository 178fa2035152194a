//! Stage 2: every chunk text and every question embedded once, through the cache. The chunk
//! vectors stay in the cache's file: the retrieval stage reads one strategy's at a time, so a
//! run holds a key per chunk, not every strategy's vectors at once.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::chunking::Chunked;
use crate::chunk::sizer::cl100k_tokens;
use crate::chunk::Embedding;
use crate::dataset::Dataset;
use crate::embed::cache::Key;
use crate::embed::late::{self, LateCost};
use crate::embed::{cache_all, prefixed, EmbedWork, Embedder, EmbeddingCache, Role};
use crate::error::Result;
use crate::output::Progress;
use crate::results::Timings;

/// The vectors of a run: the cache keys of every strategy's chunks in collection order, and the
/// questions' vectors.
pub struct Embedded<'c> {
    cache: &'c EmbeddingCache,
    keys: Vec<Key>,
    questions: Vec<Arc<[f32]>>,
    /// Where each strategy's chunk keys start in `keys`.
    pub offsets: Vec<usize>,
    /// Chunk texts of each strategy that were not in the cache before the run.
    pub new_per_strategy: Vec<usize>,
    /// The embedder's input tokens of every chunk text (prefix included), in `vectors` order.
    pub chunk_tokens: Vec<usize>,
    /// What late pooling cost each late-chunked strategy (`None` for the others).
    pub late: Vec<Option<LateCost>>,
}

impl Embedded<'_> {
    /// The vectors of strategy `s`'s chunks, read from the cache.
    pub fn chunks(&self, s: usize, chunked: &[Chunked]) -> Result<Vec<Arc<[f32]>>> {
        self.cache
            .vectors(&self.keys[self.offsets[s]..self.offsets[s] + chunked[s].chunks.len()])
    }

    /// The embedder's input tokens of strategy `s`'s chunks.
    pub fn tokens(&self, s: usize, chunked: &[Chunked]) -> &[usize] {
        &self.chunk_tokens[self.offsets[s]..self.offsets[s] + chunked[s].chunks.len()]
    }

    /// The vectors of the questions, in dataset order.
    pub fn questions(&self) -> &[Arc<[f32]>] {
        &self.questions
    }

    /// The vectors' dimension (0 when nothing was embedded).
    pub fn dimension(&self) -> usize {
        self.cache.dimension().unwrap_or(0)
    }
}

/// Embeds what is not cached yet and fills the embedding fields of `timings`. Units of
/// late-chunked strategies are pooled from their documents' token vectors instead.
pub fn embed_all<'c>(
    dataset: &Dataset,
    chunked: &[Chunked],
    batch: usize,
    embedder: &mut dyn Embedder,
    cache: &'c mut EmbeddingCache,
    progress: &Progress,
    timings: &mut Timings,
) -> Result<Embedded<'c>> {
    let t = Instant::now();
    let mut raw: Vec<Cow<str>> = Vec::new();
    let mut offsets = Vec::with_capacity(chunked.len());
    for c in chunked {
        offsets.push(raw.len());
        let text = |d: usize| dataset.documents[d].text.as_str();
        raw.extend(c.chunks.iter().map(|(d, u)| u.indexed_text(text(*d))));
    }
    let total_chunks = raw.len();
    let raw: Vec<&str> = raw.iter().map(|t| t.as_ref()).collect();
    let questions: Vec<&str> = dataset.questions.iter().map(|q| q.text.as_str()).collect();
    // What the embedder reads: the texts with its document or query prefix (none by default).
    let mut owned = prefixed(&*embedder, Role::Document, &raw);
    owned.extend(prefixed(&*embedder, Role::Query, &questions));
    let texts: Vec<&str> = owned.iter().map(|t| t.as_ref()).collect();
    let chunk_tokens = embedder.count_tokens(&texts[..total_chunks]);
    // Which texts are embedded as text: every unit but the late-chunked ones, and the questions.
    let mut as_text = vec![true; texts.len()];
    for (c, &at) in chunked.iter().zip(&offsets) {
        if c.embedding != Embedding::Text {
            as_text[at..at + c.chunks.len()].fill(false);
        }
    }
    let mut new_per_strategy: Vec<usize> = chunked
        .iter()
        .zip(&offsets)
        .map(|(c, &at)| new_texts(cache, &texts[at..at + c.chunks.len()]))
        .collect();
    let wanted: Vec<&str> = (0..texts.len())
        .filter(|&i| as_text[i])
        .map(|i| texts[i])
        .collect();
    let text_keys = embed_texts(embedder, cache, &wanted, batch, progress, timings)?;
    let (late_keys, late) = embed_late(dataset, chunked, embedder, cache, progress)?;
    for (s, cost) in late.iter().enumerate() {
        if let Some(cost) = cost {
            new_per_strategy[s] = cost.new_units;
        }
    }
    let mut text_keys = text_keys.into_iter();
    let mut late_keys = late_keys.into_iter();
    let mut keys = as_text
        .iter()
        .map(|&t| match t {
            true => text_keys.next(),
            false => late_keys.next(),
        })
        .collect::<Option<Vec<_>>>()
        .expect("one key per text");
    let cache: &'c EmbeddingCache = cache;
    let questions = cache.vectors(&keys[total_chunks..])?;
    keys.truncate(total_chunks);
    timings.embed_seconds = t.elapsed().as_secs_f64();
    progress.note(&format!("embedded in {:.1} s", timings.embed_seconds));
    Ok(Embedded {
        cache,
        keys,
        questions,
        offsets,
        new_per_strategy,
        chunk_tokens,
        late: late.into_iter().map(|c| c.map(|c| c.cost)).collect(),
    })
}

/// Distinct texts of `texts` not in the cache yet.
fn new_texts(cache: &EmbeddingCache, texts: &[&str]) -> usize {
    let mut seen = HashSet::new();
    texts
        .iter()
        .map(|t| cache.key(t))
        .filter(|k| !cache.contains(k) && seen.insert(*k))
        .count()
}

/// Embeds `texts` through the cache, with a note of what is new and a progress bar; fills the
/// text-embedding fields of `timings`. Returns each text's cache key.
fn embed_texts(
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    texts: &[&str],
    batch: usize,
    progress: &Progress,
    timings: &mut Timings,
) -> Result<Vec<Key>> {
    let t = Instant::now();
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
    let cached = cache_all(embedder, cache, texts, batch, |done, total| {
        if new_total.is_none() {
            new_total = Some(total);
            bar.set_length(total as u64);
        }
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let seconds = t.elapsed().as_secs_f64();
    let model_tokens = EmbedWork::of(embedder, &cached, seconds).model_tokens;
    timings.embedded_tokens = missing_tokens;
    timings.embedded_texts = new_total.unwrap_or(0);
    timings.cached_texts = cached_distinct;
    timings.embed_tokens_per_second = per_second(missing_tokens, seconds);
    timings.embedded_model_tokens = model_tokens;
    timings.embed_model_tokens_per_second = model_tokens.map(|n| per_second(n, seconds));
    Ok(cached.keys)
}

/// `tokens` per second of `seconds` (0 for no time).
fn per_second(tokens: usize, seconds: f64) -> f64 {
    match seconds > 0.0 {
        true => tokens as f64 / seconds,
        false => 0.0,
    }
}

/// What late pooling did for one strategy: its cost, and its units not cached before.
struct Late {
    cost: LateCost,
    new_units: usize,
}

/// Late-chunked strategies' cache keys, in collection order, and each strategy's pooling.
type LateKeys = (Vec<Key>, Vec<Option<Late>>);

/// The cache keys of every late-chunked strategy's units (pooled into the cache when missing),
/// in collection order, and each strategy's cost (`None` for the others).
fn embed_late(
    dataset: &Dataset,
    chunked: &[Chunked],
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    progress: &Progress,
) -> Result<LateKeys> {
    let documents: Vec<&str> = dataset.documents.iter().map(|d| d.text.as_str()).collect();
    let mut keys = Vec::new();
    let mut costs = Vec::with_capacity(chunked.len());
    for c in chunked {
        let Embedding::Late { overlap } = c.embedding else {
            costs.push(None);
            continue;
        };
        let units: Vec<(usize, (usize, usize))> = c
            .chunks
            .iter()
            .map(|(d, u)| (*d, (u.span.start, u.span.end)))
            .collect();
        let before = cache.len();
        let (k, cost) = late::late_keys(embedder, cache, &documents, &units, overlap)?;
        progress.note(&format!(
            "late chunking: {} documents read in {} windows ({} model tokens) in {:.1} s",
            cost.documents, cost.windows, cost.model_tokens, cost.seconds
        ));
        keys.extend(k);
        costs.push(Some(Late {
            cost,
            new_units: cache.len() - before,
        }));
    }
    Ok((keys, costs))
}
