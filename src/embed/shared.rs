//! The run's embedder shared by the threads that chunk documents ([`SharedEmbedder`]), and what
//! it computed ([`EmbedWork`]).

use super::{cache, cache_all, prefixed, Cached, Embedder, EmbeddingCache, Role};
use crate::error::Result;

/// An embedder and its cache behind a lock, shareable across the threads that chunk documents
/// (embedding-based chunkers call it through the chunking environment), with what it embedded.
pub struct SharedEmbedder<'a> {
    inner: std::sync::Mutex<(&'a mut dyn Embedder, &'a mut EmbeddingCache)>,
    batch: usize,
    work: std::sync::Mutex<EmbedWork>,
}

/// What an embedder computed: distinct texts that were not cached, the model's tokens of them
/// after its truncation (`None` when the model does not say its limit), and the wall seconds the
/// embedding calls took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbedWork {
    pub texts: usize,
    pub model_tokens: Option<usize>,
    pub seconds: f64,
}

impl EmbedWork {
    /// The work of one [`cache_all`] call that took `seconds`.
    pub fn of(embedder: &dyn Embedder, cached: &Cached, seconds: f64) -> EmbedWork {
        EmbedWork {
            texts: cached.new_tokens.len(),
            model_tokens: embedder
                .identity()
                .max_tokens
                .map(|max| cached.new_tokens.iter().map(|&n| n.min(max)).sum()),
            seconds,
        }
    }

    /// The model's tokens per second, when it computed tokens it can count.
    pub fn tokens_per_second(&self) -> Option<f64> {
        self.model_tokens
            .filter(|&n| n > 0 && self.seconds > 0.0)
            .map(|n| n as f64 / self.seconds)
    }

    fn add(&mut self, other: EmbedWork) {
        self.texts += other.texts;
        self.model_tokens = self
            .model_tokens
            .zip(other.model_tokens)
            .map(|(a, b)| a + b);
        self.seconds += other.seconds;
    }
}

/// No work yet (of a known number of tokens: none).
impl Default for EmbedWork {
    fn default() -> Self {
        EmbedWork {
            texts: 0,
            model_tokens: Some(0),
            seconds: 0.0,
        }
    }
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
            work: Default::default(),
        }
    }

    /// Embeds the document texts `texts` (with the embedder's document prefix) that are not
    /// cached yet, adds the work to [`SharedEmbedder::work`], and returns each text's cache key.
    /// `progress` as for [`cache_all`].
    pub fn cache_documents(
        &self,
        texts: &[&str],
        progress: impl FnMut(usize, usize),
    ) -> Result<Vec<cache::Key>> {
        self.with(|embedder, cache, batch| {
            let started = std::time::Instant::now();
            let texts = prefixed(embedder, Role::Document, texts);
            let texts: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
            let cached = cache_all(embedder, cache, &texts, batch, progress)?;
            self.record(EmbedWork::of(
                embedder,
                &cached,
                started.elapsed().as_secs_f64(),
            ));
            Ok(cached.keys)
        })
    }

    /// The cached vectors of `keys`, in order.
    pub fn vectors(&self, keys: &[cache::Key]) -> Result<Vec<std::sync::Arc<[f32]>>> {
        self.with(|_, cache, _| cache.vectors(keys))
    }

    /// What the embedder computed through this handle so far.
    pub fn work(&self) -> EmbedWork {
        *self.work.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, work: EmbedWork) {
        self.work
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(work);
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
