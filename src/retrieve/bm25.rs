//! `bm25`: Okapi BM25 over the chunks' terms ([`okapi`](super::okapi) has the tokenizer and the
//! formula). Needs no embedder: a run whose retrievers are all lexical loads no model.

use std::sync::Arc;

use super::okapi::{Bm25Index, Bm25Params, Tokenizer};
use super::{Corpus, Hit, Index, Kind, Query, Retriever};
use crate::chunk::Params;
use crate::error::Result;
use crate::strategy::Strategy;

pub const KIND: Kind = Kind {
    name: "bm25",
    params: "k1=1.2, b=0.75, stem=none|english, stop=none|english",
    about: "Okapi BM25 (Lucene IDF) over Unicode words, lower-cased; optional English stop words and Snowball stemming",
    build,
};

fn build(spec: &Strategy) -> Result<Arc<dyn Retriever>> {
    let mut p = Params::new(spec);
    let bm25 = read(&mut p)?;
    p.finish(&["k1", "b", "stem", "stop"])?;
    Ok(Arc::new(bm25))
}

/// Reads the BM25 parameters of a spec (shared with `hybrid`, which takes them too).
pub fn read(p: &mut Params) -> Result<Bm25> {
    let defaults = Bm25Params::default();
    let k1 = p.f64_opt("k1")?.unwrap_or(defaults.k1);
    let b = p.f64_opt("b")?.unwrap_or(defaults.b);
    if k1 < 0.0 {
        return Err(p.error(format!("`k1` must be at least 0, got {k1}")));
    }
    if !(0.0..=1.0).contains(&b) {
        return Err(p.error(format!("`b` must be between 0 and 1, got {b}")));
    }
    let stem = p.choice("stem", &[("none", false), ("english", true)], false)?;
    let stop_words = p.choice("stop", &[("none", false), ("english", true)], false)?;
    Ok(Bm25 {
        params: Bm25Params { k1, b },
        tokenizer: Tokenizer { stem, stop_words },
    })
}

/// The BM25 retriever: its parameters and tokenizer.
#[derive(Debug, Clone, Copy)]
pub struct Bm25 {
    pub params: Bm25Params,
    pub tokenizer: Tokenizer,
}

impl Bm25 {
    /// The BM25 index over `texts`.
    pub fn build(&self, texts: &[&str]) -> LexicalIndex {
        let docs: Vec<Vec<String>> = texts.iter().map(|t| self.tokenizer.terms(t)).collect();
        LexicalIndex {
            tokenizer: self.tokenizer,
            index: Bm25Index::new(&docs, self.params),
        }
    }
}

impl Retriever for Bm25 {
    fn needs_vectors(&self) -> bool {
        false
    }

    fn index(&self, corpus: &Corpus) -> Result<Box<dyn Index>> {
        Ok(Box::new(self.build(corpus.texts)))
    }
}

/// A BM25 index and the tokenizer its queries go through.
pub struct LexicalIndex {
    tokenizer: Tokenizer,
    index: Bm25Index,
}

impl Index for LexicalIndex {
    fn rank(&self, query: &Query, n: usize) -> Vec<Hit> {
        let terms = self.tokenizer.terms(query.text);
        self.index
            .top(&terms, n)
            .into_iter()
            .map(|(i, s)| (i, s as f32))
            .collect()
    }

    fn bytes(&self) -> usize {
        self.index.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_the_chunk_that_shares_the_rare_terms() {
        let texts = [
            "Bees forage for nectar in the meadow.",
            "The hive was inspected in August; the queen was laying.",
            "Honey extraction happened after the August inspection.",
        ];
        let (_, r) = super::super::parse("bm25").unwrap();
        let idx = r
            .index(&Corpus {
                texts: &texts,
                vectors: None,
            })
            .unwrap();
        let q = Query {
            text: "When was the queen laying?",
            vector: None,
        };
        let hits = idx.rank(&q, 3);
        assert_eq!(hits[0].0, 1, "{hits:?}");
        // Chunk 0 shares no term with the question ("the" is in 1 and 2 only... and 0): all
        // three share "the", so all three are ranked.
        assert_eq!(hits.len(), 3);
        assert!(idx.bytes() > 0);
    }

    #[test]
    fn rejects_impossible_parameters() {
        for spec in ["bm25:b=1.5", "bm25:k1=-1", "bm25:stem=latin"] {
            assert!(super::super::parse(spec).is_err(), "{spec}");
        }
    }
}
