//! The orchestrator: loads the dataset, chunks every document with every strategy in parallel
//! (rayon), embeds all chunk texts and questions once through the cache, retrieves and scores per
//! strategy in parallel, and returns the results for the exporters.

pub mod chunking;
pub mod embedding;
pub mod evaluate;
pub mod index;
pub mod summary;

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::answers::AnswerSetup;
use crate::chunk;
use crate::dataset::Dataset;
use crate::embed::{Embedder, EmbeddingCache, SharedEmbedder};
use crate::error::{Error, Result};
use crate::llm::LlmSetup;
use crate::output::Progress;
use crate::results::*;
use crate::strategy::Strategy;
use chunking::Chunked;
use embedding::Embedded;

/// What to run.
pub struct RunConfig {
    pub dataset: Dataset,
    /// The dataset path as the user gave it (for the report).
    pub dataset_path: PathBuf,
    pub strategies: Vec<Strategy>,
    pub k: usize,
    /// Texts per embedding batch.
    pub batch: usize,
    /// US dollars per million embedder tokens (`--embed-price`), for the cost of the index.
    pub embed_price: Option<f64>,
    /// Share of an excerpt that must be retrieved for it to count as found (excerpt recall).
    pub found_share: f64,
    /// Bootstrap resamples for the intervals, and their seed.
    pub bootstrap: usize,
    pub seed: u64,
    /// The language model of `llm:` strategies (loaded by the caller only when one needs it).
    pub llm: Option<LlmSetup>,
    /// The model-based answer metrics to compute (none by default).
    pub answers: AnswerSetup,
}

/// Everything a run produces.
pub struct RunOutput {
    pub results: RunResults,
    pub timings: Timings,
}

/// Runs the benchmark: chunk, embed, retrieve and score, answer metrics (opt-in), aggregate.
/// `embedder` and `cache` are opened by the caller (the CLI), so tests and other front ends can
/// pass their own.
pub fn run(
    config: &RunConfig,
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    progress: &Progress,
) -> Result<RunOutput> {
    check(config)?;
    let started = Instant::now();
    let mut timings = Timings::default();
    let chunkers = config
        .strategies
        .iter()
        .map(chunk::build)
        .collect::<Result<Vec<_>>>()?;
    timings.load_seconds = started.elapsed().as_secs_f64();
    let dataset = &config.dataset;
    progress.note(&format!(
        "dataset {}: {} documents, {} questions; {} strategies, k = {}",
        dataset.name,
        dataset.documents.len(),
        dataset.questions.len(),
        config.strategies.len(),
        config.k
    ));

    let t = Instant::now();
    let env = SharedEmbedder::new(embedder, cache, config.batch);
    let chunked = chunking::chunk_all(config, &chunkers, &env, progress)?;
    let (embedder, cache) = env.into_inner();
    timings.chunk_seconds = t.elapsed().as_secs_f64();
    let total_chunks: usize = chunked.iter().map(|c| c.chunks.len()).sum();
    progress.note(&format!(
        "chunked: {total_chunks} chunks in {:.1} s",
        timings.chunk_seconds
    ));
    warn_when_k_takes_everything(config, &chunked);

    let embedded = embedding::embed_all(
        dataset,
        &chunked,
        config.batch,
        embedder,
        cache,
        progress,
        &mut timings,
    )?;

    let t = Instant::now();
    let mut strategies = retrieve_and_score(config, &chunked, &embedded);
    add_index_stats(config, &*embedder, &chunked, &embedded, &mut strategies);
    timings.score_seconds = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let answers = crate::answers::evaluate(
        &config.answers,
        dataset,
        &mut strategies,
        config.seed,
        progress,
    )?;
    timings.answer_seconds = t.elapsed().as_secs_f64();
    timings.utility_baseline = answers.baseline;
    if !config.answers.is_empty() {
        progress.note(&format!(
            "answer metrics in {:.1} s",
            timings.answer_seconds
        ));
    }

    let t = Instant::now();
    let (strategies, comparisons) =
        summary::summarise(dataset, strategies, config.bootstrap, config.seed);
    timings.score_seconds += t.elapsed().as_secs_f64();
    timings.strategies = strategy_timings(config, chunked, &embedded, answers.costs);
    timings.total_seconds = started.elapsed().as_secs_f64();
    let results = run_results(config, &*embedder, strategies, comparisons);
    Ok(RunOutput { results, timings })
}

