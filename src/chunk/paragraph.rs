//! Paragraph grouping: consecutive paragraphs packed into chunks of at most `size` units, with an
//! overlap of `overlap` paragraphs. A paragraph is a block of text between blank lines (a line
//! of only whitespace); in Markdown that is a block — a heading, a paragraph, a list, a table —
//! and a fenced code block (``` or ~~~) is one paragraph whatever blank lines it holds. A chunk is
//! the span from its first paragraph's start to its last paragraph's end, so the blank lines
//! between them stay inside it. A paragraph longer than `size` is split at sentences, as the
//! `sentence` family packs them (a sentence longer than `size` into `size`-unit windows), so no
//! chunk is ever over `size`.

use super::doc_tokens::DocSizer;
use super::params::Params;
use super::sentence::{fit_end, groups, split_within, SentenceGroups};
use super::{ChunkEnv, Chunker, Family, Span, Unit};
use crate::error::Result;
use crate::strategy::Strategy;

/// `paragraph`: groups of whole paragraphs.
pub const FAMILY: Family = Family {
    name: "paragraph",
    params: "size (required), overlap=0 (paragraphs), unit=cl100k|o200k|chars",
    about: "consecutive paragraphs (blank-line separated; Markdown blocks, fenced code kept whole) packed up to `size` units; a longer paragraph is split at sentences",
    build: |s| Ok(Box::new(ParagraphGroups::from_strategy(s)?)),
};

/// The `paragraph` chunker.
#[derive(Debug, Clone)]
pub struct ParagraphGroups {
    size: usize,
    overlap: usize,
    unit: Unit,
    /// How a paragraph over `size` is cut: whole sentences up to `size`.
    sentences: SentenceGroups,
}

impl ParagraphGroups {
    /// Builds from a strategy's parameters: `size`, `overlap`, `unit`.
    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let size = p.positive("size")?;
        let overlap = p.usize_opt("overlap")?.unwrap_or(0);
        let unit = p.choice("unit", Unit::CHOICES, Unit::Cl100k)?;
        p.finish(&["size", "overlap", "unit"])?;
        let spec = format!("sentence:size={size},unit={}", unit_name(unit));
        let sentences = SentenceGroups::from_strategy(&Strategy::parse(&spec)?)?;
        Ok(ParagraphGroups {
            size,
            overlap,
            unit,
            sentences,
        })
    }
}

fn unit_name(unit: Unit) -> &'static str {
    Unit::CHOICES
        .iter()
        .find(|(_, u)| *u == unit)
        .map_or("cl100k", |(n, _)| n)
}

/// The paragraphs of `text`: spans from a block's first non-whitespace character to its last,
/// blocks separated by blank lines outside fenced code.
pub fn paragraphs(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut block: Option<Span> = None;
    let mut fenced = false;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        }
        if trimmed.is_empty() && !fenced {
            out.extend(block.take());
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let span_end = start + line.trim_end().len();
        block = Some(match block {
            Some(b) => Span::new(b.start, span_end),
            None => Span::new(start + lead, span_end),
        });
    }
    out.extend(block);
    out
}

impl Chunker for ParagraphGroups {
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let units = paragraphs(text);
        let sizer = DocSizer::new(self.unit, text);
        let counts: Vec<usize> = units.iter().map(|u| sizer.count(u.start, u.end)).collect();
        let mut out = Vec::new();
        for g in groups(units.len(), self.overlap, |i| {
            fit_end(&sizer, &units, &counts, i, self.size)
        }) {
            let span = Span::new(units[g.start].start, units[g.end - 1].end);
            if g.len() == 1 && counts[g.start] > self.size {
                // One paragraph over the limit: whole sentences up to `size`.
                out.extend(split_within(text, span, &self.sentences, env)?);
            } else {
                out.push(span);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::chunk::testing::chunk_texts as chunks;

    const DOC: &str = "# Hives\n\nThe bees swarmed in May.\nThey settled.\n\n  \n\n```\ncode line\n\nmore code\n```\n\nLast paragraph here.\n";

    #[test]
    fn paragraphs_are_blank_line_blocks_and_fences_stay_whole() {
        let got: Vec<&str> = paragraphs(DOC)
            .iter()
            .map(|s| &DOC[s.start..s.end])
            .collect();
        assert_eq!(
            got,
            [
                "# Hives",
                "The bees swarmed in May.\nThey settled.",
                "```\ncode line\n\nmore code\n```",
                "Last paragraph here."
            ]
        );
        assert!(paragraphs("  \n\n ").is_empty());
    }

    #[test]
    fn packs_whole_paragraphs_up_to_size_with_overlap() {
        let got = chunks("paragraph:size=50,unit=chars", DOC);
        assert_eq!(
            got,
            [
                "# Hives\n\nThe bees swarmed in May.\nThey settled.",
                "```\ncode line\n\nmore code\n```\n\nLast paragraph here."
            ]
        );
        let got = chunks("paragraph:size=50,unit=chars,overlap=1", DOC);
        assert_eq!(got[1], "The bees swarmed in May.\nThey settled.");
        assert!(got.iter().all(|c| c.chars().count() <= 50), "{got:?}");
    }

    #[test]
    fn a_paragraph_over_size_is_split_at_sentences() {
        let text = "Short.\n\nOne sentence here. Another sentence there. A third one.\n\nEnd.";
        let got = chunks("paragraph:size=25,unit=chars", text);
        assert_eq!(
            got,
            [
                "Short.",
                "One sentence here.",
                "Another sentence there.",
                "A third one.",
                "End."
            ]
        );
    }

    #[test]
    fn impossible_parameters_are_errors() {
        for spec in [
            "paragraph",
            "paragraph:size=0",
            "paragraph:size=10,count=2",
            "paragraph:size=5,unit=words",
        ] {
            assert!(
                ParagraphGroups::from_strategy(&Strategy::parse(spec).unwrap()).is_err(),
                "{spec} accepted"
            );
        }
    }
}
