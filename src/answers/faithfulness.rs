//! Faithfulness of a generated answer (after RAGAS, Es et al. 2023), with two model-free
//! companions.
//!
//! 1. **Answer.** The generator (the run's language model) answers the question from the
//!    retrieved chunks with a fixed prompt ([`answer_request`]) and greedy decoding.
//! 2. **Statements.** The judge breaks the answer into short self-contained statements, one per
//!    line ([`statements_request`], parsed by [`parse_statements`]). An answer that claims nothing
//!    ("I don't know") has no statement.
//! 3. **Verdicts.** The judge checks each statement against the retrieved chunks, one call per
//!    statement ([`verdict_request`]), and must reply yes or no ([`parse_verdict`]). A reply that
//!    is neither is asked again once with a stricter reminder; a second miss leaves the statement
//!    unjudged and is counted as a fallback in the judge's cost.
//!
//! faithfulness = supported statements / judged statements (undefined without a judged
//! statement). K-precision and token F1 ([`crate::score::answer`]) score the same answer without
//! a model. A small model is a weak judge: the run report names the judge and the generator.

use crate::error::Result;
use crate::llm::{CachedLlm, ChatRequest, Llm, Message};
use crate::results::GeneratedAnswer;
use crate::score::answer::{k_precision, token_f1};

/// Most statements judged per answer (a runaway extraction is cut here).
pub const MAX_STATEMENTS: usize = 12;

const ANSWER_SYSTEM: &str = "You answer questions using only the given context. Answer in one to three sentences. If the context does not contain the answer, reply: I don't know.";

const STATEMENTS_SYSTEM: &str = "Break the answer into short, self-contained factual statements. Write one statement per line, each starting with \"- \". Replace pronouns with the names they refer to. If the answer states no fact (for example, it says it does not know), reply with the single word NONE.";

const VERDICT_SYSTEM: &str = "You check whether a statement is supported by a context. A statement is supported only if the context states it or it follows directly from the context. Reply with one word: yes or no.";

