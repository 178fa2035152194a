//! The orchestrator: loads the dataset, chunks every document with every strategy in parallel
//! (rayon), embeds all chunk texts and questions once through the cache, retrieves and scores per
//! strategy in parallel, and returns the results for the exporters.

pub mod chunking;
pub mod embedding;
pub mod evaluate;
pub mod index;
mod info;
pub mod retrieval;
pub mod shard;
pub mod summary;

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::answers::AnswerSetup;
use crate::chunk;
use crate::chunk::{ChunkEnv, NoEmbeddings};
use crate::dataset::Dataset;
use crate::embed::{Embedder, EmbeddingCache, SharedEmbedder};
use crate::error::{Error, Result};
use crate::llm::LlmSetup;
use crate::output::Progress;
use crate::rerank::RerankStage;
use crate::results::*;
use crate::retrieve::{Handover, Setup};
use crate::strategy::Strategy;
use chunking::Chunked;
use embedding::Embedded;
use retrieval::{Retrieval, Row};

/// What to run.
pub struct RunConfig {
    pub dataset: Dataset,
    /// The dataset path as the user gave it (for the report).
    pub dataset_path: PathBuf,
    pub strategies: Vec<Strategy>,
    /// The top-k of `top-k` hand-overs (recorded in the results).
    pub k: usize,
    /// How chunks are retrieved and handed over: every strategy runs under every setup.
    pub setups: Vec<Setup>,
    /// The rerank stage of the setups that rerank.
    pub rerank: Option<RerankStage>,
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

/// The embedder and its cache, opened by the caller (the CLI) only when the run needs vectors
/// (a dense or hybrid retriever, or an embedding-based chunker): see [`RunConfig::needs_embedder`].
pub struct Models<'a> {
    pub embedder: &'a mut dyn Embedder,
    pub cache: &'a mut EmbeddingCache,
}

impl RunConfig {
    /// Whether the run embeds anything: a retriever reads vectors or a chunker embeds.
    pub fn needs_embedder(&self) -> Result<bool> {
        let mut needs = self.setups.iter().any(|s| s.retriever.needs_vectors());
        for s in &self.strategies {
            needs |= chunk::build(s)?.needs_embeddings();
        }
        Ok(needs)
    }

    /// Whether rows keep plain strategy names: the run has only the default setup.
    fn plain_names(&self) -> bool {
        matches!(self.setups.as_slice(), [one] if one.is_default())
    }
}

/// Runs the benchmark: chunk, embed, retrieve and score, answer metrics (opt-in), aggregate.
pub fn run(config: &RunConfig, models: Option<Models>, progress: &Progress) -> Result<RunOutput> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let chunkers = chunkers(config, models.is_some())?;
    timings.load_seconds = started.elapsed().as_secs_f64();
    announce(config, progress);

    let t = Instant::now();
    let (chunked, models) = chunk_stage(config, &chunkers, models, progress, &mut timings)?;
    timings.chunk_seconds = t.elapsed().as_secs_f64();
    let total_chunks: usize = chunked.iter().map(|c| c.chunks.len()).sum();
    progress.note(&format!(
        "chunked: {total_chunks} chunks in {:.1} s",
        timings.chunk_seconds
    ));
    warn_when_k_takes_everything(config, &chunked);

    let (embedded, embedder) = embed_stage(config, &chunked, models, progress, &mut timings)?;

    let t = Instant::now();
    let mut rows = retrieve_and_score(config, &chunked, embedded.as_ref(), progress)?;
    add_index_stats(
        config,
        embedder.as_deref(),
        &chunked,
        embedded.as_ref(),
        &mut rows,
    );
    let row_strategies: Vec<(usize, String)> = rows
        .iter()
        .map(|(s, r)| (*s, r.results.name.clone()))
        .collect();
    let (mut strategies, retrieval_timings): (Vec<StrategyResults>, Vec<RetrievalTiming>) =
        rows.into_iter().map(|(_, r)| (r.results, r.timing)).unzip();
    timings.score_seconds = t.elapsed().as_secs_f64();

    let answers = answer_stage(config, &mut strategies, progress, &mut timings)?;

    let t = Instant::now();
    let (strategies, comparisons) =
        summary::summarise(&config.dataset, strategies, config.bootstrap, config.seed);
    timings.score_seconds += t.elapsed().as_secs_f64();
    timings.strategies = strategy_timings(
        &row_strategies,
        &chunked,
        embedded.as_ref(),
        answers.costs,
        retrieval_timings,
    );
    timings.total_seconds = started.elapsed().as_secs_f64();
    timings.peak_rss_bytes = crate::results::timings::peak_rss_bytes();
    let results = info::run_results(config, embedder.as_deref(), strategies, comparisons);
    Ok(RunOutput { results, timings })
}

