//! Language models, behind one trait: the LLM chunkers, question generation and the faithfulness
//! metrics all talk to an [`Llm`]. Implementations: an embedded local GGUF model and an
//! OpenAI-compatible chat endpoint; a response cache wraps either so a re-run costs no calls.
//!
//! [`local`] runs a GGUF file in-process (llama.cpp), [`http`] talks to any OpenAI-compatible
//! server, [`cache`] makes a re-run free and meters what each strategy spends, and [`serve`]
//! exposes the local model as an OpenAI-compatible server (`chunkbench serve`).

pub mod cache;
pub mod http;
pub mod local;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use cache::{CachedLlm, LlmCache, LlmCost};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: "system".into(),
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: content.into(),
        }
    }
}

/// A chat completion request. Decoding is greedy (temperature 0) so results are reproducible.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub max_tokens: usize,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Vec<String>,
    /// A GBNF grammar that constrains decoding, where the backend supports it (the embedded model
    /// does; endpoints ignore it and their answers are parsed strictly instead).
    #[serde(default)]
    pub grammar: Option<String>,
}

/// A completion and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub text: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
}

/// Log-probabilities of a continuation given a context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Natural-log probability of each token of the continuation, in order.
    pub logprobs: Vec<f32>,
    /// Tokens read (context + continuation), for cost accounting.
    pub prompt_tokens: usize,
}

/// A language model.
pub trait Llm: Send + Sync {
    /// Identifies the model and every setting that changes its output (cache keys, reports).
    fn id(&self) -> &str;

    /// Greedy chat completion.
    fn complete(&self, request: &ChatRequest) -> Result<Completion>;

    /// Per-token log-probabilities of `continuation` read after `context` (raw text, no chat
    /// template; an empty context scores the continuation on its own). Backends that cannot
    /// return them answer with an error that says so.
    fn score(&self, context: &str, continuation: &str) -> Result<Scored>;

    /// Per-token log-probabilities of each piece read after the pieces before it — at least the
    /// last `context` tokens of them where there are that many — as one [`Scored`] per piece.
    /// Pieces are tokenized separately, so a piece's tokens are the same as in [`Llm::score`].
    /// The default calls [`Llm::score`] once per piece with the preceding text cut to about
    /// `context` tokens (4 bytes each); the embedded model reads the whole sequence in
    /// overlapping windows instead, a few calls per document.
    fn score_sequence(&self, pieces: &[&str], context: usize) -> Result<Vec<Scored>> {
        let mut out = Vec::with_capacity(pieces.len());
        let mut before = String::new();
        for piece in pieces {
            let mut cut = before.len().saturating_sub(context.saturating_mul(4));
            while !before.is_char_boundary(cut) {
                cut += 1;
            }
            out.push(self.score(&before[cut..], piece)?);
            before.push_str(piece);
        }
        Ok(out)
    }
}

/// The language model of a run or command: the model, and the response cache in front of it.
#[derive(Clone)]
pub struct LlmSetup {
    pub model: Arc<dyn Llm>,
    pub cache: Option<Arc<LlmCache>>,
}

impl LlmSetup {
    /// A fresh metered, cached handle (one per strategy, so costs are attributed to it).
    pub fn handle(&self) -> CachedLlm {
        CachedLlm::new(self.model.clone(), self.cache.clone())
    }
}