/// Numbered chunks, best first.
fn context_block(chunks: &[&str]) -> String {
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| format!("[{}] {}", i + 1, c.trim()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The generator's prompt.
pub fn answer_request(question: &str, chunks: &[&str]) -> ChatRequest {
    ChatRequest {
        messages: vec![
            Message::system(ANSWER_SYSTEM),
            Message::user(format!(
                "Context:\n{}\n\nQuestion: {}",
                context_block(chunks),
                question.trim()
            )),
        ],
        max_tokens: 160,
        stop: Vec::new(),
        grammar: None,
    }
}

/// The judge's statement-extraction prompt.
pub fn statements_request(question: &str, answer: &str) -> ChatRequest {
    ChatRequest {
        messages: vec![
            Message::system(STATEMENTS_SYSTEM),
            Message::user(format!(
                "Question: {}\nAnswer: {}",
                question.trim(),
                answer.trim()
            )),
        ],
        max_tokens: 256,
        stop: Vec::new(),
        grammar: None,
    }
}

/// The judge's verdict prompt for one statement; `strict` adds a reminder (the one retry). On a
/// local GGUF judge a grammar holds the reply to `yes` or `no`; endpoints get the text only.
pub fn verdict_request(chunks: &[&str], statement: &str, strict: bool) -> ChatRequest {
    let mut user = format!(
        "Context:\n{}\n\nStatement: {}\n\nIs the statement supported by the context? Answer yes or no.",
        context_block(chunks),
        statement.trim()
    );
    if strict {
        user.push_str(" Reply with exactly one word: yes or no.");
    }
    ChatRequest {
        messages: vec![Message::system(VERDICT_SYSTEM), Message::user(user)],
        max_tokens: 8,
        stop: vec!["\n".into()],
        grammar: Some("root ::= \"yes\" | \"no\"".into()),
    }
}

/// The statements of the judge's reply: one per non-empty line, list markers ("- ", "* ", "1.",
/// "2)") removed, headings (lines ending in ':') and duplicates dropped, at most
/// [`MAX_STATEMENTS`]. A reply that starts with NONE has no statement.
pub fn parse_statements(reply: &str) -> Vec<String> {
    let trimmed = reply.trim();
    if trimmed
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("none"))
    {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for line in trimmed.lines() {
        let mut l = line.trim();
        l = l.trim_start_matches(['-', '*', '•', '–']).trim_start();
        let digits = l.len() - l.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && l[digits..].starts_with(['.', ')']) {
            l = l[digits + 1..].trim_start();
        }
        let l = l.trim();
        if l.is_empty() || l.ends_with(':') || !l.chars().any(char::is_alphanumeric) {
            continue;
        }
        if !out.iter().any(|s| s == l) {
            out.push(l.to_string());
        }
        if out.len() == MAX_STATEMENTS {
            break;
        }
    }
    out
}

/// A yes/no verdict: the reply's first word (case and surrounding punctuation ignored) is `yes`
/// or `true` (supported) or `no` or `false` (not); anything else is no verdict.
pub fn parse_verdict(reply: &str) -> Option<bool> {
    let word: String = reply
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match word.as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// Supported / judged; `None` when no statement was judged.
pub fn faithfulness(statements: &[(String, Option<bool>)]) -> Option<f64> {
    let judged: Vec<bool> = statements.iter().filter_map(|(_, v)| *v).collect();
    (!judged.is_empty()).then(|| judged.iter().filter(|&&v| v).count() as f64 / judged.len() as f64)
}

/// Generates the answer from `chunks`, has the judge extract and check its statements, and
/// scores it. Every call goes through the handles' response caches.
pub fn evaluate(
    generator: &dyn Llm,
    judge: &CachedLlm,
    question: &str,
    gold: Option<&str>,
    chunks: &[&str],
) -> Result<GeneratedAnswer> {
    let answer = generator
        .complete(&answer_request(question, chunks))?
        .text
        .trim()
        .to_string();
    let statements = if answer.is_empty() {
        Vec::new()
    } else {
        parse_statements(&judge.complete(&statements_request(question, &answer))?.text)
    };
    let mut judged = Vec::with_capacity(statements.len());
    for s in statements {
        let mut verdict = parse_verdict(&judge.complete(&verdict_request(chunks, &s, false))?.text);
        if verdict.is_none() {
            verdict = parse_verdict(&judge.complete(&verdict_request(chunks, &s, true))?.text);
            if verdict.is_none() {
                judge.meter().fallback();
            }
        }
        judged.push((s, verdict));
    }
    Ok(GeneratedAnswer {
        faithfulness: faithfulness(&judged),
        k_precision: k_precision(&answer, chunks.iter().copied()),
        f1: gold.and_then(|g| token_f1(&answer, g)),
        answer,
        statements: judged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_lines_without_markers() {
        let reply = "Statements:\n- The hub listens on port 7443.\n2) TLS is required.\n* The hub listens on port 7443.\n\n   \n1. Kestrel 4.2 added it.";
        assert_eq!(
            parse_statements(reply),
            [
                "The hub listens on port 7443.",
                "TLS is required.",
                "Kestrel 4.2 added it."
            ]
        );
        assert!(parse_statements("NONE").is_empty());
        assert!(parse_statements("None.").is_empty());
        assert!(parse_statements("  \n - \n").is_empty());
        // Numbers that are content stay.
        assert_eq!(parse_statements("7443 is the port"), ["7443 is the port"]);
        let many: String = (0..20).map(|i| format!("- fact {i}\n")).collect();
        assert_eq!(parse_statements(&many).len(), MAX_STATEMENTS);
    }

    #[test]
    fn verdicts_read_the_first_word() {
        assert_eq!(parse_verdict("Yes."), Some(true));
        assert_eq!(parse_verdict("**no**, it does not"), Some(false));
        assert_eq!(parse_verdict(" TRUE"), Some(true));
        assert_eq!(parse_verdict("The statement is supported"), None);
        assert_eq!(parse_verdict(""), None);
        assert_eq!(parse_verdict("yesterday"), None);
    }

    #[test]
    fn faithfulness_is_supported_over_judged() {
        let s = |v: Option<bool>| ("x".to_string(), v);
        assert_eq!(
            faithfulness(&[s(Some(true)), s(Some(false)), s(None), s(Some(true))]),
            Some(2.0 / 3.0)
        );
        assert_eq!(faithfulness(&[s(None)]), None);
        assert_eq!(faithfulness(&[]), None);
    }

    #[test]
    fn prompts_number_the_chunks() {
        let r = answer_request("Which port?", &["a ", " b"]);
        assert_eq!(
            r.messages[1].content,
            "Context:\n[1] a\n\n[2] b\n\nQuestion: Which port?"
        );
        assert!(verdict_request(&["a"], "s", true).messages[1]
            .content
            .ends_with("exactly one word: yes or no."));
    }
}
