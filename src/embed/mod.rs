//! Embeddings: the [`Embedder`] trait and its backends — a local sentence-transformers model
//! exported to ONNX ([`local`], the bundled all-MiniLM-L6-v2 by default) and any
//! OpenAI-compatible `/v1/embeddings` endpoint ([`http`]) — chosen by [`open`] from the
//! [`EmbedderSpec`] of the flags; the persistent content-addressed cache ([`cache`]); late
//! chunking's pooled token vectors ([`late`]). Where models live on disk: [`crate::paths`].

pub mod cache;
pub mod http;
pub mod late;
pub mod local;
mod onnx;
pub mod open;
pub mod st_config;
pub mod threads;

use std::borrow::Cow;

use crate::error::Result;

pub use cache::EmbeddingCache;
pub use open::{open, EmbedderSpec};

/// What a text is to the embedder: models trained with instructions or prefixes (e5's
/// `query: `/`passage: `, nomic's `search_query: `, bge's query instruction) embed the two
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Document,
}

/// The prefixes (instructions) put before query and document texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefixes {
    pub query: String,
    pub document: String,
}

impl Prefixes {
    pub fn of(&self, role: Role) -> &str {
        match role {
            Role::Query => &self.query,
            Role::Document => &self.document,
        }
    }

    /// The identity suffix: empty without prefixes (so the bundled model's id is unchanged).
    pub fn id_suffix(&self) -> String {
        let mut s = String::new();
        if !self.query.is_empty() {
            s.push_str(&format!("/q={:?}", self.query));
        }
        if !self.document.is_empty() {
            s.push_str(&format!("/d={:?}", self.document));
        }
        s
    }
}

/// Who an embedder is: everything that changes its vectors, for the cache key, `results.json`
/// and every report header.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// `local` (an ONNX model directory) or `openai` (an endpoint).
    pub backend: String,
    /// Human-readable model name.
    pub name: String,
    /// The model file's hash (local) or the endpoint URL and model name (openai).
    pub revision: String,
    /// `mean`, `cls` or `last` (local); what the server does (openai).
    pub pooling: String,
    /// Input limit in the model's tokens, when known.
    pub max_tokens: Option<usize>,
    pub query_prefix: String,
    pub document_prefix: String,
}

/// Turns texts into unit-length vectors.
pub trait Embedder: Send {
    /// Identifies the model and every setting that changes its output (cache key prefix).
    fn id(&self) -> &str;
    /// Human-readable model name for reports.
    fn name(&self) -> &str;
    /// The whole identity, for results and reports.
    fn identity(&self) -> Identity;
    /// The prefixes put before query and document texts.
    fn prefixes(&self) -> &Prefixes;
    /// Input tokens of each text as the model counts them (special tokens included, before
    /// truncation): the local tokenizer, or cl100k for an endpoint (exact for OpenAI's models).
    fn count_tokens(&self, texts: &[&str]) -> Vec<usize>;
    /// Embeds a batch of texts; vectors are L2-normalised (chunkbench scores by cosine).
    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// What the model actually reads of each text, as a key: texts with equal keys get the same
    /// input (the same tokens after the model's truncation), so one vector serves them all.
    /// `None` when unknown (the default: every text is embedded).
    fn input_keys(&self, texts: &[&str]) -> Vec<Option<cache::Key>> {
        vec![None; texts.len()]
    }

    /// The contextual vector of every token of `text`, read in windows of the model's input that
    /// share `overlap` tokens (late chunking). Only a model whose token outputs are at hand can
    /// give them: the default is an error that says so.
    fn token_vectors(&mut self, _text: &str, _overlap: usize) -> Result<late::TokenVectors> {
        Err(crate::error::Error::Usage(format!(
            "late chunking pools the model's token vectors, and {} ({}) does not give them; run `late:` strategies with a local ONNX model (the bundled one, or --embed-model DIR)",
            self.name(),
            self.identity().backend
        )))
    }
}

