//! Context utility: how much the retrieved context raises a language model's likelihood of the
//! gold answer.
//!
//! For a question `q` with gold answer `a` (tokens a₁…a_T, read after a space) and retrieved
//! chunks C (best first):
//!
//! ```text
//! utility = (1/T) Σₜ log p(aₜ | P(q, C), a<t)  −  (1/T) Σₜ log p(aₜ | P(q), a<t)
//! ```
//!
//! in nats per token, where `P(q, C)` is [`with_context`] and `P(q)` is [`without_context`]: the
//! same instruction and question, with and without the context. Positive: the context makes the
//! right answer more likely; around 0: it does not help; negative: it distracts. The
//! question-only term does not depend on the strategy, so it is computed once per question.
//! Raw text prompts (no chat template), so any model that returns log-probabilities of a given
//! text can score them: the embedded model, or an endpoint with `/v1/completions` echo.

use crate::error::Result;
use crate::llm::{Llm, Scored};

/// The instruction both prompts start with.
pub const INSTRUCTION: &str = "Answer the question.";

/// `P(q, C)`: the instruction, the chunks (separated by blank lines), the question.
pub fn with_context(question: &str, chunks: &[&str]) -> String {
    format!(
        "{INSTRUCTION}\n\nContext:\n{}\n\nQuestion: {}\nAnswer:",
        chunks.join("\n\n"),
        question.trim()
    )
}

/// `P(q)`: the instruction and the question.
pub fn without_context(question: &str) -> String {
    format!("{INSTRUCTION}\n\nQuestion: {}\nAnswer:", question.trim())
}

/// The scored continuation: the gold answer after one space.
pub fn continuation(answer: &str) -> String {
    format!(" {}", answer.trim())
}

/// Mean log-probability per token; tokens nothing predicts (NaN) are skipped. `None` for a
/// continuation without tokens.
pub fn mean_logprob(s: &Scored) -> Option<f64> {
    let xs: Vec<f64> = s
        .logprobs
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| f64::from(x))
        .collect();
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The question-only term: mean log p(answer | P(q)).
pub fn baseline(llm: &dyn Llm, question: &str, answer: &str) -> Result<Option<f64>> {
    Ok(mean_logprob(&llm.score(
        &without_context(question),
        &continuation(answer),
    )?))
}

/// Context utility given the question-only term `baseline`.
pub fn utility(
    llm: &dyn Llm,
    question: &str,
    answer: &str,
    chunks: &[&str],
    baseline: f64,
) -> Result<Option<f64>> {
    let with = llm.score(&with_context(question, chunks), &continuation(answer))?;
    Ok(mean_logprob(&with).map(|m| m - baseline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_differ_only_by_the_context() {
        let a = with_context(" What port? ", &["The hub listens on 7443.", "TLS only."]);
        assert_eq!(
            a,
            "Answer the question.\n\nContext:\nThe hub listens on 7443.\n\nTLS only.\n\nQuestion: What port?\nAnswer:"
        );
        assert_eq!(
            without_context("What port?"),
            "Answer the question.\n\nQuestion: What port?\nAnswer:"
        );
        assert_eq!(continuation(" 7443\n"), " 7443");
    }

    /// Log-probabilities by hand: every answer token gets −0.5 after a prompt with a context and
    /// −2.0 (first token) / −1.0 (others) without one.
    struct ByHand;

    impl Llm for ByHand {
        fn id(&self) -> &str {
            "by-hand"
        }
        fn complete(&self, _: &crate::llm::ChatRequest) -> Result<crate::llm::Completion> {
            unreachable!()
        }
        fn score(&self, context: &str, continuation: &str) -> Result<Scored> {
            let n = continuation.split_whitespace().count();
            let logprobs = if context.contains("Context:") {
                vec![-0.5; n]
            } else {
                (0..n).map(|i| if i == 0 { -2.0 } else { -1.0 }).collect()
            };
            Ok(Scored {
                logprobs,
                prompt_tokens: n,
            })
        }
    }

    #[test]
    fn utility_is_the_difference_of_mean_logprobs() {
        // Without context: mean of (−2, −1, −1, −1) = −1.25; with: −0.5; utility = +0.75.
        let b = baseline(&ByHand, "q?", "four answer tokens here")
            .unwrap()
            .unwrap();
        assert_eq!(b, -1.25);
        let u = utility(&ByHand, "q?", "four answer tokens here", &["c"], b).unwrap();
        assert_eq!(u, Some(0.75));
        // An empty retrieval still has the context block, with nothing in it.
        assert_eq!(utility(&ByHand, "q?", "one", &[], -0.5).unwrap(), Some(0.0));
        // An answer without tokens has no utility.
        assert_eq!(baseline(&ByHand, "q?", "  ").unwrap(), None);
    }

    #[test]
    fn mean_skips_unpredicted_tokens() {
        let s = Scored {
            logprobs: vec![f32::NAN, -1.0, -3.0],
            prompt_tokens: 3,
        };
        assert_eq!(mean_logprob(&s), Some(-2.0));
        let empty = Scored {
            logprobs: vec![],
            prompt_tokens: 0,
        };
        assert_eq!(mean_logprob(&empty), None);
    }
}
