//! Specificity over the corpus: a question that could be about any document does not find its own
//! excerpt among many. The whole corpus is cut by an existing chunker ([`CHUNKER`]) and indexed by
//! the `bm25` retriever of [`crate::retrieve::RETRIEVERS`]; a question passes when a chunk that
//! overlaps its gold excerpt ranks in the top `n` for it.
//!
//! BM25 rather than dense search: it needs no embedding (the corpus is indexed in milliseconds and
//! no model is loaded for it), it is deterministic, and it is the retriever that a question too
//! vague to name its subject fails most clearly — a generic question shares only common words with
//! its excerpt's chunk.

use crate::chunk::families::build;
use crate::chunk::{NoEmbeddings, Span};
use crate::dataset::Document;
use crate::error::Result;
use crate::retrieve::{Corpus, Index, Query};
use crate::strategy::Strategy;

/// The chunker the corpus is cut with for the check.
pub const CHUNKER: &str = "recursive:size=256,splitter=markdown";

/// The retriever spec of the check.
pub const RETRIEVER: &str = "bm25";

/// Default `n`: the excerpt must be among the top 20 chunks.
pub const DEFAULT_TOP: usize = 20;

/// The corpus, chunked and indexed.
pub struct CorpusSearch {
    /// (document index, span) of every chunk, in index order.
    chunks: Vec<(usize, Span)>,
    index: Box<dyn Index>,
}

impl CorpusSearch {
    /// Chunks `docs` with [`CHUNKER`] and indexes the chunks with [`RETRIEVER`].
    pub fn new(docs: &[Document]) -> Result<Self> {
        let chunker = build(&Strategy::parse(CHUNKER)?)?;
        let mut chunks = Vec::new();
        for (d, doc) in docs.iter().enumerate() {
            for span in chunker.chunk(&doc.text, &NoEmbeddings)? {
                chunks.push((d, span));
            }
        }
        let texts: Vec<&str> = chunks
            .iter()
            .map(|(d, s)| &docs[*d].text[s.start..s.end])
            .collect();
        let (_, retriever) = crate::retrieve::parse(RETRIEVER)?;
        let index = retriever.index(&Corpus {
            texts: &texts,
            vectors: None,
        })?;
        Ok(CorpusSearch { chunks, index })
    }

    /// The rank (1-based) of the best chunk overlapping `excerpt` of document `doc` in a search
    /// for `question`; `None` when no overlapping chunk is ranked at all (no shared term).
    pub fn rank(&self, question: &str, doc: usize, excerpt: Span) -> Option<usize> {
        let query = Query {
            text: question,
            vector: None,
        };
        self.index
            .rank(&query, self.chunks.len())
            .iter()
            .position(|(i, _)| {
                let (d, s) = self.chunks[*i];
                d == doc && s.start < excerpt.end && excerpt.start < s.end
            })
            .map(|p| p + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str) -> Document {
        Document::new(id.into(), text.into(), format!("{id}.md").into()).unwrap()
    }

    #[test]
    fn a_specific_question_finds_its_excerpt_and_a_vague_one_does_not() {
        let docs = vec![
            doc(
                "a",
                "The Raft log of a hub node needs an fsync latency below 10 ms.",
            ),
            doc("b", "Expense reports are due within 30 days of travel."),
            doc(
                "c",
                "Agents are revoked through the certificate revocation list.",
            ),
        ];
        let search = CorpusSearch::new(&docs).unwrap();
        let excerpt = Span::new(0, docs[0].text.len());
        assert_eq!(
            search.rank("What fsync latency does the Raft log need?", 0, excerpt),
            Some(1)
        );
        assert_eq!(
            search.rank("Where are expense reports due?", 0, excerpt),
            None
        );
        let b = Span::new(0, docs[1].text.len());
        assert_eq!(search.rank("When are expense reports due?", 1, b), Some(1));
    }
}
