//! Stage 1: every (strategy, document) pair chunked in parallel. Strategies that need a language
//! model get their own metered handle on it, so its cost is attributed to them.

use std::time::Instant;

use rayon::prelude::*;

use super::RunConfig;
use crate::chunk::{Chunk, ChunkEnv, Chunker, Doc, Embedding, Span, WithLlm};
use crate::error::{Error, Result};
use crate::llm::LlmCost;
use crate::output::Progress;

/// The chunks of one strategy over the whole dataset, in collection order (documents in dataset
/// order, chunks in document order).
pub struct Chunked {
    /// (document index, retrieval unit)
    pub chunks: Vec<(usize, Chunk)>,
    /// How the units become vectors.
    pub embedding: Embedding,
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
    let spans: Vec<(Vec<Chunk>, f64)> = pairs
        .par_iter()
        .map(|&(s, d)| {
            let t = Instant::now();
            let doc = &dataset.documents[d];
            let doc_ref = Doc {
                id: &doc.id,
                text: &doc.text,
            };
            let out = chunkers[s].units(doc_ref, &envs[s]).map_err(|e| {
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
        .zip(chunkers)
        .map(|(e, c)| Chunked {
            chunks: Vec::new(),
            embedding: c.embedding(),
            cpu_seconds: 0.0,
            llm: e.llm.map(|l| l.cost()),
        })
        .collect();
    for (&(s, d), (out, secs)) in pairs.iter().zip(spans) {
        chunked[s].chunks.extend(out.into_iter().map(|u| (d, u)));
        chunked[s].cpu_seconds += secs;
    }
    Ok(chunked)
}

impl Chunked {
    /// The spans handed over, and for each unit the index of its own in them: the units' spans
    /// (one each) unless some unit returns another span (a parent), then the distinct returned
    /// spans in order of first appearance.
    pub fn returns(&self) -> (Vec<(usize, Span)>, Vec<usize>) {
        if self.chunks.iter().all(|(_, u)| u.returned.is_none()) {
            let spans = self.chunks.iter().map(|(d, u)| (*d, u.span)).collect();
            return (spans, (0..self.chunks.len()).collect());
        }
        let mut index = std::collections::HashMap::new();
        let mut spans = Vec::new();
        let of = self
            .chunks
            .iter()
            .map(|(d, u)| {
                *index.entry((*d, u.handed_span())).or_insert_with(|| {
                    spans.push((*d, u.handed_span()));
                    spans.len() - 1
                })
            })
            .collect();
        (spans, of)
    }
}
