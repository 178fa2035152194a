//! Stage 4 for one strategy: every retrieval setup's index built over its chunks, every
//! question ranked (and reranked), handed over and scored — one result row per setup, with the
//! index build time and the query latencies measured.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::chunking::Chunked;
use super::evaluate::Scorer;
use crate::chunk::sizer::cl100k_tokens;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::rerank::{CachedReranker, RerankStage};
use crate::results::{RetrievalTiming, RowSetup, StrategyResults};
use crate::retrieve::{Corpus, Hit, Index, Query, Setup};
use crate::score::aggregate::median_p95;
use crate::strategy::Strategy;

/// How the run retrieves: its setups, the rerank stage of the `+rerank` ones, and whether rows
/// keep plain strategy names (the run has only the default setup).
pub struct Retrieval<'a> {
    pub setups: &'a [Setup],
    pub rerank: Option<&'a RerankStage>,
    pub found_share: f64,
    pub plain_names: bool,
    /// Advanced once per question and setup.
    pub bar: &'a indicatif::ProgressBar,
}

/// One result row (a strategy under a setup) and what retrieving it cost.
pub struct Row {
    pub results: StrategyResults,
    pub timing: RetrievalTiming,
    /// Whether its retriever reads the embeddings (so the embedder's index statistics apply).
    pub uses_vectors: bool,
}

/// What one strategy's chunks and questions look like to the retrievers: the units' indexed
/// texts (what the index and the reranker read), and what is handed over — the returned spans'
/// texts and cl100k lengths, with the returned span of each unit when they are not the units.
struct Inputs<'a> {
    dataset: &'a Dataset,
    texts: Vec<&'a str>,
    handed_texts: Vec<&'a str>,
    handed_tokens: Vec<usize>,
    returns: Option<Vec<usize>>,
    vectors: Option<&'a [Arc<[f32]>]>,
    questions: Option<&'a [Arc<[f32]>]>,
    bar: &'a indicatif::ProgressBar,
}

/// Every setup's row for one strategy, in setup order. `chunked` holds its units in collection
/// order, `vectors` their embeddings and `questions` the questions' (when the run embedded
/// anything).
pub fn score_strategy(
    strategy: &Strategy,
    dataset: &Dataset,
    chunked: &Chunked,
    vectors: Option<&[Arc<[f32]>]>,
    questions: Option<&[Arc<[f32]>]>,
    retrieval: &Retrieval,
) -> Result<Vec<Row>> {
    let doc = |d: usize| dataset.documents[d].text.as_str();
    let indexed: Vec<Cow<str>> = chunked
        .chunks
        .iter()
        .map(|(d, u)| u.indexed_text(doc(*d)))
        .collect();
    let (returned, of) = chunked.returns();
    let handed_texts: Vec<&str> = returned
        .iter()
        .map(|(d, sp)| &doc(*d)[sp.start..sp.end])
        .collect();
    let handed_tokens: Vec<usize> = handed_texts.iter().map(|t| cl100k_tokens(t)).collect();
    let inputs = Inputs {
        dataset,
        texts: indexed.iter().map(|t| t.as_ref()).collect(),
        handed_texts,
        handed_tokens,
        returns: (returned.len() != of.len() || of.iter().enumerate().any(|(i, &r)| i != r))
            .then_some(of),
        vectors,
        questions,
        bar: retrieval.bar,
    };
    let scorer = Scorer::new(dataset, &returned, retrieval.found_share);
    let template = scorer.row(strategy, &inputs.handed_tokens);
    let mut rows = Vec::with_capacity(retrieval.setups.len());
    // One index per distinct retriever, shared by its hand-over rules and rerank stage.
    let mut built: Vec<(String, Box<dyn Index>, f64)> = Vec::new();
    for setup in retrieval.setups {
        if !built.iter().any(|(name, _, _)| *name == setup.spec.name) {
            let t = Instant::now();
            let index = setup.retriever.index(&Corpus {
                texts: &inputs.texts,
                vectors: inputs.vectors,
            })?;
            built.push((setup.spec.name.clone(), index, t.elapsed().as_secs_f64()));
        }
        let (_, index, seconds) = built
            .iter()
            .find(|(name, _, _)| *name == setup.spec.name)
            .expect("built above");
        let reranker = retrieval
            .rerank
            .filter(|_| setup.rerank)
            .map(RerankStage::handle);
        let mut row = run_setup(
            &inputs,
            &scorer,
            &**index,
            setup,
            reranker.as_ref(),
            template.clone(),
        )?;
        row.timing.index_seconds = *seconds;
        if !retrieval.plain_names {
            row.results.name = format!("{} @ {}", strategy.name, setup.label());
            row.results.setup = Some(RowSetup {
                strategy: strategy.name.clone(),
                retriever: setup.spec.name.clone(),
                reranker: reranker.as_ref().map(|r| r.id().to_string()),
                handover: setup.handover,
                label: setup.label(),
            });
        }
        row.timing.name = row.results.name.clone();
        rows.push(row);
    }
    Ok(rows)
}

