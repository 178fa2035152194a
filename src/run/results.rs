//! The results of a run: what `results.json` holds and every exporter reads. Everything here is
//! deterministic for the same inputs (no timestamps, no timings: those go to `timings.json`).

use serde::Serialize;

use crate::score::aggregate::MeanStd;
use crate::strategy::Value;

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResults {
    pub chunkbench_version: String,
    pub dataset: DatasetInfo,
    pub embedder: EmbedderInfo,
    pub k: usize,
    /// How span metrics are measured (for readers of the JSON).
    pub span_unit: String,
    pub strategies: Vec<StrategyResults>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetInfo {
    pub name: String,
    pub path: String,
    pub format: crate::dataset::Format,
    pub documents: usize,
    pub questions: usize,
    pub corpora: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmbedderInfo {
    pub name: String,
    pub id: String,
    pub max_tokens: usize,
}

/// Results of one strategy.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyResults {
    pub name: String,
    pub family: String,
    pub params: Vec<(String, Value)>,
    pub chunks: ChunkStats,
    /// One row per corpus, then `all`.
    pub summary: Vec<GroupSummary>,
    pub questions: Vec<QuestionResult>,
}

/// Size statistics of a strategy's chunks.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkStats {
    pub count: usize,
    /// Sum of cl100k tokens over all chunks (what embedding them costs).
    pub total_tokens: usize,
    pub tokens_mean: f64,
    pub tokens_median: f64,
    pub tokens_p95: f64,
    pub tokens_max: usize,
    pub chars_mean: f64,
    pub chars_median: f64,
    pub chars_p95: f64,
    pub chars_max: usize,
}

/// Aggregated scores of a group of questions (a corpus, or `all`).
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub corpus: String,
    pub questions: usize,
    /// Chunks in the corpus's documents (all chunks for `all`).
    pub chunks: usize,
    pub recall: MeanStd,
    pub precision: MeanStd,
    pub iou: MeanStd,
    pub precision_omega: MeanStd,
}

/// One question's scores and what was retrieved for it.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub corpus: String,
    pub recall: f64,
    pub precision: f64,
    pub iou: f64,
    pub precision_omega: f64,
    /// Retrieved chunks, best first: document id and code-point range.
    pub retrieved: Vec<RetrievedChunk>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetrievedChunk {
    pub doc: String,
    pub start: usize,
    pub end: usize,
    pub score: f32,
}

/// Wall time and cost of each stage, per strategy where it can be attributed.
#[derive(Debug, Clone, Serialize, Default)]
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
    pub score_seconds: f64,
    pub total_seconds: f64,
    pub strategies: Vec<StrategyTiming>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StrategyTiming {
    pub name: String,
    /// CPU seconds spent chunking (summed over documents).
    pub chunk_cpu_seconds: f64,
    /// Chunk texts of this strategy that were not in the cache before the run.
    pub new_texts: usize,
}
