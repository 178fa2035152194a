//! Chunkers: each turns one document into an ordered list of byte spans of that document. No
//! chunker re-finds its text in the document: offsets come straight from the algorithm.
//!
//! One file per family: [`window`] (fixed and sliding token/character windows), [`recursive`]
//! (text-splitter, plain text and Markdown) and [`separators`] (Chroma's recursive separator
//! algorithm, for reproducing its reference configurations), and [`semantic`] (the embedding-based
//! families: breakpoint, Chroma's modified Kamradt, and cluster), and [`llm`] (topic cuts by a
//! language model: likelihood and prompted). [`families`] lists them all: one [`Family`] record per
//! family, which parsing, `--help`, errors and the README's table read. [`params`] reads a
//! strategy's parameters; [`env`] is what a chunker may use besides the text (embeddings, a
//! language model).

pub mod env;
pub mod families;
pub mod llm;
pub mod paragraph;
pub mod params;
#[cfg(test)]
mod proptests;
pub mod recursive;
pub mod semantic;
pub mod sentence;
pub mod separators;
pub mod sizer;
#[doc(hidden)]
pub mod testing;
pub mod window;

use serde::Serialize;

use crate::error::Result;

pub use env::{ChunkEnv, NoEmbeddings, WithLlm};
pub use families::{build, families_help, Family};
pub use params::Params;
pub use sizer::Unit;

/// Every family, in the order `--help` lists them.
pub const FAMILIES: &[Family] = &[
    window::FIXED,
    window::SLIDING,
    recursive::FAMILY,
    sentence::FAMILY,
    paragraph::FAMILY,
    semantic::breakpoint::FAMILY,
    semantic::kamradt::FAMILY,
    semantic::cluster::FAMILY,
    llm::FAMILY,
];

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
