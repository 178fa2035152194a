//! Sharded runs: `--shard I/N` gives machine `I` (0-based) of `N` the documents (and questions)
//! whose id hashes to it, by a stable hash (the first 8 bytes of sha256 of the id, modulo `N`), so
//! every machine computes the same split whatever its platform or the dataset's order. A shard
//! run does the expensive part only: it chunks its documents with every strategy and embeds the
//! chunks and its questions, filling the caches (embeddings, language-model answers); it retrieves
//! and scores nothing. `chunkbench cache merge` combines the shards' caches, and the unsharded run
//! over the merged caches then finds every vector and answer computed.

use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{chunk_stage, chunkers, embed_stage, Models, RunConfig};
use crate::dataset::Dataset;
use crate::error::Result;
use crate::output::Progress;
use crate::results::Timings;

/// One shard of `count`: `index` in `0..count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` (0 ≤ I < N), as the schedulers number their tasks from 0: a Kubernetes
    /// Indexed Job's `JOB_COMPLETION_INDEX`, `SLURM_ARRAY_TASK_ID` of `--array=0-(N-1)`.
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let bad = || {
            format!(
                "{s:?} is not a shard; write I/N with 0 <= I < N, e.g. 0/3, 1/3 and 2/3 for three machines"
            )
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the item with this id belongs to this shard.
    pub fn owns(&self, id: &str) -> bool {
        shard_of(id, self.count) == self.index
    }

    /// The documents and questions of `dataset` that belong to this shard (possibly none, when
    /// there are more shards than documents).
    pub fn select(&self, dataset: &Dataset) -> Dataset {
        Dataset {
            documents: dataset
                .documents
                .iter()
                .filter(|d| self.owns(&d.id))
                .cloned()
                .collect(),
            questions: dataset
                .questions
                .iter()
                .filter(|q| self.owns(&q.id))
                .cloned()
                .collect(),
            ..dataset.clone()
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard, of `count`, that an id belongs to.
pub fn shard_of(id: &str, count: usize) -> usize {
    let digest = Sha256::digest(id.as_bytes());
    let h = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    (h % count as u64) as usize
}

/// What a shard run did, as `shard.json` records it.
#[derive(Debug, Clone, Serialize)]
pub struct ShardReport {
    pub shard: String,
    /// The shard's documents and questions, and the dataset's.
    pub documents: usize,
    pub dataset_documents: usize,
    pub questions: usize,
    pub dataset_questions: usize,
    /// Retrieval units per strategy, in grid order.
    pub chunks: Vec<(String, usize)>,
    pub timings: Timings,
}

/// The expensive part of a run over the documents and questions of `shard`: every document
/// chunked by every strategy (embedding-based and language-model chunkers fill their caches on the
/// way), every chunk and question embedded into the cache. Nothing is retrieved or scored.
/// `config.dataset` is the whole dataset.
pub fn fill(
    config: &RunConfig,
    shard: Shard,
    models: Option<Models>,
    progress: &Progress,
) -> Result<ShardReport> {
    let started = Instant::now();
    let whole = &config.dataset;
    let mine = RunConfig {
        dataset: shard.select(whole),
        strategies: config.strategies.clone(),
        // Reranking and the answer metrics work on retrieved chunks: the final run's.
        setups: config
            .setups
            .iter()
            .cloned()
            .map(|mut s| {
                s.rerank = false;
                s
            })
            .collect(),
        llm: config.llm.clone(),
        answers: Default::default(),
        rerank: None,
        dataset_path: config.dataset_path.clone(),
        ..*config
    };
    let ds = &mine.dataset;
    progress.note(&format!(
        "shard {shard}: {} of {} documents, {} of {} questions; chunking and embedding only",
        ds.documents.len(),
        whole.documents.len(),
        ds.questions.len(),
        whole.questions.len()
    ));
    let mut timings = Timings::default();
    let chunkers = chunkers(&mine, models.is_some())?;
    let t = Instant::now();
    let (chunked, models) = chunk_stage(&mine, &chunkers, models, progress, &mut timings)?;
    timings.chunk_seconds = t.elapsed().as_secs_f64();
    embed_stage(&mine, &chunked, models, progress, &mut timings)?;
    timings.total_seconds = started.elapsed().as_secs_f64();
    timings.peak_rss_bytes = crate::results::timings::peak_rss_bytes();
    Ok(ShardReport {
        shard: shard.to_string(),
        documents: ds.documents.len(),
        dataset_documents: whole.documents.len(),
        questions: ds.questions.len(),
        dataset_questions: whole.questions.len(),
        chunks: mine
            .strategies
            .iter()
            .zip(&chunked)
            .map(|(s, c)| (s.name.clone(), c.chunks.len()))
            .collect(),
        timings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        assert_eq!(Shard::parse(" 0 / 1 "), Ok(Shard { index: 0, count: 1 }));
        for bad in ["3/3", "1/0", "1", "a/3", "-1/3", "1/3/4"] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains("0 <= I < N"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_id_has_exactly_one_shard_and_the_split_is_stable() {
        let ids: Vec<String> = (0..300).map(|i| format!("doc-{i}.md")).collect();
        for n in [1, 2, 3, 7] {
            let mut sizes = vec![0; n];
            for id in &ids {
                let owners: Vec<usize> = (0..n)
                    .filter(|&i| Shard { index: i, count: n }.owns(id))
                    .collect();
                assert_eq!(owners.len(), 1);
                sizes[owners[0]] += 1;
            }
            // A hash, not a round robin: roughly even, every shard used.
            assert!(sizes.iter().all(|&s| s * n * 2 > ids.len()), "{sizes:?}");
        }
        // Pinned: a changed hash would send a document to another machine than a previous
        // shard run of the same split did.
        assert_eq!(shard_of("doc-0.md", 3), shard_of("doc-0.md", 3));
        let pinned: Vec<usize> = ids[..8].iter().map(|id| shard_of(id, 3)).collect();
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [usize; 8] = [2, 2, 0, 1, 1, 2, 0, 1];
}
