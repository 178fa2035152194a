//! Chunkers: each turns one document into an ordered list of byte spans of that document. No
//! chunker re-finds its text in the document: offsets come straight from the algorithm.
//!
//! One file per family: [`window`] (fixed and sliding token/character windows), [`recursive`]
//! (text-splitter, plain text and Markdown) and [`separators`] (Chroma's recursive separator
//! algorithm, for reproducing its reference configurations), [`sentence`] and [`paragraph`]
//! (groups of whole sentences or paragraphs), [`semantic`] (the embedding-based families:
//! breakpoint, Chroma's modified Kamradt, and cluster), and [`llm`] (topic cuts by a language
//! model: likelihood and prompted). Three families wrap another strategy and change what a chunk
//! is to retrieval, never its span: [`contextual`] (a context embedded before each chunk),
//! [`parent`] (children retrieved, parents handed over) and [`late`] (chunk vectors pooled from
//! the document's token vectors) — see [`Chunk`] and [`Embedding`]. [`families`] lists them all:
//! one [`Family`] record per family, which parsing, `--help`, errors and the README's table read.
//! [`params`] reads a strategy's parameters; [`env`] is what a chunker may use besides the text
//! (embeddings, a language model).

pub mod contextual;
pub mod doc_tokens;
pub mod env;
pub mod families;
pub mod late;
pub mod llm;
pub mod paragraph;
pub mod params;
pub mod parent;
pub mod pretoken;
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

use std::borrow::Cow;
use std::sync::Arc;

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
    contextual::FAMILY,
    parent::FAMILY,
    late::FAMILY,
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

/// A retrieval unit: the span of the document it stands for, and, where a family makes them
/// differ, the text embedded and indexed for it and the span handed over when it is retrieved.
/// Metrics are computed on the handed-over span, so every score stays on exact spans of the
/// original text whatever is embedded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The unit's byte span.
    pub span: Span,
    /// Text put before the span's text in what is embedded and indexed (a title and heading
    /// path, a model-written context); `None` embeds the span's text alone.
    pub context: Option<Arc<str>>,
    /// The span handed over (and scored) when this unit is retrieved, when it is not the unit's
    /// own: its parent. Units with the same returned span are handed over once.
    pub returned: Option<Span>,
}

impl Chunk {
    /// A unit that is its own span: embedded as its text and handed over as itself.
    pub fn plain(span: Span) -> Self {
        Chunk {
            span,
            context: None,
            returned: None,
        }
    }

    /// The span handed over when this unit is retrieved.
    pub fn handed_span(&self) -> Span {
        self.returned.unwrap_or(self.span)
    }

    /// What is embedded and indexed: the context, then the span's text of `text` (borrowed when
    /// there is no context).
    pub fn indexed_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let own = &text[self.span.start..self.span.end];
        match &self.context {
            None => Cow::Borrowed(own),
            Some(c) => Cow::Owned(format!("{c}{own}")),
        }
    }
}

/// A document as a chunker sees it: its id (the file stem, a title when it has no heading) and
/// its text.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    pub id: &'a str,
    pub text: &'a str,
}

/// How a strategy's units become vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// Each unit's indexed text, embedded on its own.
    Text,
    /// Late chunking: the document's token vectors from one pass over windows of the model's
    /// input (`overlap` tokens shared by consecutive windows), mean-pooled inside each span.
    Late { overlap: usize },
}

/// Splits one document into spans. Implementations must return non-empty spans on char
/// boundaries, ordered by start.
pub trait Chunker: Send + Sync {
    /// Chunks one document. `env` gives embedding-based chunkers access to the (cached) embedder.
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>>;

    /// The retrieval units of one document. The default: each span of [`Chunker::chunk`] as
    /// itself. Wrapper families (`contextual`, `parent`, `late`) give their units a context or a
    /// returned span.
    fn units(&self, doc: Doc, env: &dyn ChunkEnv) -> Result<Vec<Chunk>> {
        Ok(self
            .chunk(doc.text, env)?
            .into_iter()
            .map(Chunk::plain)
            .collect())
    }

    /// How the units become vectors (their text, by default).
    fn embedding(&self) -> Embedding {
        Embedding::Text
    }

    /// Whether [`Chunker::chunk`] calls [`ChunkEnv::embed`] (the caller then provides a model).
    fn needs_embeddings(&self) -> bool {
        false
    }

    /// The spans of `text` whose texts [`Chunker::chunk`] will embed, when the chunker knows them
    /// before embedding anything. A run embeds them for every document at once, in batches
    /// across documents, before chunking; a text not named here is embedded when the chunker asks
    /// for it. None by default.
    fn embedding_spans(&self, _text: &str) -> Result<Vec<Span>> {
        Ok(Vec::new())
    }

    /// Whether [`Chunker::chunk`] calls [`ChunkEnv::llm`] (the caller then provides a model).
    fn needs_llm(&self) -> bool {
        false
    }
}
