//! The `llm` family: chunkers that ask a language model where topics change. Two methods, chosen
//! by `method=`:
//!
//! - [`likelihood`] (the default): the model reads each ~50-token piece after the text before it
//!   and on its own; where the preceding text stops helping it predict the piece, a topic starts
//!   (the perplexity idea of Meta-Chunking, Zhao et al. 2024). Works with a 135M model.
//! - [`prompted`]: the model sees windows of id-tagged pieces and answers after which ids the
//!   topic changes (`split_after: 3, 7`), as Chroma's `LLMSemanticChunker` and LumberChunker do.
//!   Meant for capable models behind an endpoint; every window whose answer is unusable falls back
//!   to a documented rule and is counted in the strategy's cost record.
//!
//! Both cut only between pieces (Chroma's separator splitter at `piece` cl100k tokens, so pieces
//! end at paragraph, line or sentence ends where possible), emit exact spans, and respect `max`
//! (cl100k tokens, counted on each chunk's own text): a group over `max` is split at its
//! weakest boundary (lowest gain, or the middle piece for `prompted`) until it fits.

pub mod likelihood;
pub mod prompted;

use crate::chunk::separators::SeparatorSplitter;
use crate::chunk::sizer::{cl100k_tokens, token_offsets};
use crate::chunk::{Chunker, Family, NoEmbeddings, Params, Span, Unit};
use crate::error::Result;
use crate::strategy::Strategy;
use crate::text::{ceil_char_boundary, trim_range};

/// `llm`: topic boundaries from a language model.
pub const FAMILY: Family = Family {
    name: "llm",
    params: "method=likelihood|prompted, piece=50, max=400; likelihood: context=256, rule=zscore|lowest|target, z=1.5, count=1, target=250, min=100; prompted: window=600, retries=1",
    about: "topic cuts by a language model: the embedded SmolLM2-135M (--llm-model GGUF) or an OpenAI-compatible endpoint (--llm-url)",
    build: from_strategy,
};

/// Smallest accepted `max`.
const MIN_MAX: usize = 16;

/// Builds the chunker of an `llm:` strategy.
pub fn from_strategy(strategy: &Strategy) -> Result<Box<dyn Chunker>> {
    let mut p = Params::new(strategy);
    #[derive(Clone, Copy)]
    enum M {
        Likelihood,
        Prompted,
    }
    let method = p.choice(
        "method",
        &[("likelihood", M::Likelihood), ("prompted", M::Prompted)],
        M::Likelihood,
    )?;
    let piece = p.usize_opt("piece")?.unwrap_or(50);
    let max = p.usize_opt("max")?.unwrap_or(400);
    if piece < 8 {
        return Err(p.error(format!("`piece` must be at least 8 tokens, got {piece}")));
    }
    if max < MIN_MAX.max(piece) {
        return Err(p.error(format!(
            "`max` ({max}) must be at least `piece` ({piece}) and at least {MIN_MAX} tokens"
        )));
    }
    match method {
        M::Likelihood => Ok(Box::new(likelihood::Likelihood::from_params(
            &mut p, piece, max,
        )?)),
        M::Prompted => Ok(Box::new(prompted::Prompted::from_params(
            &mut p, piece, max,
        )?)),
    }
}

/// The pieces of `text`: Chroma's separator splitter at `piece` cl100k tokens (trimmed spans),
/// with fragments under a quarter of `piece` (a lone `.` the splitter leaves at a paragraph end)
/// merged into the piece before them, so every piece carries enough text to be scored.
pub(crate) fn pieces(text: &str, piece: usize) -> Result<Vec<Span>> {
    let raw = SeparatorSplitter::chroma(piece, 0, Unit::Cl100k).chunk(text, &NoEmbeddings)?;
    let small = piece / 4;
    let mut out: Vec<Span> = Vec::with_capacity(raw.len());
    let mut pending: Option<Span> = None; // small fragments before the first real piece
    for sp in raw {
        let merged = match pending.take() {
            Some(p) => Span::new(p.start, sp.end),
            None => sp,
        };
        if cl100k_tokens(&text[sp.start..sp.end]) < small {
            match out.last_mut() {
                Some(prev) => prev.end = sp.end,
                None => pending = Some(merged),
            }
            continue;
        }
        let mut merged = merged;
        // The splitter keeps a `.` separator at the start of the next piece (". The queen..."):
        // give the punctuation back to the piece it ends, so pieces and chunks start on a word.
        if let Some(prev) = out.last_mut() {
            if text[merged.start..].starts_with(['.', '?', '!']) {
                let (s, e) = trim_range(text, merged.start + 1, merged.end);
                if s < e {
                    prev.end = merged.start + 1;
                    merged = Span::new(s, e);
                }
            }
        }
        out.push(merged);
    }
    out.extend(pending);
    Ok(out)
}

/// The text a piece is read as: from the end of the previous piece (so the whitespace between
/// them comes along, and the pieces concatenate to the document up to the last piece's end).
pub(crate) fn piece_texts<'t>(text: &'t str, pieces: &[Span]) -> Vec<&'t str> {
    let mut prev = 0;
    pieces
        .iter()
        .map(|p| {
            let t = &text[prev..p.end];
            prev = p.end;
            t
        })
        .collect()
}

