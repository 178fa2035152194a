//! The embedded language model as a reranker: the relevance of a chunk is the log-probability
//! the model gives to " yes" after a fixed prompt that shows the chunk and the question and asks
//! whether the chunk answers it (raw text, no chat template, so any causal model works).

use std::sync::Arc;

use rayon::prelude::*;

use super::Reranker;
use crate::error::Result;
use crate::llm::Llm;

/// The prompt the verdict follows.
pub fn prompt(query: &str, document: &str) -> String {
    format!(
        "Passage:\n{document}\n\nQuestion: {query}\n\nDoes the passage contain the answer to the question? Answer yes or no.\nAnswer:"
    )
}

/// A reranker on a language model.
pub struct LlmReranker {
    model: Arc<dyn Llm>,
    id: String,
}

impl LlmReranker {
    pub fn new(model: Arc<dyn Llm>) -> Self {
        let id = format!("yes-logprob:{}", model.id());
        LlmReranker { model, id }
    }
}

impl Reranker for LlmReranker {
    fn id(&self) -> &str {
        &self.id
    }

    fn score(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>> {
        // One model call per document, in parallel (the embedded model keeps a context per core).
        documents
            .par_iter()
            .map(|d| {
                let scored = self.model.score(&prompt(query, d), " yes")?;
                Ok(scored.logprobs.iter().sum())
            })
            .collect()
    }
}
