//! What a run records about itself beside the scores: the dataset, the embedder's identity, the
//! retrieval setups.

use super::RunConfig;
use crate::embed::Embedder;
use crate::results::*;
use crate::retrieve::Setup;

/// The embedder's identity as the results record it (`none` for a run that embedded nothing).
fn embedder_info(embedder: Option<&dyn Embedder>, strategies: &[StrategyResults]) -> EmbedderInfo {
    let Some(embedder) = embedder else {
        return EmbedderInfo {
            name: "none".into(),
            id: "none".into(),
            max_tokens: None,
            backend: "none (no retriever or chunker of this run reads embeddings)".into(),
            revision: String::new(),
            pooling: String::new(),
            dimension: 0,
            query_prefix: String::new(),
            document_prefix: String::new(),
        };
    };
    let identity = embedder.identity();
    EmbedderInfo {
        name: embedder.name().to_string(),
        id: embedder.id().to_string(),
        max_tokens: identity.max_tokens,
        backend: identity.backend,
        revision: identity.revision,
        pooling: identity.pooling,
        dimension: strategies
            .iter()
            .map(|s| s.index.dimension)
            .max()
            .unwrap_or(0),
        query_prefix: identity.query_prefix,
        document_prefix: identity.document_prefix,
    }
}

/// What the run's retrieval was, when not the default.
fn retrieval_info(config: &RunConfig) -> Option<RetrievalInfo> {
    if config.plain_names() {
        return None;
    }
    let reranks = config.setups.iter().any(|s| s.rerank);
    let stage = config.rerank.as_ref().filter(|_| reranks);
    Some(RetrievalInfo {
        setups: config.setups.iter().map(Setup::label).collect(),
        reranker: stage.map(|r| r.model.id().to_string()),
        rerank_depth: stage.map(|r| r.depth),
        budget_unit: "cl100k tokens".into(),
    })
}

pub(super) fn run_results(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    strategies: Vec<StrategyResults>,
    comparisons: Vec<Comparison>,
) -> RunResults {
    let dataset = &config.dataset;
    RunResults {
        schema_version: crate::results::SCHEMA_VERSION,
        chunkbench_version: env!("CARGO_PKG_VERSION").to_string(),
        dataset: DatasetInfo {
            name: dataset.name.clone(),
            path: config.dataset_path.display().to_string(),
            format: dataset.format,
            documents: dataset.documents.len(),
            questions: dataset.questions.len(),
            corpora: dataset.corpora(),
        },
        embedder: embedder_info(embedder, &strategies),
        k: config.k,
        span_unit: "characters (Unicode code points)".into(),
        found_share: config.found_share,
        bootstrap_resamples: config.bootstrap,
        bootstrap_seed: config.seed,
        answer_models: config.answers.models(dataset.questions.len()),
        retrieval: retrieval_info(config),
        strategies,
        comparisons,
    }
}
