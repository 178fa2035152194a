//! Embeddings: the [`Embedder`] trait and its backends — a local sentence-transformers model
//! exported to ONNX ([`local`], the bundled all-MiniLM-L6-v2 by default) and any
//! OpenAI-compatible `/v1/embeddings` endpoint ([`http`]) — chosen by [`open`] from the
//! [`EmbedderSpec`] of the flags; the persistent content-addressed cache ([`cache`]); late
//! chunking's pooled token vectors ([`late`]); the embedder shared by the threads that chunk
//! ([`SharedEmbedder`]). Where models live on disk: [`crate::paths`].

pub mod cache;
pub mod http;
pub mod late;
pub mod local;
mod onnx;
pub mod open;
mod shared;
pub mod st_config;
pub mod threads;

use std::borrow::Cow;

use crate::error::Result;

pub use cache::EmbeddingCache;
pub use open::{open, EmbedderSpec};
pub use shared::{EmbedWork, SharedEmbedder};

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
