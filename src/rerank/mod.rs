//! The optional second retrieval stage: a reranker scores the first `depth` candidates of a
//! ranking against the question and reorders them (ties keep the first-stage order; candidates
//! past `depth` follow in first-stage order). Two backends: a `/rerank` endpoint ([`http`]: the
//! JSON that Cohere, Jina, Infinity and `chunkbench serve` accept) and the embedded language model
//! ([`local`]: relevance as the log-probability of a "yes" verdict). Scores are cached per
//! (reranker, question, chunk text) in the model-response cache and costed like other model calls.

pub mod http;
pub mod local;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::chunk::sizer::cl100k_tokens;
use crate::error::Result;
use crate::llm::{LlmCache, LlmCost};
use crate::retrieve::Hit;

/// Candidates the rerank stage reorders by default.
pub const DEFAULT_DEPTH: usize = 50;

/// A model that scores documents for a query.
pub trait Reranker: Send + Sync {
    /// Identifies the model and every setting that changes its scores (cache keys, reports).
    fn id(&self) -> &str;
    /// The relevance of each document to `query` (higher is more relevant), in order.
    fn score(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>>;
}

/// The rerank stage of a run: the model, its response cache and how many candidates it
/// reorders. Each result row reranks through its own [`CachedReranker`], so costs are per row.
#[derive(Clone)]
pub struct RerankStage {
    pub model: Arc<dyn Reranker>,
    pub cache: Option<Arc<LlmCache>>,
    pub depth: usize,
}

impl RerankStage {
    /// A fresh metered, cached handle.
    pub fn handle(&self) -> CachedReranker {
        CachedReranker {
            inner: self.model.clone(),
            cache: self.cache.clone(),
            depth: self.depth,
            calls: AtomicUsize::new(0),
            hits: AtomicUsize::new(0),
            tokens: AtomicUsize::new(0),
            seconds: Mutex::new(0.0),
        }
    }
}

/// A reranker behind the response cache, metering its model calls.
pub struct CachedReranker {
    inner: Arc<dyn Reranker>,
    cache: Option<Arc<LlmCache>>,
    depth: usize,
    calls: AtomicUsize,
    hits: AtomicUsize,
    tokens: AtomicUsize,
    seconds: Mutex<f64>,
}

impl CachedReranker {
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Candidates it reorders.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Scores `documents` for `query`, from the cache where it can; one model call for the rest.
    pub fn score(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>> {
        let id = self.inner.id();
        let keys: Vec<Option<String>> = documents
            .iter()
            .map(|d| {
                self.cache
                    .as_ref()
                    .map(|c| c.key("rerank", &(id, query, d)))
            })
            .collect();
        let mut out: Vec<Option<f32>> = keys
            .iter()
            .map(|k| self.cache.as_ref()?.get::<f32>(k.as_ref()?))
            .collect();
        let missing: Vec<usize> = (0..documents.len()).filter(|&i| out[i].is_none()).collect();
        self.hits
            .fetch_add(documents.len() - missing.len(), Ordering::Relaxed);
        if !missing.is_empty() {
            let texts: Vec<&str> = missing.iter().map(|&i| documents[i]).collect();
            let t = Instant::now();
            let scores = self.inner.score(query, &texts)?;
            *self.seconds.lock().unwrap_or_else(|p| p.into_inner()) += t.elapsed().as_secs_f64();
            self.calls.fetch_add(1, Ordering::Relaxed);
            let q = cl100k_tokens(query);
            let sent: usize = texts.iter().map(|d| q + cl100k_tokens(d)).sum();
            self.tokens.fetch_add(sent, Ordering::Relaxed);
            for (&i, s) in missing.iter().zip(scores) {
                if let (Some(c), Some(k)) = (&self.cache, &keys[i]) {
                    c.put(k.clone(), &s)?;
                }
                out[i] = Some(s);
            }
        }
        Ok(out
            .into_iter()
            .map(|s| s.expect("every document scored"))
            .collect())
    }

    /// Reorders the first `depth` of `ranked` by the reranker's scores of their `texts` (ties
    /// keep the first-stage order); the rest follow unchanged. Reranked hits carry the
    /// reranker's scores.
    pub fn rerank(&self, query: &str, ranked: Vec<Hit>, texts: &[&str]) -> Result<Vec<Hit>> {
        let cut = self.depth.min(ranked.len());
        let docs: Vec<&str> = ranked[..cut].iter().map(|&(c, _)| texts[c]).collect();
        let scores = self.score(query, &docs)?;
        let mut head: Vec<(usize, Hit)> = ranked[..cut]
            .iter()
            .zip(scores)
            .enumerate()
            .map(|(pos, (&(c, _), s))| (pos, (c, s)))
            .collect();
        head.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1).then(a.0.cmp(&b.0)));
        let mut out: Vec<Hit> = head.into_iter().map(|(_, h)| h).collect();
        out.extend_from_slice(&ranked[cut..]);
        Ok(out)
    }

    /// What the reranker cost so far: model calls (one per question with anything not cached),
    /// documents served from the cache, cl100k tokens of (question + document) per scored pair,
    /// and model wall time.
    pub fn cost(&self) -> LlmCost {
        LlmCost {
            model: self.id().to_string(),
            calls: self.calls.load(Ordering::Relaxed),
            cache_hits: self.hits.load(Ordering::Relaxed),
            prompt_tokens: self.tokens.load(Ordering::Relaxed),
            completion_tokens: 0,
            seconds: *self.seconds.lock().unwrap_or_else(|p| p.into_inner()),
            fallbacks: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores a document by how often the query's first word occurs in it (a stand-in model to
    /// test the stage's ordering and caching, not a reranker anyone would use).
    struct CountingModel;

    impl Reranker for CountingModel {
        fn id(&self) -> &str {
            "count@test"
        }
        fn score(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>> {
            let w = query.split(' ').next().unwrap_or("");
            Ok(documents
                .iter()
                .map(|d| d.matches(w).count() as f32)
                .collect())
        }
    }

    #[test]
    fn reorders_the_first_depth_candidates_and_keeps_the_rest() {
        let texts = ["bee", "bee bee", "none", "bee bee bee"];
        let stage = RerankStage {
            model: Arc::new(CountingModel),
            cache: None,
            depth: 3,
        }
        .handle();
        let ranked = vec![(0, 0.9), (2, 0.8), (1, 0.7), (3, 0.6)];
        let got = stage.rerank("bee what", ranked, &texts).unwrap();
        let ids: Vec<usize> = got.iter().map(|h| h.0).collect();
        // 1 (2 bees), 0 (1 bee), 2 (none); 3 is past the depth and stays last.
        assert_eq!(ids, [1, 0, 2, 3]);
        assert_eq!(got[0].1, 2.0);
        let cost = stage.cost();
        assert_eq!((cost.calls, cost.cache_hits), (1, 0));
    }

    #[test]
    fn cached_scores_are_not_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(LlmCache::open(dir.path(), "count@test").unwrap());
        let r = RerankStage {
            model: Arc::new(CountingModel),
            cache: Some(cache),
            depth: 50,
        }
        .handle();
        assert_eq!(r.score("bee", &["bee", "x"]).unwrap(), [1.0, 0.0]);
        assert_eq!(r.score("bee", &["x", "bee bee"]).unwrap(), [0.0, 2.0]);
        let cost = r.cost();
        assert_eq!((cost.calls, cost.cache_hits), (2, 1));
    }
}