/// The run's chunkers, after checking that the run can be done (with an embedder when
/// `has_embedder`).
fn chunkers(config: &RunConfig, has_embedder: bool) -> Result<Vec<Box<dyn chunk::Chunker>>> {
    check(config)?;
    if !has_embedder && config.needs_embedder()? {
        return Err(Error::Usage(
            "this run needs an embedding model (a dense or hybrid retriever, or an embedding-based strategy), and none was opened".into(),
        ));
    }
    config.strategies.iter().map(chunk::build).collect()
}

/// Stage 2: every chunk and question embedded through the cache, when the run has a model;
/// the embedder is handed back for the results' metadata.
fn embed_stage<'a>(
    config: &RunConfig,
    chunked: &[Chunked],
    models: Option<Models<'a>>,
    progress: &Progress,
    timings: &mut Timings,
) -> Result<(Option<Embedded<'a>>, Option<&'a mut dyn Embedder>)> {
    let Some(m) = models else {
        return Ok((None, None));
    };
    let e = embedding::embed_all(
        &config.dataset,
        chunked,
        config.batch,
        &mut *m.embedder,
        m.cache,
        progress,
        timings,
    )?;
    Ok((Some(e), Some(m.embedder)))
}

/// Stage 5 (opt-in): the model-based answer metrics of every row.
fn answer_stage(
    config: &RunConfig,
    strategies: &mut [StrategyResults],
    progress: &Progress,
    timings: &mut Timings,
) -> Result<crate::answers::Outcome> {
    let t = Instant::now();
    let mut answers = crate::answers::evaluate(
        &config.answers,
        &config.dataset,
        strategies,
        config.seed,
        progress,
    )?;
    timings.answer_seconds = t.elapsed().as_secs_f64();
    timings.utility_baseline = answers.baseline.take();
    if !config.answers.is_empty() {
        progress.note(&format!(
            "answer metrics in {:.1} s",
            timings.answer_seconds
        ));
    }
    Ok(answers)
}

/// One line on what the run is about to do.
fn announce(config: &RunConfig, progress: &Progress) {
    let dataset = &config.dataset;
    let setups: Vec<String> = config.setups.iter().map(Setup::label).collect();
    progress.note(&format!(
        "dataset {}: {} documents, {} questions; {} strategies × {} retrieval setup{} ({})",
        dataset.name,
        dataset.documents.len(),
        dataset.questions.len(),
        config.strategies.len(),
        setups.len(),
        if setups.len() == 1 { "" } else { "s" },
        setups.join("; ")
    ));
}

/// Stage 1: every document chunked by every strategy; embedding-based chunkers use the run's
/// embedder (when there is one), which is handed back for stage 2, and what they embedded goes
/// into `timings`.
fn chunk_stage<'a>(
    config: &RunConfig,
    chunkers: &[Box<dyn chunk::Chunker>],
    models: Option<Models<'a>>,
    progress: &Progress,
    timings: &mut Timings,
) -> Result<(Vec<Chunked>, Option<Models<'a>>)> {
    match models {
        Some(m) => {
            let env = SharedEmbedder::new(m.embedder, m.cache, config.batch);
            chunking::embed_ahead(config, chunkers, &env, progress)?;
            let chunked = chunking::chunk_all(config, chunkers, &env as &dyn ChunkEnv, progress)?;
            timings.chunk_embedding = Some(env.work().into());
            let (embedder, cache) = env.into_inner();
            Ok((chunked, Some(Models { embedder, cache })))
        }
        None => Ok((
            chunking::chunk_all(config, chunkers, &NoEmbeddings, progress)?,
            None,
        )),
    }
}

/// A strategy with no more chunks than `k` has every chunk retrieved for every question: its
/// recall is trivially complete and says nothing about retrieval. Allowed (a tiny corpus is a fair
/// smoke test), but said once per such strategy.
fn warn_when_k_takes_everything(config: &RunConfig, chunked: &[Chunked]) {
    if !config
        .setups
        .iter()
        .any(|s| matches!(s.handover, Handover::TopK(_)))
    {
        return;
    }
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
    if config.setups.is_empty() {
        return Err(Error::Usage("no retrievers to run".into()));
    }
    if config.setups.iter().any(|s| s.rerank) && config.rerank.is_none() {
        return Err(Error::Usage(
            "a retriever ends in +rerank, but no reranker is configured; add --reranker local (the embedded language model) or --reranker URL".into(),
        ));
    }
    Ok(())
}

