//! `llm:method=prompted` — the model is asked where topics change (Chroma's
//! `LLMSemanticChunker`, LumberChunker).
//!
//! 1. Split the document into pieces of about `piece` cl100k tokens (default 50).
//! 2. Show the model a window of consecutive pieces (as many as fit in `window` tokens, default
//!    600, at least two), each tagged `<|start_chunk_K|>…<|end_chunk_K|>` with K = 1, 2, … in the
//!    window, and ask after which pieces the topic changes. The answer must be exactly
//!    `split_after: 3, 7` — ids ascending, each between 1 and the window's last id (the last id
//!    means "no change inside this window"). Where the backend supports grammars (the embedded
//!    model), decoding is constrained to that form; answers are parsed strictly anyway.
//! 3. An unusable answer — not in that form, ids out of range or not ascending, or a split after
//!    every piece of a window of more than three — is retried `retries` times (default 1) with the
//!    reason in a follow-up message. If it is still unusable, the window **falls back** to the
//!    rule: no cut inside it, one cut at its end (a fixed-size chunk of about `window` tokens).
//!    Every fallback is counted in the strategy's cost record (`fallbacks`) and in the terminal
//!    summary.
//! 4. The next window starts at the last cut (Chroma's way); after a "no change" answer, at the
//!    window's middle piece; after a fallback, at the window's end.
//! 5. `max` (default 400 cl100k tokens) always holds: a chunk over it is split at its middle piece,
//!    recursively.

use super::{assemble, pieces};
use crate::chunk::sizer::cl100k_tokens;
use crate::chunk::Params;
use crate::chunk::{ChunkEnv, Chunker, Span};
use crate::error::Result;
use crate::llm::{ChatRequest, Llm, Message};

/// The prompted chunker.
#[derive(Debug, Clone)]
pub struct Prompted {
    pub piece: usize,
    pub max: usize,
    /// Tokens of text shown per window.
    pub window: usize,
    /// Extra attempts after an unusable answer.
    pub retries: usize,
}

const SYSTEM: &str = "You split documents into sections that each keep to one topic. The text is \
divided into numbered chunks, each wrapped in <|start_chunk_K|> and <|end_chunk_K|> tags where K is \
the chunk's number. Name the chunks after which a new topic begins: if chunks 1 and 2 are about one \
thing and chunk 3 starts another, answer split_after: 2. List the numbers in ascending order. If \
every chunk is about the same topic, answer with the last chunk's number. Answer only in the form \
split_after: 3, 7";

impl Prompted {
    pub const PARAMS: &'static [&'static str] = &["method", "piece", "max", "window", "retries"];

    pub(crate) fn from_params(p: &mut Params, piece: usize, max: usize) -> Result<Self> {
        let window = p.usize_opt("window")?.unwrap_or(600);
        if window < 2 * piece {
            return Err(p.error(format!(
                "`window` ({window}) must hold at least two pieces (2 × piece = {})",
                2 * piece
            )));
        }
        let retries = p.usize_opt("retries")?.unwrap_or(1);
        p.finish(Self::PARAMS)?;
        Ok(Prompted {
            piece,
            max,
            window,
            retries,
        })
    }

    /// Asks about one window of `texts` (ids 1..=m); `None` when every attempt was unusable.
    fn ask(&self, llm: &dyn Llm, texts: &[&str]) -> Result<Option<Vec<usize>>> {
        let m = texts.len();
        let mut body = String::from("CHUNKED_TEXT:\n");
        for (k, t) in texts.iter().enumerate() {
            body.push_str(&format!(
                "<|start_chunk_{}|>{t}<|end_chunk_{}|>\n",
                k + 1,
                k + 1
            ));
        }
        body.push_str(&format!(
            "\nAnswer only with split_after: followed by the numbers (between 1 and {m}) of the \
             chunks after which a new topic begins, in ascending order."
        ));
        let mut request = ChatRequest {
            messages: vec![Message::system(SYSTEM), Message::user(body)],
            max_tokens: 8 + 3 * m,
            stop: vec!["\n".into()],
            grammar: Some(grammar(m)),
        };
        for attempt in 0..=self.retries {
            let answer = llm.complete(&request)?;
            match parse_answer(&answer.text, m) {
                Ok(ids) => return Ok(Some(ids)),
                Err(reason) if attempt < self.retries => {
                    request.messages.push(Message {
                        role: "assistant".into(),
                        content: answer.text,
                    });
                    request.messages.push(Message::user(format!(
                        "That answer cannot be used: {reason}. Reply exactly in the form \
                         split_after: 3, 7 with ascending numbers between 1 and {m}."
                    )));
                }
                Err(_) => {}
            }
        }
        Ok(None)
    }
}