/// A strategy with no more chunks than `k` has every chunk retrieved for every question: its
/// recall is trivially complete and says nothing about retrieval. Allowed (a tiny corpus is a fair
/// smoke test), but said once per such strategy.
fn warn_when_k_takes_everything(config: &RunConfig, chunked: &[Chunked]) {
    for (s, c) in config.strategies.iter().zip(chunked) {
        if c.chunks.len() <= config.k {
            eprintln!(
                "warning: strategy \"{}\" made {} chunks, not more than k = {}: every chunk is retrieved for every question, so its recall is complete by construction; use a smaller --k or a larger corpus",
                s.name,
                c.chunks.len(),
                config.k
            );
        }
    }
}

/// The embedder's identity as the results record it.
fn embedder_info(embedder: &dyn Embedder, strategies: &[StrategyResults]) -> EmbedderInfo {
    let identity = embedder.identity();
    EmbedderInfo {
        name: embedder.name().to_string(),
        id: embedder.id().to_string(),
        max_tokens: identity.max_tokens,
        backend: identity.backend,
        revision: identity.revision,
        pooling: identity.pooling,
        dimension: strategies.first().map_or(0, |s| s.index.dimension),
        query_prefix: identity.query_prefix,
        document_prefix: identity.document_prefix,
    }
}

/// Settings no run can honour.
fn check(config: &RunConfig) -> Result<()> {
    if config.k == 0 {
        return Err(Error::Usage("k must be at least 1".into()));
    }
    if !(config.found_share > 0.0 && config.found_share <= 1.0) {
        return Err(Error::Usage(format!(
            "the found share must be in (0, 1], got {}",
            config.found_share
        )));
    }
    if config.bootstrap == 0 {
        return Err(Error::Usage(
            "bootstrap resamples must be at least 1".into(),
        ));
    }
    if config.strategies.is_empty() {
        return Err(Error::Usage("no strategies to run".into()));
    }
    Ok(())
}

/// Stage 3: retrieval and per-question scores, one strategy per task.
fn retrieve_and_score(
    config: &RunConfig,
    chunked: &[Chunked],
    embedded: &Embedded,
) -> Vec<StrategyResults> {
    let settings = evaluate::Settings {
        k: config.k,
        found_share: config.found_share,
    };
    let questions = embedded.questions(chunked);
    chunked
        .par_iter()
        .enumerate()
        .map(|(s, c)| {
            evaluate::score_strategy(
                &config.strategies[s],
                &config.dataset,
                &c.chunks,
                embedded.chunks(s, chunked),
                questions,
                &settings,
            )
        })
        .collect()
}

fn strategy_timings(
    config: &RunConfig,
    chunked: Vec<Chunked>,
    embedded: &Embedded,
    answer_costs: Vec<AnswerCost>,
) -> Vec<StrategyTiming> {
    config
        .strategies
        .iter()
        .zip(chunked)
        .zip(&embedded.new_per_strategy)
        .zip(answer_costs)
        .map(|(((s, c), &n), answer)| StrategyTiming {
            name: s.name.clone(),
            chunk_cpu_seconds: c.cpu_seconds,
            new_texts: n,
            llm: c.llm,
            answer,
        })
        .collect()
}

/// Each strategy's index cost and truncation, with a warning line for a strategy whose text the
/// embedder mostly did not see.
fn add_index_stats(
    config: &RunConfig,
    embedder: &dyn Embedder,
    chunked: &[Chunked],
    embedded: &Embedded,
    strategies: &mut [StrategyResults],
) {
    let identity = embedder.identity();
    let dimension = embedded.vectors.first().map_or(0, |v| v.len());
    for (s, r) in strategies.iter_mut().enumerate() {
        r.index = index::index_stats(
            embedded.tokens(s, chunked),
            identity.max_tokens,
            dimension,
            config.embed_price,
        );
        if let (Some(share), Some(max)) = (r.index.unseen_token_share, identity.max_tokens) {
            if share > index::WARN_UNSEEN_SHARE {
                eprintln!(
                    "warning: strategy \"{}\" loses {:.1}% of its text to truncation: {} of {} chunks are longer than the {max} tokens {} reads; its scores reflect only their beginnings",
                    r.name,
                    100.0 * share,
                    r.index.truncated_chunks,
                    r.index.vectors,
                    identity.name
                );
            }
        }
    }
}

fn run_results(
    config: &RunConfig,
    embedder: &dyn Embedder,
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
        strategies,
        comparisons,
    }
}
