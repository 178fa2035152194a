//! What a chunker may use besides the text: the run's embedder behind its cache, and a language
//! model. The trait is the chunkers'; the adapters that give it an embedder ([`SharedEmbedder`]) and
//! a metered language model ([`WithLlm`]) live here too, so `embed` and `llm` know nothing of
//! chunking.

use std::sync::Arc;

use crate::embed::SharedEmbedder;
use crate::error::{Error, Result};
use crate::llm::{CachedLlm, Llm};

/// What a chunker may use besides the text: the run's embedder, behind its cache.
pub trait ChunkEnv: Sync {
    /// Unit-length embeddings of `texts`, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>>;

    /// The run's language model, for LLM-based chunkers.
    fn llm(&self) -> Result<&dyn Llm> {
        Err(Error::Usage(
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
    fn embed(&self, _texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        Err(Error::Usage(
            "this strategy needs an embedding model, but none was loaded".into(),
        ))
    }
}

impl ChunkEnv for SharedEmbedder<'_> {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        let keys = self.cache_documents(texts, |_, _| {})?;
        self.vectors(&keys)
    }
}

/// A chunking environment with a language model: embeddings come from `base`, the model from
/// `llm` (metered per strategy).
pub struct WithLlm<'a> {
    pub base: &'a dyn ChunkEnv,
    pub llm: Option<CachedLlm>,
}

impl ChunkEnv for WithLlm<'_> {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        self.base.embed(texts)
    }

    fn llm(&self) -> Result<&dyn Llm> {
        match &self.llm {
            Some(l) => Ok(l),
            None => self.base.llm(),
        }
    }

    fn llm_fallback(&self) {
        if let Some(l) = &self.llm {
            l.meter().fallback();
        }
    }
}
