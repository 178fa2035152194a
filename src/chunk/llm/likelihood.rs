//! `llm:method=likelihood` — topic boundaries from the model's per-token loss.
//!
//! 1. Split the document into pieces of about `piece` cl100k tokens (default 50; Chroma's
//!    separator splitter, so pieces end at paragraph, line or sentence ends where possible).
//! 2. Read every piece twice with the model: after the text before it (at least the last
//!    `context` model tokens of it, default 256; one pass over the document in overlapping
//!    windows) and on its own. The **gain** of piece `i` is its mean per-token loss on its own
//!    minus its loss after the preceding text, in nats per token. Inside a topic the preceding text
//!    helps a lot (typically 0.4–1.6 nats/token with SmolLM2-135M); where a new topic starts it
//!    stops helping and the gain drops towards 0. (The perplexity idea of Meta-Chunking, Zhao et
//!    al. 2024.)
//! 3. Cut before the pieces whose gain is low, by `rule`:
//!    - `zscore` (default): where the gain is more than `z` standard deviations below the
//!      document's mean gain (default `z=1.5`);
//!    - `lowest`: before the `count` lowest-gain pieces of each document (default 1);
//!    - `target`: before the lowest-gain pieces, as many as give chunks of `target` tokens on
//!      average (`round(document tokens / target) − 1`; default 250).
//!
//!    Cuts are taken lowest gain first, skipping any that would leave a chunk under `min` tokens
//!    (default 100) next to a cut already taken or the document's ends.
//! 4. `max` (default 400 cl100k tokens) always holds: a chunk over it is split before its
//!    lowest-gain inner piece, recursively.
//!
//! Cost per document: one pass over the document in windows, plus one call per piece read on its
//! own; both go through the response cache. Set `CHUNKBENCH_LLM_TRACE=1` to print every piece's
//! gain and the cuts to stderr.

use super::{assemble, mean_loss, piece_texts, pieces};
use crate::chunk::sizer::cl100k_tokens;
use crate::chunk::Params;
use crate::chunk::{ChunkEnv, Chunker, Span};
use crate::error::Result;

/// How cut positions are chosen from the gains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Gain more than `z` standard deviations below the mean.
    ZScore(f64),
    /// The `n` lowest gains per document.
    Lowest(usize),
    /// The lowest gains, as many as make chunks of this many tokens on average.
    Target(usize),
}

/// The likelihood chunker.
#[derive(Debug, Clone)]
pub struct Likelihood {
    pub piece: usize,
    pub max: usize,
    pub context: usize,
    pub rule: Rule,
    pub min: usize,
}

/// A piece and its gain (nats/token; the first piece of a document has none).
#[derive(Debug, Clone, PartialEq)]
pub struct PieceGain {
    pub span: Span,
    pub gain: Option<f64>,
    pub tokens: usize,
}

impl Likelihood {
    pub const PARAMS: &'static [&'static str] = &[
        "method", "piece", "max", "context", "rule", "z", "count", "target", "min",
    ];

    pub(crate) fn from_params(p: &mut Params, piece: usize, max: usize) -> Result<Self> {
        #[derive(Clone, Copy)]
        enum R {
            Z,
            L,
            T,
        }
        let rule = p.choice(
            "rule",
            &[("zscore", R::Z), ("lowest", R::L), ("target", R::T)],
            R::Z,
        )?;
        let z = p.f64_opt("z")?;
        let count = p.usize_opt("count")?;
        let target = p.usize_opt("target")?;
        let misplaced = match rule {
            R::Z => count.map(|_| "count").or(target.map(|_| "target")),
            R::L => z.map(|_| "z").or(target.map(|_| "target")),
            R::T => z.map(|_| "z").or(count.map(|_| "count")),
        };
        if let Some(k) = misplaced {
            return Err(p.error(format!(
                "`{k}` does not apply to this rule: `z` goes with rule=zscore, `count` with \
                 rule=lowest, `target` with rule=target"
            )));
        }
        let rule = match rule {
            R::Z => Rule::ZScore(z.unwrap_or(1.5)),
            R::L => Rule::Lowest(count.unwrap_or(1)),
            R::T => {
                let t = target.unwrap_or(250);
                if t < piece {
                    return Err(
                        p.error(format!("`target` ({t}) must be at least `piece` ({piece})"))
                    );
                }
                Rule::Target(t)
            }
        };
        let context = p.usize_opt("context")?.unwrap_or(256);
        if context == 0 {
            return Err(p.error("`context` must be at least 1 token"));
        }
        let min = p.usize_opt("min")?.unwrap_or(100);
        if min > max {
            return Err(p.error(format!("`min` ({min}) must not exceed `max` ({max})")));
        }
        p.finish(Self::PARAMS)?;
        Ok(Likelihood {
            piece,
            max,
            context,
            rule,
            min,
        })
    }

    /// The pieces of `text` and their gains, read with the environment's model.
    pub fn gains(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<PieceGain>> {
        let spans = pieces(text, self.piece)?;
        let mut out: Vec<PieceGain> = spans
            .iter()
            .map(|s| PieceGain {
                span: *s,
                gain: None,
                tokens: cl100k_tokens(&text[s.start..s.end]),
            })
            .collect();
        if spans.len() < 2 {
            return Ok(out);
        }
        let llm = env.llm()?;
        let texts = piece_texts(text, &spans);
        let after = llm.score_sequence(&texts, self.context)?;
        for i in 1..spans.len() {
            let alone = llm.score("", texts[i])?;
            out[i].gain = match (mean_loss(&alone.logprobs), mean_loss(&after[i].logprobs)) {
                (Some(a), Some(b)) => Some(a - b),
                _ => None,
            };
        }
        Ok(out)
    }

    /// Cut positions (before piece `i`) chosen by the rule and `min`, sorted.
    pub fn cuts(&self, gains: &[PieceGain]) -> Vec<usize> {
        let scored: Vec<(usize, f64)> = gains
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.gain.map(|x| (i, x)))
            .collect();
        if scored.is_empty() {
            return Vec::new();
        }
        let total: usize = gains.iter().map(|g| g.tokens).sum();
        let mut order = scored.clone();
        order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let limit = match self.rule {
            Rule::ZScore(z) => {
                let n = scored.len() as f64;
                let mean = scored.iter().map(|s| s.1).sum::<f64>() / n;
                let std = (scored.iter().map(|s| (s.1 - mean).powi(2)).sum::<f64>() / n).sqrt();
                if std <= 0.0 {
                    return Vec::new();
                }
                order.retain(|s| (mean - s.1) / std > z);
                order.len()
            }
            Rule::Lowest(n) => n,
            Rule::Target(t) => ((total as f64 / t as f64).round() as usize).saturating_sub(1),
        };
        // Token position of the start of each piece.
        let mut at = Vec::with_capacity(gains.len() + 1);
        let mut sum = 0;
        for g in gains {
            at.push(sum);
            sum += g.tokens;
        }
        at.push(sum);
        let mut taken: Vec<usize> = Vec::new();
        for (i, _) in order {
            if taken.len() == limit {
                break;
            }
            let far = |a: usize, b: usize| at[a.max(b)] - at[a.min(b)] >= self.min;
            if far(i, 0) && far(i, gains.len()) && taken.iter().all(|&c| far(i, c)) {
                taken.push(i);
            }
        }
        taken.sort_unstable();
        taken
    }
}

