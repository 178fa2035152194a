//! Stage 1: every (strategy, document) pair chunked in parallel. Strategies that need a language
//! model get their own metered handle on it, so its cost is attributed to them.

use std::time::Instant;

use rayon::prelude::*;

use super::RunConfig;
use crate::chunk::{ChunkEnv, Chunker, Span, WithLlm};
use crate::error::{Error, Result};
use crate::llm::LlmCost;
use crate::output::Progress;

/// The chunks of one strategy over the whole dataset, in collection order (documents in dataset
/// order, chunks in document order).
pub struct Chunked {
    /// (document index, byte span)
    pub chunks: Vec<(usize, Span)>,
    /// CPU seconds spent chunking, summed over documents.
    pub cpu_seconds: f64,
    /// What the strategy's language model cost (strategies that use one).
    pub llm: Option<LlmCost>,
}

/// Chunks every document with every strategy; `env` gives embedding-based chunkers the run's
/// embedder.
pub fn chunk_all(
    config: &RunConfig,
    chunkers: &[Box<dyn Chunker>],
    env: &dyn ChunkEnv,
    progress: &Progress,
) -> Result<Vec<Chunked>> {
    let dataset = &config.dataset;
    let pairs: Vec<(usize, usize)> = (0..chunkers.len())
        .flat_map(|s| (0..dataset.documents.len()).map(move |d| (s, d)))
        .collect();
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
            Ok(WithLlm { base: env, llm })
        })
        .collect::<Result<Vec<_>>>()?;
    let bar = progress.bar("chunking", pairs.len() as u64);
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
    bar.finish_and_clear();
    let mut chunked: Vec<Chunked> = envs
        .into_iter()
        .map(|e| Chunked {
            chunks: Vec::new(),
            cpu_seconds: 0.0,
            llm: e.llm.map(|l| l.cost()),
        })
        .collect();
    for (&(s, d), (out, secs)) in pairs.iter().zip(spans) {
        chunked[s].chunks.extend(out.into_iter().map(|sp| (d, sp)));
        chunked[s].cpu_seconds += secs;
    }
    Ok(chunked)
}
