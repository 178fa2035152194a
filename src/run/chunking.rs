//! Stage 1: every (strategy, document) pair chunked in parallel. Strategies that need a language
//! model get their own metered handle on it, so its cost is attributed to them.

use std::time::Instant;

use rayon::prelude::*;

use super::RunConfig;
use crate::chunk::{Chunk, ChunkEnv, Chunker, Doc, Embedding, Span, WithLlm};
use crate::embed::SharedEmbedder;
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

/// Embeds, before chunking, the texts the embedding-based chunkers will ask for (their
/// [`Chunker::embedding_spans`]) for every document, in one pass: batches of like token counts
/// across documents keep every session busy, where each document on its own leaves small
/// batches, and embedding stays out of the parallel chunking tasks. The chunkers then find their
/// vectors in the cache.
pub fn embed_ahead(
    config: &RunConfig,
    chunkers: &[Box<dyn Chunker>],
    env: &SharedEmbedder,
    progress: &Progress,
) -> Result<()> {
    let documents = &config.dataset.documents;
    let pairs: Vec<(usize, usize)> = (0..chunkers.len())
        .filter(|&s| chunkers[s].needs_embeddings())
        .flat_map(|s| (0..documents.len()).map(move |d| (s, d)))
        .collect();
    let spans: Vec<Vec<Span>> = pairs
        .par_iter()
        .map(|&(s, d)| {
            chunkers[s]
                .embedding_spans(&documents[d].text)
                .map_err(|e| failed(config, s, &documents[d].id, e))
        })
        .collect::<Result<_>>()?;
    let mut seen = std::collections::HashSet::new();
    let texts: Vec<&str> = pairs
        .iter()
        .zip(&spans)
        .flat_map(|(&(_, d), spans)| {
            spans
                .iter()
                .map(move |s| &documents[d].text[s.start..s.end])
        })
        .filter(|t| seen.insert(*t))
        .collect();
    if texts.is_empty() {
        return Ok(());
    }
    let bar = progress.bar("pieces", texts.len() as u64);
    env.cache_documents(&texts, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    Ok(())
}

/// A strategy's error on one document, naming both.
fn failed(config: &RunConfig, strategy: usize, doc: &str, e: Error) -> Error {
    Error::Usage(format!(
        "strategy {:?} failed on document {doc:?}: {e}",
        config.strategies[strategy].name
    ))
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
            let out = chunkers[s]
                .units(doc_ref, &envs[s])
                .map_err(|e| failed(config, s, &doc.id, e))?;
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
