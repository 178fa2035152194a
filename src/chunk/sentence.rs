//! Sentence grouping (chonkie's `SentenceChunker`, LlamaIndex's `SentenceSplitter`): whole
//! sentences, in order, packed into chunks of at most `size` units — or exactly `count` sentences
//! per chunk — with an overlap of `overlap` sentences between consecutive chunks. Sentences are
//! the project's one segmenter (Unicode sentence boundaries, [`super::semantic::sentences`]). A
//! chunk is the span from its first sentence's start to its last sentence's end, so the text
//! between sentences (spaces, line breaks) stays inside it. A single sentence longer than `size`
//! is cut into windows of `size` units, so no chunk is ever over `size`.

use super::doc_tokens::DocSizer;
use super::params::Params;
use super::semantic::sentences::sentences;
use super::window::Window;
use super::{ChunkEnv, Chunker, Family, Span, Unit};
use crate::error::Result;
use crate::strategy::Strategy;

/// `sentence`: groups of whole sentences.
pub const FAMILY: Family = Family {
    name: "sentence",
    params: "size or count (one required), overlap=0 (sentences), unit=cl100k|o200k|chars",
    about: "whole sentences packed up to `size` units, or `count` sentences per chunk",
    build: |s| Ok(Box::new(SentenceGroups::from_strategy(s)?)),
};

/// How many sentences a chunk takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// As many as fit in this many units.
    Size(usize),
    /// Exactly this many (fewer at the end).
    Count(usize),
}

/// The `sentence` chunker.
#[derive(Debug, Clone)]
pub struct SentenceGroups {
    limit: Limit,
    overlap: usize,
    unit: Unit,
}

impl SentenceGroups {
    /// Builds from a strategy's parameters: `size` or `count`, `overlap`, `unit`.
    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let size = p.usize_opt("size")?;
        let count = p.usize_opt("count")?;
        let overlap = p.usize_opt("overlap")?.unwrap_or(0);
        let unit = p.choice("unit", Unit::CHOICES, Unit::Cl100k)?;
        let limit = match (size, count) {
            (Some(0), _) | (_, Some(0)) => {
                return Err(p.error("`size` and `count` must be at least 1"))
            }
            (Some(s), None) => Limit::Size(s),
            (None, Some(c)) => Limit::Count(c),
            (Some(_), Some(_)) => {
                return Err(p.error(
                    "give `size` (units per chunk) or `count` (sentences per chunk), not both",
                ))
            }
            (None, None) => {
                return Err(
                    p.error("missing `size` (units per chunk) or `count` (sentences per chunk)")
                )
            }
        };
        if let Limit::Count(c) = limit {
            if overlap >= c {
                return Err(p.error(format!(
                    "overlap ({overlap} sentences) must be smaller than count ({c}); the chunks would never advance"
                )));
            }
        }
        p.finish(&["size", "count", "overlap", "unit"])?;
        Ok(SentenceGroups {
            limit,
            overlap,
            unit,
        })
    }

    /// The end (exclusive) of the group that starts at sentence `i`: at least one sentence.
    /// `counts` are the sentences' own sizes (for `size`): the group grows while their sum fits,
    /// then shrinks while the span's real size (with the text between the sentences, and tokens
    /// that merge across them) does not, so each sentence is measured once, not once per group
    /// it might join.
    fn group_end(&self, sizer: &DocSizer, units: &[Span], counts: &[usize], i: usize) -> usize {
        match self.limit {
            Limit::Count(c) => (i + c).min(units.len()),
            Limit::Size(size) => fit_end(sizer, units, counts, i, size),
        }
    }
}

/// The end (exclusive) of the run of `units` from `i` that fits in `size` units (as `sizer`
/// measures the document): at least one. `counts` are the units' own sizes: the run grows while
/// their sum fits, then shrinks while the span's real size (with the text between them, and
/// tokens that merge across them) does not. The paragraph family packs its paragraphs with it
/// too.
pub(crate) fn fit_end(
    sizer: &DocSizer,
    units: &[Span],
    counts: &[usize],
    i: usize,
    size: usize,
) -> usize {
    let (mut j, mut sum) = (i + 1, counts[i]);
    while j < units.len() && sum + counts[j] <= size {
        sum += counts[j];
        j += 1;
    }
    while j > i + 1 && sizer.count(units[i].start, units[j - 1].end) > size {
        j -= 1;
    }
    j
}

