//! The orchestrator: loads the dataset, chunks every document with every strategy in parallel
//! (rayon), embeds all chunk texts and questions once through the cache, retrieves and scores per
//! strategy in parallel, and returns the results for the exporters.

pub mod evaluate;

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::chunk::{self, sizer::cl100k_tokens, Span};
use crate::dataset::Dataset;
use crate::embed::{embed_cached, Embedder, EmbeddingCache, SharedEmbedder};
use crate::error::{Error, Result};
use crate::output::Progress;
use crate::results::*;
use crate::strategy::Strategy;

/// What to run.
pub struct RunConfig {
    pub dataset: Dataset,
    /// The dataset path as the user gave it (for the report).
    pub dataset_path: PathBuf,
    pub strategies: Vec<Strategy>,
    pub k: usize,
    /// Texts per embedding batch.
    pub batch: usize,
    /// The embedder's input limit in word pieces (for the report).
    pub max_tokens: usize,
    /// Share of an excerpt that must be retrieved for it to count as found (excerpt recall).
    pub found_share: f64,
    /// Bootstrap resamples for the intervals, and their seed.
    pub bootstrap: usize,
    pub seed: u64,
    /// The language model of `llm:` strategies (loaded by the caller only when one needs it).
    pub llm: Option<crate::llm::LlmSetup>,
    /// The model-based answer metrics to compute (none by default).
    pub answers: crate::answers::AnswerSetup,
}

/// Everything a run produces.
pub struct RunOutput {
    pub results: RunResults,
    pub timings: Timings,
}

/// The chunks of one strategy over the whole dataset, in collection order (documents in dataset
/// order, chunks in document order).
struct Chunked {
    /// (document index, byte span)
    chunks: Vec<(usize, Span)>,
    cpu_seconds: f64,
}

