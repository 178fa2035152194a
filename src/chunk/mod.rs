//! Chunkers: each turns one document into an ordered list of byte spans of that document. No
//! chunker re-finds its text in the document: offsets come straight from the algorithm.
//!
//! One file per family: [`window`] (fixed and sliding token/character windows), [`recursive`]
//! (text-splitter, plain text and Markdown) and [`separators`] (Chroma's recursive separator
//! algorithm, for reproducing its reference configurations), and [`semantic`] (the embedding-based
//! families: breakpoint, Chroma's modified Kamradt, and cluster), and [`llm`] (topic cuts by a
//! language model: likelihood and prompted).

pub mod llm;
pub mod recursive;
pub mod semantic;
pub mod separators;
pub mod sizer;
pub mod window;

use serde::Serialize;

use crate::error::Result;
use crate::strategy::Strategy;

pub use sizer::Unit;

/// A chunk: the byte range `start..end` of its document, on char boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Splits one document into spans. Implementations must return non-empty spans on char
/// boundaries, ordered by start.
pub trait Chunker: Send + Sync {
    /// Chunks one document. `env` gives embedding-based chunkers access to the (cached) embedder.
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>>;

    /// Whether [`Chunker::chunk`] calls [`ChunkEnv::embed`] (the caller then provides a model).
    fn needs_embeddings(&self) -> bool {
        false
    }

    /// Whether [`Chunker::chunk`] calls [`ChunkEnv::llm`] (the caller then provides a model).
    fn needs_llm(&self) -> bool {
        false
    }
}

/// What a chunker may use besides the text: the run's embedder, behind its cache.
pub trait ChunkEnv: Sync {
    /// Unit-length embeddings of `texts`, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<std::sync::Arc<[f32]>>>;

    /// The run's language model, for LLM-based chunkers.
    fn llm(&self) -> Result<&dyn crate::llm::Llm> {
        Err(crate::error::Error::Usage(
            "this strategy needs a language model, but none was configured".into(),
        ))
    }

    /// Records that an LLM chunker could not use the model's answer for one window and applied
    /// its fallback rule (counted in the strategy's cost record).
    fn llm_fallback(&self) {}
}

/// An environment without a model, for chunkers that need none.
pub struct NoEmbeddings;

impl ChunkEnv for NoEmbeddings {
    fn embed(&self, _texts: &[&str]) -> Result<Vec<std::sync::Arc<[f32]>>> {
        Err(crate::error::Error::Usage(
            "this strategy needs an embedding model, but none was loaded".into(),
        ))
    }
}

/// Every family this build knows, with the parameters each takes, for `--help` and errors.
pub const FAMILIES: &[(&str, &str)] = &[
    (
        "fixed",
        "size (required), overlap=0, unit=cl100k|o200k|chars — windows of `size` units, stride size-overlap",
    ),
    (
        "sliding",
        "size (required), overlap=size/2, unit=cl100k|o200k|chars — overlapping windows (overlap >= 1)",
    ),
    (
        "recursive",
        "size (required), overlap=0, unit=cl100k|o200k|chars, splitter=text|markdown|chroma — recursive splitting at the largest semantic boundary that fits",
    ),
    (
        "semantic",
        "max (required, cl100k tokens), method=percentile|stddev|iqr|gradient, amount=95|3|1.5|95, buffer=1, min=0 — sentences embedded with `buffer` neighbours, cut where the distance to the next is above the threshold (LangChain's SemanticChunker); chunks never exceed max",
    ),
    (
        "kamradt",
        "avg (required, cl100k tokens), buffer=3, piece=50, max (optional) — Chroma's KamradtModifiedChunker: 50-token pieces, distance threshold found by binary search so the mean chunk size meets avg",
    ),
    (
        "cluster",
        "max (required, cl100k tokens), piece=50 — Chroma's ClusterSemanticChunker: 50-token pieces grouped by dynamic programming to maximise within-chunk similarity, at most max/piece pieces and max tokens per chunk",
    ),
    ("llm", llm::DESCRIPTION),
];

/// Builds the chunker a strategy describes, validating its parameters.
pub fn build(strategy: &Strategy) -> Result<Box<dyn Chunker>> {
    match strategy.family.as_str() {
        "fixed" => Ok(Box::new(window::Window::from_strategy(strategy, false)?)),
        "sliding" => Ok(Box::new(window::Window::from_strategy(strategy, true)?)),
        "recursive" => recursive::from_strategy(strategy),
        "semantic" => Ok(Box::new(semantic::breakpoint::Breakpoint::from_strategy(
            strategy,
        )?)),
        "kamradt" => Ok(Box::new(semantic::kamradt::Kamradt::from_strategy(
            strategy,
        )?)),
        "cluster" => Ok(Box::new(semantic::cluster::Cluster::from_strategy(
            strategy,
        )?)),
        "llm" => llm::from_strategy(strategy),
        other => {
            let names: Vec<&str> = FAMILIES.iter().map(|(n, _)| *n).collect();
            Err(crate::error::Error::strategy(
                &strategy.origin,
                format!(
                    "unknown strategy family {other:?}; known families: {}",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// Checks the shared size/overlap rule with a message that names both values.
pub(crate) fn check_overlap(
    params: &crate::strategy::Params,
    size: usize,
    overlap: usize,
) -> Result<()> {
    if overlap >= size {
        return Err(params.error(format!(
            "overlap ({overlap}) must be smaller than size ({size}); the window would never advance"
        )));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Span;

    /// Asserts the invariants every chunker promises.
    pub fn assert_valid(text: &str, spans: &[Span]) {
        let mut prev_start = 0;
        for s in spans {
            assert!(s.start < s.end, "empty span {s:?}");
            assert!(s.end <= text.len(), "span {s:?} past the end");
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{s:?}"
            );
            assert!(s.start >= prev_start, "spans out of order at {s:?}");
            prev_start = s.start;
        }
    }
}
