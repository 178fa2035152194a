//! Late chunking (Jina): the chunks of a base strategy, each embedded not as its own text but as
//! the mean of the document's token vectors inside its span, the document read in one pass over
//! windows of the model's whole input (consecutive windows sharing `overlap` tokens), so every
//! chunk vector has seen its surroundings. The chunker itself only declares this
//! ([`Embedding::Late`]); the embedding stage pools (`embed::late`). It needs a model that gives
//! token vectors: the local ONNX model does, an endpoint does not (a clear error).

use super::contextual::{base_chunker, finish_wrapper};
use super::params::Params;
use super::{Chunk, ChunkEnv, Chunker, Doc, Embedding, Family, Span};
use crate::error::Result;
use crate::strategy::Strategy;

/// `late`: a base strategy's chunks, late-pooled.
pub const FAMILY: Family = Family {
    name: "late",
    params: "base (required: a strategy spec), overlap=64 (model tokens shared by consecutive windows)",
    about: "late chunking: the document embedded once in windows of the model's input, each chunk of the base strategy pooled from its tokens' vectors (local model only)",
    build: |s| Ok(Box::new(Late::from_strategy(s)?)),
};

/// The `late` chunker.
pub struct Late {
    base: Box<dyn Chunker>,
    overlap: usize,
}

impl Late {
    /// Builds from a strategy's parameters: `base`, `overlap`.
    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let (spec, base) = base_chunker(&mut p, "base")?;
        let overlap = p.usize_opt("overlap")?.unwrap_or(64);
        finish_wrapper(&p, &["base", "overlap"], "base")?;
        if [FAMILY.name, super::contextual::FAMILY.name].contains(&spec.family.as_str()) {
            return Err(p.error(format!(
                "the base cannot be `{}`: late chunking pools the document's own tokens once, so it neither reads a context nor nests",
                spec.family
            )));
        }
        Ok(Late { base, overlap })
    }
}

impl Chunker for Late {
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        self.base.chunk(text, env)
    }

    fn units(&self, doc: Doc, env: &dyn ChunkEnv) -> Result<Vec<Chunk>> {
        self.base.units(doc, env)
    }

    fn embedding(&self) -> Embedding {
        Embedding::Late {
            overlap: self.overlap,
        }
    }

    fn needs_embeddings(&self) -> bool {
        self.base.needs_embeddings()
    }

    fn embedding_spans(&self, text: &str) -> Result<Vec<Span>> {
        self.base.embedding_spans(text)
    }

    fn needs_llm(&self) -> bool {
        self.base.needs_llm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::NoEmbeddings;

    #[test]
    fn late_keeps_the_base_units_and_declares_its_pooling() {
        let s = Strategy::parse("late:base=(fixed:size=5,unit=chars),overlap=16").unwrap();
        let c = Late::from_strategy(&s).unwrap();
        assert_eq!(c.embedding(), Embedding::Late { overlap: 16 });
        let text = "abcdefghijkl";
        let spans: Vec<Span> = c
            .units(Doc { id: "d", text }, &NoEmbeddings)
            .unwrap()
            .iter()
            .map(|u| u.span)
            .collect();
        assert_eq!(
            spans,
            [Span::new(0, 5), Span::new(5, 10), Span::new(10, 12)]
        );
        let e = Late::from_strategy(
            &Strategy::parse("late:base=(contextual:base=fixed:size=5)").unwrap(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("the base cannot be `contextual`"), "{e}");
    }
}
