//! What a run cost, as `timings.json` holds it: wall time per stage, embedding throughput, and
//! per row the chunking, model and retrieval costs. Kept apart from the results, which must be
//! byte-identical for the same inputs; timings never are.

use serde::{Deserialize, Serialize};

/// Wall time and cost of each stage, per strategy where it can be attributed.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Timings {
    pub load_seconds: f64,
    pub chunk_seconds: f64,
    pub embed_seconds: f64,
    /// Distinct texts embedded by this run (not in the cache before).
    pub embedded_texts: usize,
    /// Distinct texts served from the cache.
    pub cached_texts: usize,
    /// cl100k tokens of the texts embedded (before the model's truncation).
    pub embedded_tokens: usize,
    pub embed_tokens_per_second: f64,
    /// The model's own tokens of the texts embedded, after its truncation (what it computed on;
    /// absent for an embedder without a local tokenizer), and their rate over the stage's wall
    /// time: comparable with `cargo bench --bench embedding`'s bare ONNX Runtime figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_model_tokens: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embed_model_tokens_per_second: Option<f64>,
    /// What the chunking stage embedded for the chunkers that embed their own units (the
    /// semantic families' sentence windows and pieces); absent when the run has no embedder. Its
    /// seconds are inside `chunk_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_embedding: Option<ChunkEmbedding>,
    pub score_seconds: f64,
    /// Wall time of the model-based answer metrics (0 when none ran).
    #[serde(default)]
    pub answer_seconds: f64,
    /// Context utility's question-only baseline, shared by every strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_baseline: Option<crate::llm::LlmCost>,
    pub total_seconds: f64,
    /// The process's peak resident memory at the end of the run, in bytes (`getrusage`'s
    /// `ru_maxrss`; absent where the platform does not report it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    pub strategies: Vec<StrategyTiming>,
}

/// The chunking stage's own embedding work: distinct texts not cached before, the model's tokens
/// of them after its truncation (absent for an embedder without a local tokenizer), the wall
/// seconds of the embedding calls, and the model's tokens per second over them.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ChunkEmbedding {
    pub texts: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_tokens: Option<usize>,
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_tokens_per_second: Option<f64>,
}

impl From<crate::embed::EmbedWork> for ChunkEmbedding {
    fn from(w: crate::embed::EmbedWork) -> Self {
        ChunkEmbedding {
            texts: w.texts,
            model_tokens: w.model_tokens,
            seconds: w.seconds,
            model_tokens_per_second: w.tokens_per_second(),
        }
    }
}

/// The peak resident memory of this process so far, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: `getrusage` writes into the zeroed struct we own and reads nothing else.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return None;
        }
        // Linux reports kilobytes (macOS bytes; we build for Linux first).
        let scale = if cfg!(target_os = "macos") { 1 } else { 1024 };
        u64::try_from(usage.ru_maxrss).ok().map(|kb| kb * scale)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StrategyTiming {
    pub name: String,
    /// CPU seconds spent chunking (summed over documents).
    pub chunk_cpu_seconds: f64,
    /// Chunk texts of this strategy that were not in the cache before the run.
    pub new_texts: usize,
    /// What the strategy's language model cost (`llm:` strategies only): model calls, cache
    /// hits, prompt/completion tokens, model wall time, fallbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::llm::LlmCost>,
    /// What late pooling cost (`late:` strategies only): documents read, the model's windows and
    /// tokens, wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<crate::embed::late::LateCost>,
    /// What the model-based answer metrics cost for this strategy.
    #[serde(default, skip_serializing_if = "AnswerCost::is_empty")]
    pub answer: AnswerCost,
    /// What retrieving this row cost (absent in timings written before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<RetrievalTiming>,
}

/// Index build time, index size and query latency of one row (a strategy under a setup).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RetrievalTiming {
    /// The row's name.
    pub name: String,
    /// The retriever, with `+rerank` when reranked, and the hand-over rule.
    pub retriever: String,
    pub handover: String,
    /// Wall time to build the index over the strategy's chunks (embeddings already computed).
    pub index_seconds: f64,
    pub index_bytes: usize,
    /// Questions timed, and the median and 95th percentile of the time from a question (its
    /// vector already computed) to the chunks handed over: ranking, reranking, hand-over.
    pub queries: usize,
    pub query_p50_ms: f64,
    pub query_p95_ms: f64,
    /// What the rerank stage cost for this row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerank: Option<crate::llm::LlmCost>,
}

/// Model cost of the answer metrics (context utility, answer generation, judging).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AnswerCost {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<crate::llm::LlmCost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<crate::llm::LlmCost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<crate::llm::LlmCost>,
}

impl AnswerCost {
    pub fn is_empty(&self) -> bool {
        self.utility.is_none() && self.generator.is_none() && self.judge.is_none()
    }
}