/// Turns cut positions (cut before piece `i`, sorted, each in `1..n`) into chunks, splitting any
/// chunk over `max` tokens at the boundary `weakest` picks among its inner boundaries (given as
/// piece indices `i`: a cut before piece `i`) until every chunk fits.
pub(crate) fn assemble(
    text: &str,
    pieces: &[Span],
    cuts: &[usize],
    max: usize,
    weakest: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Vec<Span> {
    let mut out = Vec::new();
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < pieces.len()));
    bounds.push(pieces.len());
    bounds.dedup();
    for w in bounds.windows(2) {
        fit(text, pieces, w[0]..w[1], max, weakest, &mut out);
    }
    out
}

fn fit(
    text: &str,
    pieces: &[Span],
    group: std::ops::Range<usize>,
    max: usize,
    weakest: &dyn Fn(std::ops::Range<usize>) -> usize,
    out: &mut Vec<Span>,
) {
    if group.is_empty() {
        return;
    }
    let span = Span::new(pieces[group.start].start, pieces[group.end - 1].end);
    if cl100k_tokens(&text[span.start..span.end]) <= max {
        out.push(span);
        return;
    }
    if group.len() == 1 {
        split_tokens(text, span, max, out);
        return;
    }
    let cut = weakest(group.start + 1..group.end);
    debug_assert!(cut > group.start && cut < group.end);
    let cut = cut.clamp(group.start + 1, group.end - 1);
    fit(text, pieces, group.start..cut, max, weakest, out);
    fit(text, pieces, cut..group.end, max, weakest, out);
}

/// Splits one over-long span into windows of at most `max` tokens (trimmed, re-counted).
fn split_tokens(text: &str, span: Span, max: usize, out: &mut Vec<Span>) {
    let bpe = Unit::Cl100k.bpe().expect("cl100k is a BPE unit");
    let offsets = token_offsets(bpe, &text[span.start..span.end]);
    let mut i = 0;
    let n = offsets.len() - 1;
    while i < n {
        let mut take = max.min(n - i);
        loop {
            let s = ceil_char_boundary(text, span.start + offsets[i]);
            let e = ceil_char_boundary(text, span.start + offsets[i + take]);
            let (s, e) = trim_range(text, s, e);
            if take == 1 || cl100k_tokens(&text[s..e]) <= max {
                if s < e {
                    out.push(Span::new(s, e));
                }
                break;
            }
            take -= 1;
        }
        i += take;
    }
}

/// Mean negative log-likelihood per token (nats), over the finite log-probabilities.
pub(crate) fn mean_loss(logprobs: &[f32]) -> Option<f64> {
    let finite: Vec<f64> = logprobs
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| -f64::from(x))
        .collect();
    (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::testing::assert_valid;

    #[test]
    fn assemble_respects_max_and_covers_pieces() {
        let text = "alpha beta gamma. ".repeat(200);
        let ps = pieces(&text, 20).unwrap();
        assert!(ps.len() > 10);
        let spans = assemble(&text, &ps, &[3, 7], 60, &|r| (r.start + r.end) / 2);
        assert_valid(&text, &spans);
        for s in &spans {
            assert!(cl100k_tokens(&text[s.start..s.end]) <= 60);
        }
        assert_eq!(spans.first().unwrap().start, ps[0].start);
        assert_eq!(spans.last().unwrap().end, ps.last().unwrap().end);
    }

    #[test]
    fn tiny_fragments_join_the_piece_before() {
        let text =
            "One two three four five six seven eight.\n\n.\n\nNine ten eleven twelve thirteen.";
        let ps = pieces(text, 12).unwrap();
        assert!(
            ps.iter().all(|p| cl100k_tokens(&text[p.start..p.end]) >= 3),
            "{ps:?}"
        );
        assert_eq!(ps.last().unwrap().end, text.len());
        assert_eq!(ps[0].start, 0);
    }

    #[test]
    fn long_piece_is_split_into_windows() {
        let text = "x".repeat(3000);
        let mut out = Vec::new();
        split_tokens(&text, Span::new(0, text.len()), 50, &mut out);
        assert!(out.len() > 1);
        for s in &out {
            assert!(cl100k_tokens(&text[s.start..s.end]) <= 50);
        }
        assert_eq!(out.last().unwrap().end, text.len());
    }

    #[test]
    fn rejects_bad_parameters() {
        for spec in [
            "llm:method=nope",
            "llm:max=4",
            "llm:piece=100,max=50",
            "llm:rule=zscore,count=2",
            "llm:method=prompted,rule=lowest",
            "llm:bogus=1",
        ] {
            let s = Strategy::parse(spec).unwrap();
            assert!(from_strategy(&s).is_err(), "{spec} accepted");
        }
        for spec in [
            "llm",
            "llm:method=prompted,window=300",
            "llm:rule=target,target=200",
        ] {
            let s = Strategy::parse(spec).unwrap();
            let c = from_strategy(&s).unwrap();
            assert!(c.needs_llm(), "{spec}");
        }
    }
}