/// A GBNF grammar for `split_after: a, b, ...` with ids in `1..=m`.
pub fn grammar(m: usize) -> String {
    let ids: Vec<String> = (1..=m).rev().map(|k| format!("\"{k}\"")).collect();
    format!(
        "root ::= \"split_after: \" id (\", \" id)*\nid ::= {}\n",
        ids.join(" | ")
    )
}

/// Parses an answer strictly: `split_after:` then comma-separated ascending ids in `1..=m`
/// (surrounding whitespace allowed). Returns the ids below `m` (cuts inside the window), or why
/// the answer is unusable.
pub fn parse_answer(text: &str, m: usize) -> std::result::Result<Vec<usize>, String> {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("split_after:") else {
        let shown: String = t.chars().take(60).collect();
        return Err(format!("it does not start with `split_after:` ({shown:?})"));
    };
    let mut ids: Vec<usize> = Vec::new();
    for part in rest.split(',') {
        let p = part.trim();
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 6 {
            return Err(format!("{p:?} is not a chunk number"));
        }
        let id: usize = p.parse().expect("digits");
        if id == 0 || id > m {
            return Err(format!("{id} is not between 1 and {m}"));
        }
        if ids.last().is_some_and(|&last| id <= last) {
            return Err("the numbers are not in ascending order".into());
        }
        ids.push(id);
    }
    if m > 3 && ids.len() >= m - 1 && (1..m).all(|k| ids.contains(&k)) {
        return Err("it splits after every chunk".into());
    }
    ids.retain(|&id| id < m);
    Ok(ids)
}

impl Chunker for Prompted {
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let spans = pieces(text, self.piece)?;
        let n = spans.len();
        let middle = |r: std::ops::Range<usize>| (r.start + r.end) / 2;
        if n < 2 {
            return Ok(assemble(text, &spans, &[], self.max, &middle));
        }
        let llm = env.llm()?;
        let texts: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        let tokens: Vec<usize> = texts.iter().map(|t| cl100k_tokens(t)).collect();
        let mut cuts: Vec<usize> = Vec::new();
        let mut at = 0;
        while n - at >= 2 {
            let mut end = at;
            let mut sum = 0;
            while end < n && (end - at < 2 || sum + tokens[end] <= self.window) {
                sum += tokens[end];
                end += 1;
            }
            let (next, cut_at_end) = match self.ask(llm, &texts[at..end])? {
                Some(ids) if !ids.is_empty() => {
                    cuts.extend(ids.iter().map(|&id| at + id));
                    (at + ids.last().expect("non-empty"), false)
                }
                // No topic change inside: look again from the window's middle.
                Some(_) => ((at + end) / 2, false),
                None => {
                    env.llm_fallback();
                    (end, true)
                }
            };
            if end == n {
                break;
            }
            if cut_at_end {
                cuts.push(end);
            }
            at = next.max(at + 1);
        }
        cuts.sort_unstable();
        cuts.dedup();
        Ok(assemble(text, &spans, &cuts, self.max, &middle))
    }

    fn needs_llm(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strictly() {
        assert_eq!(parse_answer("split_after: 3, 7", 9), Ok(vec![3, 7]));
        assert_eq!(parse_answer("  split_after:2\n", 4), Ok(vec![2]));
        assert_eq!(parse_answer("split_after: 5", 5), Ok(vec![])); // the last id: no change
        for bad in [
            "",
            "The topic changes after 3.",
            "split_after: 3, 3",
            "split_after: 7, 3",
            "split_after: 0",
            "split_after: 12",
            "split_after: 3,",
            "split_after: three",
            "split_after: 1, 2, 3, 4, 5",
        ] {
            assert!(parse_answer(bad, 6).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn grammar_lists_every_id() {
        let g = grammar(3);
        assert!(g.starts_with("root ::= \"split_after: \" id"));
        assert!(g.contains("id ::= \"3\" | \"2\" | \"1\""));
    }
}