/// Runs the benchmark. `embedder` and `cache` are opened by the caller (the CLI), so tests and
/// other front ends can pass their own.
pub fn run(
    config: &RunConfig,
    embedder: &mut dyn Embedder,
    cache: &mut EmbeddingCache,
    progress: &Progress,
) -> Result<RunOutput> {
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
    let started = Instant::now();
    let mut timings = Timings::default();

    let dataset = &config.dataset;
    let chunkers = config
        .strategies
        .iter()
        .map(chunk::build)
        .collect::<Result<Vec<_>>>()?;
    timings.load_seconds = started.elapsed().as_secs_f64();
    progress.note(&format!(
        "dataset {}: {} documents, {} questions; {} strategies, k = {}",
        dataset.name,
        dataset.documents.len(),
        dataset.questions.len(),
        config.strategies.len(),
        config.k
    ));

    // 1. Chunk every (strategy, document) pair in parallel.
    let t = Instant::now();
    let pairs: Vec<(usize, usize)> = (0..chunkers.len())
        .flat_map(|s| (0..dataset.documents.len()).map(move |d| (s, d)))
        .collect();
    let bar = progress.bar("chunking", pairs.len() as u64);
    let env = SharedEmbedder::new(embedder, cache, config.batch);
    // Strategies that need a language model get their own metered handle on it.
    let envs = chunkers
        .iter()
        .zip(&config.strategies)
        .map(|(c, s)| {
            let llm = match (c.needs_llm(), &config.llm) {
                (false, _) => None,
                (true, Some(l)) => Some(l.handle()),
                (true, None) => {
                    return Err(Error::Usage(format!(
                        "strategy {:?} needs a language model, but none was configured",
                        s.name
                    )))
                }
            };
            Ok(crate::llm::WithLlm { base: &env, llm })
        })
        .collect::<Result<Vec<_>>>()?;
    let spans: Vec<(Vec<Span>, f64)> = pairs
        .par_iter()
        .map(|&(s, d)| {
            let t = Instant::now();
            let doc = &dataset.documents[d];
            let out = chunkers[s].chunk(&doc.text, &envs[s]).map_err(|e| {
                Error::Usage(format!(
                    "strategy {:?} failed on document {:?}: {e}",
                    config.strategies[s].name, doc.id
                ))
            })?;
            bar.inc(1);
            Ok((out, t.elapsed().as_secs_f64()))
        })
        .collect::<Result<_>>()?;
    let llm_costs: Vec<_> = envs.into_iter().map(|e| e.llm.map(|l| l.cost())).collect();
    let (embedder, cache) = env.into_inner();
    bar.finish_and_clear();
    let mut chunked: Vec<Chunked> = (0..chunkers.len())
        .map(|_| Chunked {
            chunks: Vec::new(),
            cpu_seconds: 0.0,
        })
        .collect();
    for (&(s, d), (out, secs)) in pairs.iter().zip(spans) {
        chunked[s].chunks.extend(out.into_iter().map(|sp| (d, sp)));
        chunked[s].cpu_seconds += secs;
    }
    timings.chunk_seconds = t.elapsed().as_secs_f64();
    let total_chunks: usize = chunked.iter().map(|c| c.chunks.len()).sum();
    progress.note(&format!(
        "chunked: {total_chunks} chunks in {:.1} s",
        timings.chunk_seconds
    ));

    // 2. Embed every chunk text and question once, through the cache.
    let t = Instant::now();
    let text_of = |d: usize, sp: &Span| &dataset.documents[d].text[sp.start..sp.end];
    let mut texts: Vec<&str> = Vec::with_capacity(total_chunks + dataset.questions.len());
    for c in &chunked {
        texts.extend(c.chunks.iter().map(|(d, sp)| text_of(*d, sp)));
    }
    texts.extend(dataset.questions.iter().map(|q| q.text.as_str()));
    let new_per_strategy: Vec<usize> = chunked
        .iter()
        .map(|c| {
            let mut seen = std::collections::HashSet::new();
            c.chunks
                .iter()
                .map(|(d, sp)| cache.key(text_of(*d, sp)))
                .filter(|k| !cache.contains(k) && seen.insert(*k))
                .count()
        })
        .collect();
    let keyed: Vec<_> = texts.par_iter().map(|t| (cache.key(t), *t)).collect();
    let mut distinct = std::collections::HashSet::new();
    let mut missing: Vec<&str> = Vec::new();
    for (k, t) in &keyed {
        if distinct.insert(*k) && !cache.contains(k) {
            missing.push(t);
        }
    }
    let missing_tokens: usize = missing.par_iter().map(|t| cl100k_tokens(t)).sum();
    let cached_distinct = distinct.len() - missing.len();
    progress.note(&format!(
        "embedding: {} texts, {} distinct, {cached_distinct} already in the cache; {} to embed ({missing_tokens} cl100k tokens)",
        texts.len(),
        distinct.len(),
        missing.len()
    ));
    let bar = progress.bar("embedding", 0);
    let mut reported_total = false;
    let mut new_total = 0;
    let vectors = embed_cached(embedder, cache, &texts, config.batch, |done, total| {
        if !reported_total {
            new_total = total;
            bar.set_length(total as u64);
            reported_total = true;
        }
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    timings.embed_seconds = t.elapsed().as_secs_f64();
    timings.embedded_tokens = missing_tokens;
    timings.embedded_texts = new_total;
    timings.cached_texts = cached_distinct;
    timings.embed_tokens_per_second = if timings.embed_seconds > 0.0 {
        missing_tokens as f64 / timings.embed_seconds
    } else {
        0.0
    };
    progress.note(&format!("embedded in {:.1} s", timings.embed_seconds));

    // 3. Retrieve and score, one strategy per task.
    let t = Instant::now();
    let question_vectors = &vectors[total_chunks..];
    let mut offsets = Vec::with_capacity(chunked.len());
    let mut at = 0;
    for c in &chunked {
        offsets.push(at);
        at += c.chunks.len();
    }
    let mut strategies: Vec<StrategyResults> = chunked
        .par_iter()
        .enumerate()
        .map(|(s, c)| {
            let vecs = &vectors[offsets[s]..offsets[s] + c.chunks.len()];
            evaluate::score_strategy(
                &config.strategies[s],
                dataset,
                &c.chunks,
                vecs,
                question_vectors,
                &evaluate::Settings {
                    k: config.k,
                    found_share: config.found_share,
                },
            )
        })
        .collect();
    timings.score_seconds = t.elapsed().as_secs_f64();

    // 4. Model-based answer metrics on what was retrieved (opt-in).
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
        evaluate::summarise(dataset, strategies, config.bootstrap, config.seed);
    timings.score_seconds += t.elapsed().as_secs_f64();
    timings.strategies = config
        .strategies
        .iter()
        .zip(&chunked)
        .zip(&new_per_strategy)
        .zip(llm_costs)
        .zip(answers.costs)
        .map(|((((s, c), &n), llm), answer)| StrategyTiming {
            name: s.name.clone(),
            chunk_cpu_seconds: c.cpu_seconds,
            new_texts: n,
            llm,
            answer,
        })
        .collect();
    timings.total_seconds = started.elapsed().as_secs_f64();

    let results = RunResults {
        chunkbench_version: env!("CARGO_PKG_VERSION").to_string(),
        dataset: DatasetInfo {
            name: dataset.name.clone(),
            path: config.dataset_path.display().to_string(),
            format: dataset.format,
            documents: dataset.documents.len(),
            questions: dataset.questions.len(),
            corpora: dataset.corpora(),
        },
        embedder: EmbedderInfo {
            name: embedder.name().to_string(),
            id: embedder.id().to_string(),
            max_tokens: config.max_tokens,
        },
        k: config.k,
        span_unit: "characters (Unicode code points)".into(),
        found_share: config.found_share,
        bootstrap_resamples: config.bootstrap,
        bootstrap_seed: config.seed,
        answer_models: config.answers.models(dataset.questions.len()),
        strategies,
        comparisons,
    };
    Ok(RunOutput { results, timings })
}
