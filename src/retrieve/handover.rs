//! What the generator is handed for a question: the top k chunks, or chunks in rank order until a
//! token budget (cl100k) is spent, the last one cut to a prefix of its span so every strategy
//! hands over the same amount of text. Span and rank metrics are computed on what is handed over.

use serde::{Deserialize, Serialize};

use super::Hit;
use crate::chunk::sizer::{token_offsets, Unit};
use crate::error::Result;

/// The hand-over rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handover {
    /// The first k chunks.
    TopK(usize),
    /// Chunks in rank order up to this many cl100k tokens, the last one cut.
    Budget(usize),
}

/// One chunk as handed over: its rank score and how many bytes of its span (from the start) are
/// handed over — all of it, except for the chunk a budget cuts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Handed {
    pub chunk: usize,
    pub score: f32,
    pub bytes: usize,
}

impl Handover {
    /// "top-5" or "1000 tokens", as row names and reports write it.
    pub fn label(&self) -> String {
        match self {
            Handover::TopK(k) => format!("top-{k}"),
            Handover::Budget(t) => format!("{t} tokens"),
        }
    }

    /// Takes chunks from a ranking. `rank(n)` gives the first `n` chunks (fewer when the
    /// retriever has no more); `tokens[c]` is chunk `c`'s cl100k length and `texts[c]` its text.
    /// How many ranked chunks [`Self::take`] asks for first (a budget may ask for more).
    pub fn first_request(&self) -> usize {
        match *self {
            Handover::TopK(k) => k,
            Handover::Budget(_) => FIRST_BUDGET_REQUEST,
        }
    }

    pub fn take(
        &self,
        mut rank: impl FnMut(usize) -> Result<Vec<Hit>>,
        tokens: &[usize],
        texts: &[&str],
    ) -> Result<Vec<Handed>> {
        match *self {
            Handover::TopK(k) => Ok(rank(k)?
                .into_iter()
                .map(|(c, score)| Handed {
                    chunk: c,
                    score,
                    bytes: texts[c].len(),
                })
                .collect()),
            Handover::Budget(budget) => take_budget(budget, rank, tokens, texts),
        }
    }
}

/// The first ranking length a budget asks for.
const FIRST_BUDGET_REQUEST: usize = 16;

fn take_budget(
    budget: usize,
    mut rank: impl FnMut(usize) -> Result<Vec<Hit>>,
    tokens: &[usize],
    texts: &[&str],
) -> Result<Vec<Handed>> {
    // A few chunks first, then four times as many until the budget is spent or the ranking
    // runs out.
    let mut n = FIRST_BUDGET_REQUEST;
    loop {
        let hits = rank(n)?;
        let exhausted = hits.len() < n;
        let mut left = budget;
        let mut out = Vec::new();
        for (c, score) in hits {
            if left == 0 {
                return Ok(out);
            }
            let t = tokens[c];
            let bytes = if t <= left {
                texts[c].len()
            } else {
                prefix_bytes(texts[c], left)
            };
            left -= t.min(left);
            if bytes > 0 {
                out.push(Handed {
                    chunk: c,
                    score,
                    bytes,
                });
            }
        }
        if left == 0 || exhausted {
            return Ok(out);
        }
        n *= 4;
    }
}

/// Bytes of the first `tokens` cl100k tokens of `text`, snapped down to a char boundary.
fn prefix_bytes(text: &str, tokens: usize) -> usize {
    let bpe = Unit::Cl100k.bpe().expect("cl100k is a token unit");
    let offsets = token_offsets(bpe, text);
    let mut at = offsets[tokens.min(offsets.len() - 1)];
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::sizer::cl100k_tokens;

    fn ranking(order: &'static [usize]) -> impl FnMut(usize) -> Result<Vec<Hit>> {
        move |n| Ok(order.iter().take(n).map(|&c| (c, 1.0)).collect())
    }

    #[test]
    fn a_budget_takes_whole_chunks_then_cuts_the_last() {
        let texts = [
            "one two three four five",
            "six seven eight",
            "nine ten eleven twelve",
        ];
        let tokens: Vec<usize> = texts.iter().map(|t| cl100k_tokens(t)).collect();
        assert_eq!(tokens, [5, 3, 4]);
        let got = Handover::Budget(10)
            .take(ranking(&[1, 0, 2]), &tokens, &texts)
            .unwrap();
        // 3 + 5 whole, then 2 tokens of chunk 2: "nine ten".
        assert_eq!(got.iter().map(|h| h.chunk).collect::<Vec<_>>(), [1, 0, 2]);
        assert_eq!(got[1].bytes, texts[0].len());
        assert_eq!(&texts[2][..got[2].bytes], "nine ten");
        let handed: usize = got
            .iter()
            .map(|h| cl100k_tokens(&texts[h.chunk][..h.bytes]))
            .sum();
        assert_eq!(handed, 10);
    }

    #[test]
    fn a_budget_larger_than_everything_hands_over_everything_and_top_k_takes_k() {
        let texts = ["a b", "c d"];
        let tokens = [2, 2];
        let all = Handover::Budget(1000)
            .take(ranking(&[0, 1]), &tokens, &texts)
            .unwrap();
        assert_eq!(all.len(), 2);
        let top = Handover::TopK(1)
            .take(ranking(&[1, 0]), &tokens, &texts)
            .unwrap();
        assert_eq!((top.len(), top[0].chunk, top[0].bytes), (1, 1, 3));
        assert_eq!(Handover::Budget(1000).label(), "1000 tokens");
        assert_eq!(Handover::TopK(5).label(), "top-5");
    }

    #[test]
    fn a_cut_inside_a_multibyte_character_snaps_to_its_start() {
        let text = "😀😀😀 emoji";
        let b = prefix_bytes(text, 1);
        assert!(text.is_char_boundary(b) && b <= 4, "{b}");
    }
}