impl Chunker for Likelihood {
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let gains = self.gains(text, env)?;
        let spans: Vec<Span> = gains.iter().map(|g| g.span).collect();
        let cuts = self.cuts(&gains);
        if std::env::var_os("CHUNKBENCH_LLM_TRACE").is_some() {
            for (i, g) in gains.iter().enumerate() {
                let head: String = text[g.span.start..g.span.end].chars().take(50).collect();
                let mark = if cuts.contains(&i) { "CUT" } else { "" };
                eprintln!(
                    "{i:>4} {:>7} {mark:>3} {head:?}",
                    g.gain.map_or("-".into(), |x| format!("{x:.3}"))
                );
            }
        }
        let weakest = |r: std::ops::Range<usize>| {
            r.clone()
                .min_by(|&a, &b| {
                    let (ga, gb) = (
                        gains[a].gain.unwrap_or(f64::INFINITY),
                        gains[b].gain.unwrap_or(f64::INFINITY),
                    );
                    ga.total_cmp(&gb)
                })
                .unwrap_or(r.start)
        };
        Ok(assemble(text, &spans, &cuts, self.max, &weakest))
    }

    fn needs_llm(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunker(rule: Rule, min: usize) -> Likelihood {
        Likelihood {
            piece: 50,
            max: 400,
            context: 256,
            rule,
            min,
        }
    }

    fn gains(values: &[f64]) -> Vec<PieceGain> {
        values
            .iter()
            .enumerate()
            .map(|(i, &g)| PieceGain {
                span: Span::new(i * 10, i * 10 + 9),
                gain: (i > 0).then_some(g),
                tokens: 50,
            })
            .collect()
    }

    #[test]
    fn rules_pick_the_low_gains() {
        let g = gains(&[0.0, 1.0, 1.1, 0.9, 0.05, 1.2, 1.0, 0.95, 0.1, 1.0, 1.1]);
        assert_eq!(chunker(Rule::Lowest(1), 0).cuts(&g), vec![4]);
        assert_eq!(chunker(Rule::Lowest(2), 0).cuts(&g), vec![4, 8]);
        assert_eq!(chunker(Rule::ZScore(1.0), 0).cuts(&g), vec![4, 8]);
        // 550 tokens / 250 → 2 chunks → 1 cut.
        assert_eq!(chunker(Rule::Target(250), 0).cuts(&g), vec![4]);
    }

    #[test]
    fn min_keeps_cuts_apart() {
        let g = gains(&[0.0, 1.0, 1.0, 0.1, 0.12, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(chunker(Rule::Lowest(2), 0).cuts(&g), vec![3, 4]);
        // The second-lowest (4) is too close to 3: the next lowest far enough is taken.
        assert_eq!(chunker(Rule::Lowest(2), 100).cuts(&g), vec![3, 5]);
        // Nothing within `min` of the ends.
        assert!(chunker(Rule::Lowest(1), 500).cuts(&g).is_empty());
    }

    #[test]
    fn flat_gains_make_no_zscore_cut() {
        let g = gains(&[0.0, 1.0, 1.0, 1.0]);
        assert!(chunker(Rule::ZScore(1.0), 0).cuts(&g).is_empty());
    }
}
