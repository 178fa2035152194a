//! `llm`: what a language model can answer. The input is the header, the document, then any
//! number of answers, each after a 0xFF byte (which never occurs in UTF-8).
//!
//! 1. The prompted parser, `parse_answer`, over every answer and the document itself, with a
//!    window of 1–80 pieces: it never panics, and what it accepts is ascending ids inside the
//!    window; a well-formed answer built from the input is accepted (or refused only for
//!    splitting after every piece).
//! 2. Both chunkers (`method=prompted` and `method=likelihood`) through the public API, with a
//!    stand-in model: `prompted` gets the input's answers or well-formed ones, `likelihood` gets
//!    log-probabilities hashed from the text (some infinite or NaN when the input says so). The
//!    spans must keep the invariants: disjoint, at most `max` cl100k tokens, covering the text,
//!    and the same on a second run.
#![no_main]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chunkbench::chunk::llm::prompted::parse_answer;
use chunkbench::chunk::ChunkEnv;
use chunkbench::error::Result;
use chunkbench::llm::{ChatRequest, Completion, Llm, Scored};
use chunkbench_fuzz::{check, Input, Limit};
use libfuzzer_sys::fuzz_target;

/// A model whose every answer is a function of the request and the fuzz input.
struct FuzzLlm {
    answers: Vec<String>,
    seed: u64,
    /// Also answer with -inf and NaN log-probabilities.
    odd: bool,
}

fn hash(seed: u64, parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    seed.hash(&mut h);
    parts.hash(&mut h);
    h.finish()
}

/// `split_after: …` with an ascending, non-empty subset of `1..=m` chosen by `bits`.
fn well_formed(m: usize, bits: u64) -> (String, Vec<usize>) {
    let mut ids: Vec<usize> = (1..=m).filter(|k| bits >> (k % 64) & 1 == 1).collect();
    if ids.is_empty() {
        ids.push(m.max(1));
    }
    let list: Vec<String> = ids.iter().map(|k| k.to_string()).collect();
    (format!("split_after: {}", list.join(", ")), ids)
}

impl Llm for FuzzLlm {
    fn id(&self) -> &str {
        "fuzz"
    }

    fn complete(&self, request: &ChatRequest) -> Result<Completion> {
        let contents: Vec<&str> = request
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect();
        let h = hash(self.seed, &contents);
        // The window's size: the pieces tagged in the first user message.
        let m = request
            .messages
            .get(1)
            .map_or(0, |msg| msg.content.matches("<|end_chunk_").count());
        let text = if !self.answers.is_empty() && h % 3 != 0 {
            self.answers[(h / 3) as usize % self.answers.len()].clone()
        } else {
            well_formed(m, h.rotate_left(17)).0
        };
        Ok(Completion {
            text,
            prompt_tokens: 0,
            completion_tokens: 0,
        })
    }

    fn score(&self, context: &str, continuation: &str) -> Result<Scored> {
        let n = continuation.len().div_ceil(4);
        let base = hash(self.seed, &[context, continuation]);
        let logprobs = (0..n as u64)
            .map(|i| {
                let x = base
                    .wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    .rotate_left(29);
                match x % 101 {
                    0 if self.odd => f32::NEG_INFINITY,
                    1 if self.odd => f32::NAN,
                    _ => -((x % 1000) as f32) / 100.0,
                }
            })
            .collect();
        Ok(Scored {
            logprobs,
            prompt_tokens: 0,
        })
    }
}

struct FuzzEnv(FuzzLlm);

impl ChunkEnv for FuzzEnv {
    fn embed(&self, _texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        panic!("the llm family does not embed");
    }

    fn llm(&self) -> Result<&dyn Llm> {
        Ok(&self.0)
    }
}

/// The parser's promises on one answer for a window of `m` pieces.
fn check_parse(answer: &str, m: usize) {
    if let Ok(ids) = parse_answer(answer, m) {
        assert!(
            answer.trim().starts_with("split_after:"),
            "accepted {answer:?}"
        );
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{answer:?} → {ids:?} not ascending"
        );
        assert!(
            ids.iter().all(|&id| id >= 1 && id < m),
            "{answer:?} → {ids:?} outside 1..{m}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let m = input.range(1, 80);
    let bits = (input.byte() as u64) << 56 | (input.byte() as u64) << 24 | input.byte() as u64;
    let prompted = input.byte() % 2 == 0;
    let piece = input.range(8, 100);
    let max = input.range(16.max(piece), 600);
    let seed = input.byte() as u64;
    let odd = input.byte() % 4 == 0;

    let mut parts = input.rest.split(|&b| b == 0xFF);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let answers: Vec<String> = parts
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();

    // 1. The parser.
    check_parse(&text, m);
    for a in &answers {
        check_parse(a, m);
    }
    let (answer, ids) = well_formed(m, bits);
    let every = m > 3 && (1..m).all(|k| ids.contains(&k));
    match parse_answer(&answer, m) {
        Ok(got) => {
            assert!(
                !every,
                "{answer:?} splits after every piece but was accepted"
            );
            let want: Vec<usize> = ids.iter().copied().filter(|&k| k < m).collect();
            assert_eq!(got, want, "{answer:?}");
        }
        Err(e) => assert!(every, "well-formed {answer:?} refused: {e}"),
    }

    // 2. The chunkers, with the stand-in model.
    let spec = if prompted {
        let window = input.range(2 * piece, 1200);
        let retries = input.range(0, 2);
        format!("llm:method=prompted,piece={piece},max={max},window={window},retries={retries}")
    } else {
        let context = input.range(1, 512);
        let min = input.range(0, 600) % (max + 1);
        let rule = match input.byte() % 3 {
            0 => format!("rule=zscore,z={}", input.range(0, 60) as f64 / 10.0 - 2.0),
            1 => format!("rule=lowest,count={}", input.range(0, 6)),
            _ => format!("rule=target,target={}", input.range(piece, 800)),
        };
        format!("llm:method=likelihood,piece={piece},max={max},context={context},min={min},{rule}")
    };
    let env = FuzzEnv(FuzzLlm { answers, seed, odd });
    check(&spec, &text, &env, true, Limit::Cl100k(max));
});
