//! The results of a run: what `results.json` holds and every exporter reads. Everything here is
//! deterministic for the same inputs (no timestamps, no timings: those go to `timings.json`).

use serde::{Deserialize, Serialize};

use crate::score::aggregate::MeanStd;
use crate::strategy::Value;

pub mod metrics;
pub mod timings;

pub use metrics::{in_group, metric, metric_label, model_metrics, Group, Metric, Unit, METRICS};
pub use timings::{AnswerCost, RetrievalTiming, StrategyTiming, Timings};

/// The version of the `results.json` (and `baseline.json`) layout this build writes and reads.
/// Raise it whenever a field changes meaning or a reader of older files would misread them.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResults {
    /// [`SCHEMA_VERSION`] of the build that wrote the file (absent, read as 0, before it existed).
    #[serde(default)]
    pub schema_version: u32,
    pub chunkbench_version: String,
    pub dataset: DatasetInfo,
    pub embedder: EmbedderInfo,
    pub k: usize,
    /// How span metrics are measured (for readers of the JSON).
    pub span_unit: String,
    /// An excerpt counts as found (excerpt recall) when this share of it is retrieved.
    pub found_share: f64,
    /// Bootstrap resamples and seed of the intervals.
    pub bootstrap_resamples: usize,
    pub bootstrap_seed: u64,
    /// The language models behind the model-based answer metrics (none: they were not run).
    #[serde(default)]
    pub answer_models: AnswerModels,
    /// The retrieval setups, when not just the default dense top-k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<RetrievalInfo>,
    pub strategies: Vec<StrategyResults>,
    /// Paired differences between every two strategies on every metric, over all questions.
    pub comparisons: Vec<Comparison>,
}

/// Which models produced the model-based answer metrics, and over which questions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerModels {
    /// The model whose log-probabilities give context utility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<String>,
    /// The model that writes the answers that faithfulness judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// The judge: extracts the answer's statements and checks each against the context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// The model-based metrics cover this many questions (a deterministic sample), or all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub path: String,
    pub format: crate::dataset::Format,
    pub documents: usize,
    pub questions: usize,
    pub corpora: Vec<String>,
}

/// The embedder of a run: its id (cache key prefix; `compare` refuses runs of different ids) and
/// the identity behind it. Fields after `max_tokens` are absent from results written before
/// other embedders existed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbedderInfo {
    pub name: String,
    pub id: String,
    /// Input limit in the model's tokens, when known.
    pub max_tokens: Option<usize>,
    #[serde(default)]
    pub backend: String,
    #[serde(default)]
    pub revision: String,
    #[serde(default)]
    pub pooling: String,
    #[serde(default)]
    pub dimension: usize,
    #[serde(default)]
    pub query_prefix: String,
    #[serde(default)]
    pub document_prefix: String,
}

impl EmbedderInfo {
    /// One line for report headers: name, backend, pooling, limit, dimension, prefixes.
    pub fn describe(&self) -> String {
        let mut s = self.name.clone();
        if !self.backend.is_empty() {
            s.push_str(&format!(" ({}", self.backend));
            if !self.pooling.is_empty() {
                s.push_str(&format!(", {} pooling", self.pooling));
            }
            s.push(')');
        }
        match self.max_tokens {
            Some(n) => s.push_str(&format!(", inputs cut at {n} tokens")),
            None => s.push_str(", input limit unknown"),
        }
        if self.dimension > 0 {
            s.push_str(&format!(", {} dimensions", self.dimension));
        }
        if !self.query_prefix.is_empty() {
            s.push_str(&format!(", query prefix {:?}", self.query_prefix));
        }
        if !self.document_prefix.is_empty() {
            s.push_str(&format!(", document prefix {:?}", self.document_prefix));
        }
        s
    }
}

/// What a strategy's index costs and what the embedder never saw of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Input tokens of every chunk as the embedder counts them (its tokenizer, special tokens and
    /// prefix included; cl100k for an endpoint): what embedding the corpus sends.
    pub embedder_tokens: usize,
    /// Chunks longer than the embedder's input limit, and their share of all chunks (`None`:
    /// the limit is unknown).
    pub truncated_chunks: usize,
    pub truncated_share: Option<f64>,
    /// Tokens past the limit, which the embedder never read, and their share of all tokens.
    pub unseen_tokens: usize,
    pub unseen_token_share: Option<f64>,
    /// Vectors stored, their dimension and bytes (vectors × dimension × 4).
    pub vectors: usize,
    pub dimension: usize,
    pub bytes: usize,
    /// `embedder_tokens` at `--embed-price` US dollars per million tokens.
    pub cost_usd: Option<f64>,
}

