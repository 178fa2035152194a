//! Stage 4: retrieval. A [`Retriever`] (one file per kind: [`dense`], [`bm25`], [`hybrid`]) builds
//! an [`Index`] over one strategy's chunks; the index ranks the chunks for a question, an optional
//! rerank stage (the next module) reorders the first candidates, and a [`Handover`] rule decides
//! what the generator is handed: the top k, or chunks in rank order up to a token budget, the last
//! one cut to a prefix of its span.
//!
//! Every ranking is exact and deterministic: ties are broken by chunk position. [`RETRIEVERS`]
//! names the kinds once; parsing ([`parse`]), `--help` ([`retrievers_help`]) and errors read it.

pub mod bm25;
pub mod dense;
pub mod handover;
pub mod hybrid;
pub mod okapi;
pub mod setup;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::strategy::Strategy;

pub use handover::Handover;
pub use setup::Setup;

/// A question as the retrievers see it: its text (for lexical search) and its vector (for dense
/// search; `None` when the run embeds nothing).
pub struct Query<'a> {
    pub text: &'a str,
    pub vector: Option<&'a [f32]>,
}

/// One strategy's chunks as the retrievers index them, in collection order.
pub struct Corpus<'a> {
    pub texts: &'a [&'a str],
    /// The chunk vectors, when the run embedded them.
    pub vectors: Option<&'a [Arc<[f32]>]>,
}

impl Corpus<'_> {
    /// The chunk vectors, or the error of a `retriever` that needs them in a run without them.
    pub fn vectors_for(&self, retriever: &str) -> Result<&[Arc<[f32]>]> {
        self.vectors.ok_or_else(|| {
            Error::Usage(format!(
                "the {retriever} retriever needs the chunk embeddings, and this run computed none"
            ))
        })
    }
}

/// A ranked chunk: its position in the corpus and the retriever's score (higher is better).
pub type Hit = (usize, f32);

/// A retriever: its settings, and how to index a corpus with them.
pub trait Retriever: Send + Sync {
    /// Whether the index needs the chunk and question vectors (the run then embeds them).
    fn needs_vectors(&self) -> bool;
    /// Builds the index over one strategy's chunks.
    fn index(&self, corpus: &Corpus) -> Result<Box<dyn Index>>;
}

/// A built index over one strategy's chunks.
pub trait Index: Send + Sync {
    /// The `n` best chunks for `query`, best first; fewer when fewer match (BM25 skips chunks
    /// that share no term with the question). Ties go to the earlier chunk.
    fn rank(&self, query: &Query, n: usize) -> Vec<Hit>;
    /// [`Self::rank`] for every query, in query order (an index may rank them together, faster).
    fn rank_many(&self, queries: &[Query], n: usize) -> Vec<Vec<Hit>> {
        queries.iter().map(|q| self.rank(q, n)).collect()
    }
    /// Bytes the index holds (vectors, postings), for the size report.
    fn bytes(&self) -> usize;
}

/// A retriever kind: how it is written, what it takes, and how it is built.
pub struct Kind {
    /// The name a spec starts with (`bm25` in `bm25:k1=1.5`).
    pub name: &'static str,
    /// Its parameters with their defaults, as `--help` shows them.
    pub params: &'static str,
    /// What it does, in a few words.
    pub about: &'static str,
    /// Builds the retriever of a spec of this kind, validating its parameters.
    pub build: fn(&Strategy) -> Result<Arc<dyn Retriever>>,
}

/// Every retriever kind, in the order `--help` lists them.
pub const RETRIEVERS: &[Kind] = &[dense::KIND, bm25::KIND, hybrid::KIND];

/// Parses one retriever spec (`kind` or `kind:key=value,...`), validating its parameters.
pub fn parse(spec: &str) -> Result<(Strategy, Arc<dyn Retriever>)> {
    let mut s = Strategy::parse(spec)?;
    s.origin = format!("retriever {:?}", s.name);
    match RETRIEVERS.iter().find(|k| k.name == s.family) {
        Some(k) => {
            let r = (k.build)(&s)?;
            Ok((s, r))
        }
        None => {
            let names: Vec<&str> = RETRIEVERS.iter().map(|k| k.name).collect();
            Err(Error::strategy(
                &s.origin,
                format!(
                    "unknown retriever {:?}; known retrievers: {}",
                    s.family,
                    names.join(", ")
                ),
            ))
        }
    }
}

/// The retrievers as `--help` lists them.
pub fn retrievers_help() -> String {
    RETRIEVERS
        .iter()
        .map(|k| crate::output::help_entry(k.name, &format!("{} — {}", k.params, k.about)))
        .collect()
}

/// The `n` best of `scored` (chunk, score), best first, ties to the earlier chunk; shared by the
/// retrievers so every ranking breaks ties the same way.
pub fn best<I: IntoIterator<Item = Hit>>(scored: I, n: usize) -> Vec<Hit> {
    let mut top = TopK::new(n);
    scored.into_iter().for_each(|hit| top.offer(hit));
    top.into_hits()
}

/// The `n` best hits offered so far, best first, ties to the earlier chunk (for hits offered in
/// chunk order, as every index does).
pub struct TopK {
    n: usize,
    best: Vec<Hit>,
}

impl TopK {
    pub fn new(n: usize) -> Self {
        TopK {
            n,
            best: Vec::with_capacity(n + 1),
        }
    }

    /// Keeps `hit` if it is among the `n` best so far.
    #[inline]
    pub fn offer(&mut self, hit: Hit) {
        let n = self.n;
        if n == 0 || (self.best.len() == n && !ranks_before(&hit, &self.best[n - 1])) {
            return;
        }
        let pos = self.best.partition_point(|b| ranks_before(b, &hit));
        self.best.insert(pos, hit);
        self.best.truncate(n);
    }

    pub fn into_hits(self) -> Vec<Hit> {
        self.best
    }
}

/// `a` ranks before `b`: a higher score, then an earlier chunk.
pub fn ranks_before(a: &Hit, b: &Hit) -> bool {
    match a.1.total_cmp(&b.1) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => a.0 < b.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_keeps_the_top_n_with_ties_to_the_earlier_chunk() {
        let got = best([(0, 0.5), (1, 0.9), (2, 0.5), (3, 0.1)], 3);
        assert_eq!(got, [(1, 0.9), (0, 0.5), (2, 0.5)]);
        assert!(best([(0, 1.0)], 0).is_empty());
    }

    #[test]
    fn the_readme_and_help_list_every_retriever() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let help = retrievers_help();
        for k in RETRIEVERS {
            assert!(
                readme.contains(&format!("\n| `{}` |", k.name)),
                "README.md's retriever table has no row for `{}`",
                k.name
            );
            let first = k.params.split(' ').next().unwrap_or("");
            assert!(help.contains(&format!("  {:<11}{first}", k.name)), "{help}");
        }
    }

    #[test]
    fn parse_names_unknown_retrievers_and_parameters() {
        let e = parse("bm52").err().unwrap().to_string();
        assert!(
            e.contains("unknown retriever \"bm52\"; known retrievers: dense, bm25, hybrid"),
            "{e}"
        );
        let e = parse("bm25:k2=3").err().unwrap().to_string();
        assert!(e.contains("unknown parameter `k2`"), "{e}");
        assert!(parse("hybrid:fusion=rrf,k=60").is_ok());
    }
}