/// Every question under one setup: ranked, reranked, handed over, scored, each timed.
fn run_setup(
    inputs: &Inputs,
    scorer: &Scorer,
    index: &dyn Index,
    setup: &Setup,
    reranker: Option<&CachedReranker>,
    mut results: StrategyResults,
) -> Result<Row> {
    let questions = &inputs.dataset.questions;
    let queries: Vec<Query> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| Query {
            text: &q.text,
            vector: inputs.questions.map(|v| &*v[i]),
        })
        .collect();
    // Every question ranked at once, as deep as the hand-over and the reranker first ask (the
    // dense index scores blocks of questions against blocks of chunks); each question's latency
    // counts its share of that.
    let depth = setup
        .handover
        .first_request()
        .max(reranker.map_or(0, |r| r.depth()));
    let t = Instant::now();
    let mut ranked = index.rank_many(&queries, depth).into_iter();
    let share = t.elapsed().as_micros() as usize / questions.len().max(1);
    let mut micros = Vec::with_capacity(questions.len());
    for (q, query) in questions.iter().zip(&queries) {
        let t = Instant::now();
        let mut ranking = Ranking {
            index,
            query,
            reranker,
            texts: &inputs.texts,
            head: None,
            ranked: ranked.next().unwrap_or_default(),
            depth,
        };
        let returns = inputs.returns.as_deref();
        let handed = setup.handover.take(
            |n| ranking.first_returned(n, returns),
            &inputs.handed_tokens,
            &inputs.handed_texts,
        )?;
        micros.push(share + t.elapsed().as_micros() as usize);
        results.questions.push(scorer.question(q, &handed));
        inputs.bar.inc(1);
    }
    let (p50, p95) = median_p95(&micros);
    Ok(Row {
        results,
        timing: RetrievalTiming {
            name: String::new(),
            retriever: setup.retriever_label(),
            handover: setup.handover.label(),
            index_seconds: 0.0,
            index_bytes: index.bytes(),
            queries: micros.len(),
            query_p50_ms: p50 / 1000.0,
            query_p95_ms: p95 / 1000.0,
            rerank: reranker.map(CachedReranker::cost),
        },
        uses_vectors: setup.retriever.needs_vectors(),
    })
}

/// One question's ranking under a setup: the index's, with its first `depth` candidates
/// reordered by the reranker — scored once, however often the hand-over asks for more.
struct Ranking<'a> {
    index: &'a dyn Index,
    query: &'a Query<'a>,
    reranker: Option<&'a CachedReranker>,
    texts: &'a [&'a str],
    /// The reranked first candidates, once computed.
    head: Option<Vec<Hit>>,
    /// The index's first `depth` chunks, ranked with the other questions.
    ranked: Vec<Hit>,
    depth: usize,
}

impl Ranking<'_> {
    /// The first `n` spans to hand over: the ranking of the units, each mapped to the span it
    /// returns (`of[unit]`, when units return others), each span once at its best unit's rank.
    fn first_returned(&mut self, n: usize, of: Option<&[usize]>) -> Result<Vec<Hit>> {
        let Some(of) = of else {
            return self.first(n);
        };
        let mut units = n;
        loop {
            let hits = self.first(units)?;
            let exhausted = hits.len() < units;
            let mut seen = HashSet::new();
            let out: Vec<Hit> = hits
                .into_iter()
                .filter(|(u, _)| seen.insert(of[*u]))
                .map(|(u, score)| (of[u], score))
                .take(n)
                .collect();
            if out.len() == n || exhausted {
                return Ok(out);
            }
            units *= 4;
        }
    }

    /// The index's first `n` chunks: from the ranking made with the other questions when it
    /// reaches that deep (or holds every chunk the index ranks), else ranked again.
    fn ranked(&self, n: usize) -> Vec<Hit> {
        if n <= self.ranked.len() || self.ranked.len() < self.depth {
            return self.ranked[..n.min(self.ranked.len())].to_vec();
        }
        self.index.rank(self.query, n)
    }

    /// The first `n` chunks (fewer when the retriever has no more).
    fn first(&mut self, n: usize) -> Result<Vec<Hit>> {
        let Some(r) = self.reranker else {
            return Ok(self.ranked(n));
        };
        if self.head.is_none() {
            let candidates = self.ranked(r.depth());
            self.head = Some(r.rerank(self.query.text, candidates, self.texts)?);
        }
        let head = self.head.as_deref().unwrap_or_default();
        if n <= head.len() || head.len() < r.depth() {
            return Ok(head[..n.min(head.len())].to_vec());
        }
        // Past the depth, the first-stage order.
        let mut out = head.to_vec();
        out.extend(self.ranked(n).into_iter().skip(r.depth()));
        Ok(out)
    }
}
