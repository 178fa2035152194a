//! The embedded language model as a reranker: the relevance of a chunk is the log-probability
//! of a "yes" verdict after a fixed prompt that shows the chunk and the question and asks whether
//! the chunk answers it (raw text, no chat template, so any causal model works). [`Verdict`]
//! says which: the raw log-probability of " yes", or " yes" against " no" (log p(yes) −
//! log(p(yes) + p(no))), which cancels how likely any one-word answer is after that passage.

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

/// How the verdict becomes a relevance score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// log p(" yes"): one model call per chunk.
    Yes,
    /// log p(" yes") − log(p(" yes") + p(" no")): two calls per chunk.
    YesVsNo,
}

/// A reranker on a language model.
pub struct LlmReranker {
    model: Arc<dyn Llm>,
    verdict: Verdict,
    id: String,
}

impl Verdict {
    /// The names `--rerank-verdict` takes.
    pub const CHOICES: [(&'static str, Verdict); 2] =
        [("yes", Verdict::Yes), ("yes-vs-no", Verdict::YesVsNo)];
    /// What `--reranker local` and `chunkbench serve` use unless told otherwise.
    pub const DEFAULT: Verdict = Verdict::Yes;

    pub fn parse(s: &str) -> Option<Verdict> {
        Self::CHOICES.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
    }
}

impl LlmReranker {
    pub fn new(model: Arc<dyn Llm>, verdict: Verdict) -> Self {
        let kind = match verdict {
            Verdict::Yes => "yes-logprob",
            Verdict::YesVsNo => "yes-vs-no",
        };
        let id = format!("{kind}:{}", model.id());
        LlmReranker { model, verdict, id }
    }

    fn relevance(&self, query: &str, document: &str) -> Result<f32> {
        let p = prompt(query, document);
        let yes: f32 = self.model.score(&p, " yes")?.logprobs.iter().sum();
        if self.verdict == Verdict::Yes {
            return Ok(yes);
        }
        let no: f32 = self.model.score(&p, " no")?.logprobs.iter().sum();
        let m = yes.max(no);
        Ok(yes - (m + ((yes - m).exp() + (no - m).exp()).ln()))
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
            .map(|d| self.relevance(query, d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ChatRequest, Completion, Scored};

    /// Answers " yes" with log-probability −1 and " no" with −2 when the passage mentions bees,
    /// the reverse otherwise (a stand-in to check the arithmetic, not a model).
    struct Verdicts;

    impl Llm for Verdicts {
        fn id(&self) -> &str {
            "verdicts@test"
        }
        fn complete(&self, _: &ChatRequest) -> Result<Completion> {
            unreachable!("the reranker only scores")
        }
        fn score(&self, context: &str, continuation: &str) -> Result<Scored> {
            let bees = context.contains("bees");
            let lp = match (continuation, bees) {
                (" yes", true) | (" no", false) => -1.0,
                _ => -2.0,
            };
            Ok(Scored {
                logprobs: vec![lp],
                prompt_tokens: 1,
            })
        }
    }

    #[test]
    fn verdicts_score_yes_alone_or_against_no() {
        let docs = ["bees forage", "waves break"];
        let yes = LlmReranker::new(Arc::new(Verdicts), Verdict::Yes);
        assert_eq!(yes.score("q", &docs).unwrap(), [-1.0, -2.0]);
        let both = LlmReranker::new(Arc::new(Verdicts), Verdict::YesVsNo);
        let got = both.score("q", &docs).unwrap();
        // log(e^-1 / (e^-1 + e^-2)) and log(e^-2 / (e^-1 + e^-2)).
        let z = ((-1f64).exp() + (-2f64).exp()).ln();
        assert!((got[0] as f64 - (-1.0 - z)).abs() < 1e-6, "{got:?}");
        assert!((got[1] as f64 - (-2.0 - z)).abs() < 1e-6, "{got:?}");
        assert_ne!(yes.id(), both.id());
        assert!(prompt("When?", "In May.").contains("Passage:\nIn May.\n\nQuestion: When?"));
    }
}