/// Groups of consecutive units, as index ranges: each from its start `i` to `end(i)` (at least
/// `i + 1`); the next starts `overlap` units before that end, but always after `i`. Shared with
/// the paragraph family.
pub(crate) fn groups(
    n: usize,
    overlap: usize,
    mut end: impl FnMut(usize) -> usize,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let j = end(i);
        out.push(i..j);
        if j == n {
            break;
        }
        i = j.saturating_sub(overlap).max(i + 1);
    }
    out
}

/// The chunks `inner` makes of the part `span` of `text`, as spans of `text` (a unit too large
/// for its group, cut by a finer chunker).
pub(crate) fn split_within(
    text: &str,
    span: Span,
    inner: &dyn Chunker,
    env: &dyn ChunkEnv,
) -> Result<Vec<Span>> {
    Ok(inner
        .chunk(&text[span.start..span.end], env)?
        .into_iter()
        .map(|p| Span::new(span.start + p.start, span.start + p.end))
        .collect())
}

impl Chunker for SentenceGroups {
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let units = sentences(text);
        let sizer = DocSizer::new(self.unit, text);
        let counts: Vec<usize> = match self.limit {
            Limit::Size(_) => units.iter().map(|u| sizer.count(u.start, u.end)).collect(),
            Limit::Count(_) => Vec::new(),
        };
        let mut out = Vec::new();
        for g in groups(units.len(), self.overlap, |i| {
            self.group_end(&sizer, &units, &counts, i)
        }) {
            let span = Span::new(units[g.start].start, units[g.end - 1].end);
            match self.limit {
                Limit::Size(size) if g.len() == 1 && counts[g.start] > size => {
                    // One sentence over the limit: cut it into windows of `size` units.
                    let window = Window {
                        size,
                        overlap: 0,
                        unit: self.unit,
                    };
                    out.extend(split_within(text, span, &window, env)?);
                }
                _ => out.push(span),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::chunk::testing::chunk_texts as chunks;

    const TEXT: &str = "One two three. Four five six. Seven eight nine. Ten eleven twelve.";

    #[test]
    fn counts_sentences_with_overlap() {
        assert_eq!(
            chunks("sentence:count=2", TEXT),
            [
                "One two three. Four five six.",
                "Seven eight nine. Ten eleven twelve."
            ]
        );
        assert_eq!(
            chunks("sentence:count=2,overlap=1", TEXT),
            [
                "One two three. Four five six.",
                "Four five six. Seven eight nine.",
                "Seven eight nine. Ten eleven twelve."
            ]
        );
    }

    #[test]
    fn packs_whole_sentences_up_to_size() {
        // Each sentence is 14-19 characters; two with the space between fit in 30.
        let got = chunks("sentence:size=30,unit=chars", TEXT);
        assert_eq!(
            got,
            [
                "One two three. Four five six.",
                "Seven eight nine.",
                "Ten eleven twelve."
            ]
        );
        assert!(got.iter().all(|c| c.chars().count() <= 30));
    }

    #[test]
    fn a_sentence_over_size_is_cut_into_windows() {
        let text = "Short one. This sentence is much longer than the limit allows. End.";
        let got = chunks("sentence:size=20,unit=chars", text);
        assert!(got.iter().all(|c| c.chars().count() <= 20), "{got:?}");
        assert_eq!(got[0], "Short one.");
        assert_eq!(got.last().unwrap(), "End.");
        assert_eq!(
            got[1..got.len() - 1].concat(),
            "This sentence is much longer than the limit allows."
        );
    }

    #[test]
    fn impossible_parameters_are_errors() {
        for spec in [
            "sentence",
            "sentence:size=10,count=2",
            "sentence:count=2,overlap=2",
            "sentence:count=0",
            "sentence:size=10,window=3",
        ] {
            assert!(
                SentenceGroups::from_strategy(&Strategy::parse(spec).unwrap()).is_err(),
                "{spec} accepted"
            );
        }
    }
}