/// `texts` with the embedder's prefix for `role` put before each (borrowed when there is none).
pub fn prefixed<'t>(embedder: &dyn Embedder, role: Role, texts: &[&'t str]) -> Vec<Cow<'t, str>> {
    let prefix = embedder.prefixes().of(role);
    texts
        .iter()
        .map(|t| match prefix.is_empty() {
            true => Cow::Borrowed(*t),
            false => Cow::Owned(format!("{prefix}{t}")),
        })
        .collect()
}

/// L2-normalises `v` in place (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

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

    /// The model's tokens per second, when its tokens are known and time was spent.
    pub fn tokens_per_second(&self) -> Option<f64> {
        self.model_tokens
            .filter(|_| self.seconds > 0.0)
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

/// Embeds `texts` through the cache: only texts not cached yet reach the embedder, in batches of
/// `batch` sorted by length (so padding is small), each batch written to the cache as soon as it is
/// computed (an interrupted run keeps its work). `progress` is called with the number of texts
/// done after every batch. Returns one vector per input text, in input order.
pub fn embed_cached(
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    texts: &[&str],
    batch: usize,
    progress: impl FnMut(usize, usize),
) -> Result<Vec<std::sync::Arc<[f32]>>> {
    let cached = cache_all(embedder, cache, texts, batch, progress)?;
    cache.vectors(&cached.keys)
}

/// What [`cache_all`] did: each text's cache key, and the model's token count (before
/// truncation) of each distinct text that was not cached before.
pub struct Cached {
    pub keys: Vec<cache::Key>,
    pub new_tokens: Vec<usize>,
}

/// Embeds what [`embed_cached`] would, but returns the cache key of each text instead of its
/// vector (the vectors stay on disk until a stage reads the ones it needs), with the token counts
/// of what was new.
pub fn cache_all(
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    texts: &[&str],
    batch: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<Cached> {
    let keys: Vec<cache::Key> = texts.iter().map(|t| cache.key(t)).collect();
    let mut missing: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, k) in keys.iter().enumerate() {
        if !cache.contains(k) && seen.insert(*k) {
            missing.push(i);
        }
    }
    // Batches pad every text to their longest: ordered by the model's own token count, texts of
    // one batch are of nearly one length (byte length alone left a fifth of the model's work to
    // padding on the default grid). Then by length and key: deterministic, independent of
    // thread scheduling. A text's vector does not depend on its batch.
    let counts = embedder.count_tokens(&missing.iter().map(|&i| texts[i]).collect::<Vec<_>>());
    let mut by_tokens: Vec<(usize, usize)> = missing.into_iter().zip(counts).collect();
    by_tokens.sort_by_key(|&(i, n)| (n, texts[i].len(), keys[i]));
    let (missing, new_tokens): (Vec<usize>, Vec<usize>) = by_tokens.into_iter().unzip();
    // Texts the model reads identically (a 512-token chunk and the 256-token chunk that starts
    // where it does, both cut at the model's limit) are embedded once: the first in that order
    // stands for the others.
    let inputs = embedder.input_keys(&missing.iter().map(|&i| texts[i]).collect::<Vec<_>>());
    let mut first_of: std::collections::HashMap<cache::Key, usize> = Default::default();
    let mut same_as: Vec<(usize, usize)> = Vec::new();
    let mut unique: Vec<usize> = Vec::with_capacity(missing.len());
    for (&i, input) in missing.iter().zip(inputs) {
        match input.map(|k| *first_of.entry(k).or_insert(i)) {
            Some(first) if first != i => same_as.push((i, first)),
            _ => unique.push(i),
        }
    }
    let total = missing.len();
    progress(0, total);
    let mut done = 0;
    for group in unique.chunks(batch.max(1)) {
        let batch_texts: Vec<&str> = group.iter().map(|&i| texts[i]).collect();
        let vectors = embedder.embed(&batch_texts)?;
        let entries: Vec<(cache::Key, Vec<f32>)> =
            group.iter().map(|&i| keys[i]).zip(vectors).collect();
        cache.insert_all(entries)?;
        done += group.len();
        progress(done, total);
    }
    if !same_as.is_empty() {
        let firsts: Vec<cache::Key> = same_as.iter().map(|&(_, first)| keys[first]).collect();
        let entries = same_as
            .iter()
            .zip(cache.vectors(&firsts)?)
            .map(|(&(i, _), v)| (keys[i], v.to_vec()))
            .collect();
        cache.insert_all(entries)?;
        progress(total, total);
    }
    Ok(Cached { keys, new_tokens })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts what it embeds; texts read alike when their first `limit` bytes agree.
    struct Counting {
        limit: usize,
        embedded: Vec<String>,
        prefixes: Prefixes,
    }

    impl Embedder for Counting {
        fn id(&self) -> &str {
            "counting"
        }
        fn name(&self) -> &str {
            "counting"
        }
        fn identity(&self) -> Identity {
            unreachable!("not asked")
        }
        fn prefixes(&self) -> &Prefixes {
            &self.prefixes
        }
        fn count_tokens(&self, texts: &[&str]) -> Vec<usize> {
            texts.iter().map(|t| t.len()).collect()
        }
        fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.embedded.extend(texts.iter().map(|t| t.to_string()));
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, t.bytes().map(f32::from).sum()])
                .collect())
        }
        fn input_keys(&self, texts: &[&str]) -> Vec<Option<cache::Key>> {
            texts
                .iter()
                .map(|t| {
                    let mut k = [0u8; 32];
                    let b = &t.as_bytes()[..t.len().min(self.limit)];
                    k[..b.len()].copy_from_slice(b);
                    Some(k)
                })
                .collect()
        }
    }

    #[test]
    fn texts_the_model_reads_alike_are_embedded_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), "counting").unwrap();
        let mut e = Counting {
            limit: 4,
            embedded: Vec::new(),
            prefixes: Prefixes::default(),
        };
        let texts = ["abcd-long", "abcd", "xyz", "abcd-longer", "xyz"];
        let got = embed_cached(&mut e, &mut cache, &texts, 2, |_, _| {}).unwrap();
        // "abcd", "abcd-long" and "abcd-longer" read alike: the shortest stands for them.
        assert_eq!(e.embedded, ["xyz", "abcd"]);
        assert_eq!(&*got[0], &*got[1]);
        assert_eq!(&*got[3], &*got[1]);
        assert_eq!(&*got[2], &*got[4]);
        // Each text has its own cache entry: a later run finds every one.
        let again = embed_cached(&mut e, &mut cache, &texts, 2, |_, _| {}).unwrap();
        assert_eq!(e.embedded.len(), 2);
        assert_eq!(again.len(), 5);
    }

    /// Records its batches; a token is a word.
    struct Batches {
        batches: Vec<Vec<String>>,
        prefixes: Prefixes,
    }

    impl Embedder for Batches {
        fn id(&self) -> &str {
            "batches"
        }
        fn name(&self) -> &str {
            "batches"
        }
        fn identity(&self) -> Identity {
            unreachable!("not asked")
        }
        fn prefixes(&self) -> &Prefixes {
            &self.prefixes
        }
        fn count_tokens(&self, texts: &[&str]) -> Vec<usize> {
            texts.iter().map(|t| t.split_whitespace().count()).collect()
        }
        fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.batches
                .push(texts.iter().map(|t| t.to_string()).collect());
            Ok(texts.iter().map(|t| vec![t.len() as f32, 1.0]).collect())
        }
    }

    /// A batch pads to its longest text in the model's tokens, not in bytes: texts are batched
    /// by their token counts.
    #[test]
    fn batches_hold_texts_of_like_token_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), "batches").unwrap();
        let mut e = Batches {
            batches: Vec::new(),
            prefixes: Prefixes::default(),
        };
        // Bytes: 1, 9, 10, 3. Tokens: 1, 5, 1, 2.
        let texts = ["x", "y y y y y", "zzzzzzzzzz", "w w"];
        let got = embed_cached(&mut e, &mut cache, &texts, 2, |_, _| {}).unwrap();
        assert_eq!(
            e.batches,
            [vec!["x", "zzzzzzzzzz"], vec!["w w", "y y y y y"]]
        );
        // Vectors come back in input order whatever the batches.
        let lens: Vec<f32> = got.iter().map(|v| v[0]).collect();
        assert_eq!(lens, [1.0, 9.0, 10.0, 3.0]);
    }
}
