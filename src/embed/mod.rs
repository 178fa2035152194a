//! Embeddings: the [`Embedder`] trait, the local all-MiniLM-L6-v2 model ([`local`]) and the
//! persistent content-addressed cache ([`cache`]). Where models live on disk: [`crate::paths`].

pub mod cache;
pub mod local;

use crate::error::Result;

pub use cache::EmbeddingCache;

/// Turns texts into unit-length vectors.
pub trait Embedder: Send {
    /// Identifies the model and every setting that changes its output (cache key prefix, reports).
    fn id(&self) -> &str;
    /// Human-readable model name for reports.
    fn name(&self) -> &str;
    /// Embeds a batch of texts; vectors are L2-normalised.
    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// An embedder and its cache behind a lock, shareable across the threads that chunk documents
/// (embedding-based chunkers call it through the chunking environment).
pub struct SharedEmbedder<'a> {
    inner: std::sync::Mutex<(&'a mut dyn Embedder, &'a mut EmbeddingCache)>,
    batch: usize,
}

impl<'a> SharedEmbedder<'a> {
    pub fn new(
        embedder: &'a mut dyn Embedder,
        cache: &'a mut EmbeddingCache,
        batch: usize,
    ) -> Self {
        SharedEmbedder {
            inner: std::sync::Mutex::new((embedder, cache)),
            batch,
        }
    }

    /// Gives the embedder and cache back.
    pub fn into_inner(self) -> (&'a mut dyn Embedder, &'a mut EmbeddingCache) {
        self.inner.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl SharedEmbedder<'_> {
    /// Runs `f` with the embedder, its cache and the batch size, holding the lock.
    pub fn with<T>(&self, f: impl FnOnce(&mut dyn Embedder, &mut EmbeddingCache, usize) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (embedder, cache) = &mut *guard;
        f(&mut **embedder, cache, self.batch)
    }
}

/// Embeds `texts` through the cache: only texts not cached yet reach the embedder, in batches of
/// `batch` sorted by length (so padding is small), each batch written to the cache as soon as it is
/// computed (an interrupted run keeps its work). `progress` is called with the number of texts
/// done after every batch. Returns one vector per input text, in input order.
pub fn embed_cached(
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    texts: &[&str],
    batch: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<std::sync::Arc<[f32]>>> {
    let keys: Vec<cache::Key> = texts.iter().map(|t| cache.key(t)).collect();
    let mut missing: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, k) in keys.iter().enumerate() {
        if !cache.contains(k) && seen.insert(*k) {
            missing.push(i);
        }
    }
    // Deterministic order, independent of thread scheduling: by length, then by key.
    missing.sort_by_key(|&i| (texts[i].len(), keys[i]));
    let total = missing.len();
    progress(0, total);
    let mut done = 0;
    for group in missing.chunks(batch.max(1)) {
        let batch_texts: Vec<&str> = group.iter().map(|&i| texts[i]).collect();
        let vectors = embedder.embed(&batch_texts)?;
        let entries: Vec<(cache::Key, Vec<f32>)> =
            group.iter().map(|&i| keys[i]).zip(vectors).collect();
        cache.insert_all(entries)?;
        done += group.len();
        progress(done, total);
    }
    Ok(keys
        .iter()
        .map(|k| cache.get(k).expect("every text was embedded above"))
        .collect())
}