/// Results of one strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StrategyResults {
    pub name: String,
    pub family: String,
    pub params: Vec<(String, Value)>,
    /// The retrieval setup of this row (absent when the run had only the default one, dense
    /// top-k, whose rows are named by their strategy alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<RowSetup>,
    pub chunks: ChunkStats,
    /// The index's cost and truncation (default in results written before it existed).
    #[serde(default)]
    pub index: IndexStats,
    /// One row per corpus, then `all`.
    pub summary: Vec<GroupSummary>,
    pub questions: Vec<QuestionResult>,
}

impl StrategyResults {
    /// The summary over all questions (the `all` row).
    pub fn overall(&self) -> &GroupSummary {
        self.summary
            .iter()
            .find(|g| g.corpus == "all")
            .expect("every strategy has an `all` row")
    }
}

/// The retrieval setup a row was measured under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowSetup {
    /// The chunking strategy's name (the row's name is `strategy @ label`).
    pub strategy: String,
    /// The retriever's spec, e.g. `bm25` or `hybrid:fusion=weighted,alpha=0.3`.
    pub retriever: String,
    /// The reranker's id, when the rerank stage reordered the candidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reranker: Option<String>,
    pub handover: crate::retrieve::Handover,
    /// `bm25+rerank, top-5`.
    pub label: String,
}

/// The retrieval of a run that is not the default (dense top-k alone): its setups and rerank
/// stage. `compare` refuses runs whose retrieval differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievalInfo {
    /// Every setup's label, in row order.
    pub setups: Vec<String>,
    /// The reranker and how many candidates it reorders, when a setup reranks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reranker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerank_depth: Option<usize>,
    /// The unit of token budgets.
    pub budget_unit: String,
}

/// Size statistics of a strategy's chunks.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The exact distribution of chunk sizes in cl100k tokens: (size, chunks of that size),
    /// ascending by size — at most one entry per distinct size. Empty in results written before
    /// this field existed.
    #[serde(default)]
    pub token_size_counts: Vec<(u32, u32)>,
}

/// Counts of each distinct value of `sizes`, ascending (for [`ChunkStats::token_size_counts`]).
pub fn size_counts(sizes: &[usize]) -> Vec<(u32, u32)> {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for x in sorted {
        let x = u32::try_from(x).unwrap_or(u32::MAX);
        match out.last_mut() {
            Some((size, n)) if *size == x => *n += 1,
            _ => out.push((x, 1)),
        }
    }
    out
}

/// Aggregated scores of a group of questions (a corpus, or `all`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupSummary {
    pub corpus: String,
    pub questions: usize,
    /// Chunks in the corpus's documents (all chunks for `all`).
    pub chunks: usize,
    /// One entry per metric of [`METRICS`], in that order.
    pub metrics: Vec<MetricSummary>,
}

impl GroupSummary {
    /// The summary of metric `name`.
    pub fn metric(&self, name: &str) -> &MetricSummary {
        self.metrics
            .iter()
            .find(|m| m.metric == name)
            .unwrap_or_else(|| panic!("unknown metric {name}"))
    }

    /// The summary of metric `name` if any question of the group has it (model-based metrics
    /// exist only when their model ran; results written before a metric existed lack it).
    pub fn measured(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics
            .iter()
            .find(|m| m.metric == name && m.stat.n > 0)
    }
}

/// Mean, population std and 95% bootstrap interval of one metric over a group of questions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricSummary {
    pub metric: String,
    #[serde(flatten)]
    pub stat: MeanStd,
    pub lo: f64,
    pub hi: f64,
}

/// A paired comparison of two strategies on one metric over all questions: `b − a`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub metric: String,
    pub diff: f64,
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    /// The 95% interval excludes zero.
    pub significant: bool,
}

/// One question's scores and what was retrieved for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionResult {
    pub id: String,
    pub corpus: String,
    pub recall: f64,
    pub precision: f64,
    pub iou: f64,
    pub precision_omega: f64,
    pub hit: f64,
    pub excerpt_recall: f64,
    pub mrr: f64,
    pub ndcg: f64,
    /// Share of the gold answer's content tokens in the retrieved text (no gold answer: null).
    pub answer_support: Option<f64>,
    /// Mean per-token log p(gold answer | question, retrieved context) − log p(gold answer |
    /// question), in nats (`--utility`; null without a gold answer or outside the sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_utility: Option<f64>,
    /// The answer generated from the retrieved context and its judged statements (`--judge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<GeneratedAnswer>,
    /// Retrieved chunks, best first: document id and code-point range.
    pub retrieved: Vec<RetrievedChunk>,
}