/// Stage 4: retrieval and per-question scores, one strategy per task; rows come out setup-major
/// (every strategy under the first setup, then under the next).
fn retrieve_and_score(
    config: &RunConfig,
    chunked: &[Chunked],
    embedded: Option<&Embedded>,
    progress: &Progress,
) -> Result<Vec<(usize, Row)>> {
    let total = chunked.len() * config.setups.len() * config.dataset.questions.len();
    let bar = progress.bar("retrieving", total as u64);
    let retrieval = Retrieval {
        bar: &bar,
        setups: &config.setups,
        rerank: config.rerank.as_ref(),
        found_share: config.found_share,
        plain_names: config.plain_names(),
    };
    let questions = embedded.map(|e| e.questions());
    let per_strategy: Vec<Vec<Row>> = chunked
        .par_iter()
        .enumerate()
        .map(|(s, c)| {
            // Only the strategies being scored have their vectors in memory.
            let vectors = embedded.map(|e| e.chunks(s, chunked)).transpose()?;
            retrieval::score_strategy(
                &config.strategies[s],
                &config.dataset,
                c,
                vectors.as_deref(),
                questions,
                &retrieval,
            )
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mut columns: Vec<std::vec::IntoIter<Row>> =
        per_strategy.into_iter().map(Vec::into_iter).collect();
    let mut rows = Vec::new();
    for _ in &config.setups {
        for (s, col) in columns.iter_mut().enumerate() {
            rows.push((s, col.next().expect("one row per setup")));
        }
    }
    Ok(rows)
}

/// Every row's timings: its strategy's chunking cost (shared by the strategy's rows), its
/// answer-metric cost and what retrieving it cost.
fn strategy_timings(
    rows: &[(usize, String)],
    chunked: &[Chunked],
    embedded: Option<&Embedded>,
    answer_costs: Vec<AnswerCost>,
    retrieval: Vec<RetrievalTiming>,
) -> Vec<StrategyTiming> {
    rows.iter()
        .zip(answer_costs)
        .zip(retrieval)
        .map(|(((s, name), answer), retrieval)| StrategyTiming {
            name: name.clone(),
            chunk_cpu_seconds: chunked[*s].cpu_seconds,
            new_texts: embedded.map_or(0, |e| e.new_per_strategy[*s]),
            llm: chunked[*s].llm.clone(),
            late: embedded.and_then(|e| e.late[*s].clone()),
            answer,
            retrieval: Some(retrieval),
        })
        .collect()
}

/// Each row's index cost: for a retriever that reads embeddings, the embedder's tokens and
/// truncation of its strategy's chunks (with a warning line, once per strategy, when it mostly
/// did not see their text); for every row, the bytes of its index.
fn add_index_stats(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    chunked: &[Chunked],
    embedded: Option<&Embedded>,
    rows: &mut [(usize, Row)],
) {
    let mut warned = vec![false; chunked.len()];
    for (s, row) in rows.iter_mut() {
        let r = &mut row.results;
        if let (Some(embedder), Some(embedded), true) = (embedder, embedded, row.uses_vectors) {
            let identity = embedder.identity();
            let dimension = embedded.dimension();
            // Late pooling reads whole documents in windows: nothing of a chunk is cut off.
            let max_tokens = match chunked[*s].embedding {
                chunk::Embedding::Text => identity.max_tokens,
                chunk::Embedding::Late { .. } => None,
            };
            r.index = index::index_stats(
                embedded.tokens(*s, chunked),
                max_tokens,
                dimension,
                config.embed_price,
            );
            warn_when_truncated(
                &config.strategies[*s].name,
                &r.index,
                &identity,
                &mut warned[*s],
            );
        }
        r.index.bytes = row.timing.index_bytes;
    }
}

/// The warning line for a strategy whose text the embedder mostly did not see.
fn warn_when_truncated(
    strategy: &str,
    index: &IndexStats,
    identity: &crate::embed::Identity,
    warned: &mut bool,
) {
    if let (Some(share), Some(max)) = (index.unseen_token_share, identity.max_tokens) {
        if share > index::WARN_UNSEEN_SHARE && !*warned {
            *warned = true;
            eprintln!(
                "warning: strategy \"{strategy}\" loses {:.1}% of its text to truncation: {} of {} chunks are longer than the {max} tokens {} reads; its scores reflect only their beginnings",
                100.0 * share,
                index.truncated_chunks,
                index.vectors,
                identity.name
            );
        }
    }
}