/// An answer generated from the retrieved chunks, and what the judge made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedAnswer {
    pub answer: String,
    /// The answer's statements as the judge extracted them, each with its verdict (`None`: the
    /// judge's reply was not a verdict, twice; left out of the score).
    pub statements: Vec<(String, Option<bool>)>,
    /// Supported statements / judged statements (`None`: no statement to judge, e.g. "I don't
    /// know").
    pub faithfulness: Option<f64>,
    /// Share of the answer's tokens found in the retrieved text.
    pub k_precision: Option<f64>,
    /// Token F1 against the gold answer.
    pub f1: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetrievedChunk {
    pub doc: String,
    pub start: usize,
    pub end: usize,
    pub score: f32,
}

impl RunResults {
    /// The model-based metrics some strategy has values for, in table order (none when the run
    /// computed no answer metric).
    pub fn measured_model_metrics(&self) -> Vec<&'static Metric> {
        model_metrics()
            .filter(|m| {
                self.strategies
                    .iter()
                    .any(|st| st.overall().measured(m.name).is_some())
            })
            .collect()
    }

    /// Reads `results.json` (or a `baseline.json`), given the file or the run directory that
    /// holds it. A file of another tool, or of another schema version, is an error that says what
    /// was found and what was expected.
    pub fn load(path: &std::path::Path) -> crate::error::Result<RunResults> {
        use crate::error::Error;
        let file = if path.is_dir() {
            path.join("results.json")
        } else {
            path.to_path_buf()
        };
        let bytes = std::fs::read(&file).map_err(|e| {
            Error::dataset(
                &file,
                None,
                format!("cannot read it ({e}); pass the results.json of a `chunkbench run` (or its directory), or a baseline saved by `chunkbench baseline save`"),
            )
        })?;
        let not_ours = |what: String| {
            Error::dataset(
                &file,
                None,
                format!("not a chunkbench results.json: {what}; pass the results.json of a `chunkbench run` (or its directory), or a baseline saved by `chunkbench baseline save`"),
            )
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::dataset(&file, Some(e.line()), format!("not JSON ({e}); pass the results.json of a `chunkbench run` (or its directory)"))
        })?;
        let Some(object) = value.as_object() else {
            return Err(not_ours("the file is not a JSON object".into()));
        };
        if !object.contains_key("chunkbench_version") || !object.contains_key("strategies") {
            let keys: Vec<&str> = object.keys().take(6).map(String::as_str).collect();
            return Err(not_ours(format!(
                "found the keys {keys:?}, expected chunkbench_version, strategies, ..."
            )));
        }
        let version = object
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if version != u64::from(SCHEMA_VERSION) {
            let by = object
                .get("chunkbench_version")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("?");
            return Err(Error::dataset(
                &file,
                None,
                format!(
                    "results schema version {version} (written by chunkbench {by}), this chunkbench reads version {SCHEMA_VERSION}; re-run `chunkbench run` with this build (and `chunkbench baseline save` for a baseline)"
                ),
            ));
        }
        serde_json::from_value(value).map_err(|e| {
            Error::dataset(
                &file,
                None,
                format!("not a chunkbench results.json ({e}); pass the results.json of a `chunkbench run` (or its directory)"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> crate::error::Result<RunResults> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.json");
        std::fs::write(&p, text).unwrap();
        RunResults::load(&p)
    }

    #[test]
    fn reads_back_what_it_writes() {
        let r = crate::report::testdata::small();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.starts_with("{\"schema_version\":1,"), "{text:.40}");
        let back = load_text(&text).unwrap();
        assert_eq!(back.strategies.len(), r.strategies.len());
    }

    #[test]
    fn another_tools_file_is_named_as_such() {
        let e = load_text(r#"{"results": [1, 2], "config": {}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a chunkbench results.json"), "{e}");
        assert!(e.contains("\"results\""), "{e}");
        let e = load_text("[1, 2]").unwrap_err().to_string();
        assert!(e.contains("not a JSON object"), "{e}");
        let e = load_text("{\"a\": ").unwrap_err().to_string();
        assert!(e.contains("not JSON"), "{e}");
    }

    #[test]
    fn another_schema_version_says_found_and_expected() {
        let r = crate::report::testdata::small();
        let mut v = serde_json::to_value(&r).unwrap();
        v["schema_version"] = 7.into();
        let e = load_text(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("schema version 7"), "{e}");
        assert!(
            e.contains(&format!("reads version {SCHEMA_VERSION}")),
            "{e}"
        );
        // Files written before the version existed are version 0.
        v.as_object_mut().unwrap().remove("schema_version");
        let e = load_text(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("schema version 0"), "{e}");
    }
}
