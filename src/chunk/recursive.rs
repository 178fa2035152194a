//! Recursive chunking: split at the largest semantic boundary that keeps chunks within `size`.
//! `splitter=text` and `splitter=markdown` use the text-splitter crate (Unicode sentence/word
//! boundaries, or Markdown structure); `splitter=chroma` uses Chroma's separator list
//! ([`super::separators`]) so its reference configurations can be reproduced.

use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};

use super::doc_tokens::DocSizer;
use super::params::{check_overlap, Params};
use super::separators::SeparatorSplitter;
use super::{ChunkEnv, Chunker, Family, Span, Unit};
use crate::error::Result;
use crate::strategy::Strategy;

/// `recursive`: text-splitter's or Chroma's recursive splitting.
pub const FAMILY: Family = Family {
    name: "recursive",
    params: "size (required), overlap=0, unit=cl100k|o200k|chars, splitter=text|markdown|chroma",
    about: "split at the largest semantic boundary that fits",
    build: from_strategy,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Splitter {
    Text,
    Markdown,
    Chroma,
}

/// Builds a `recursive` chunker from its parameters.
pub fn from_strategy(strategy: &Strategy) -> Result<Box<dyn Chunker>> {
    let mut p = Params::new(strategy);
    let size = p.positive("size")?;
    let overlap = p.usize_opt("overlap")?.unwrap_or(0);
    let unit = p.choice("unit", Unit::CHOICES, Unit::Cl100k)?;
    let splitter = p.choice(
        "splitter",
        &[
            ("text", Splitter::Text),
            ("markdown", Splitter::Markdown),
            ("chroma", Splitter::Chroma),
        ],
        Splitter::Text,
    )?;
    check_overlap(&p, size, overlap)?;
    p.finish(&["size", "overlap", "unit", "splitter"])?;
    if splitter == Splitter::Chroma {
        return Ok(Box::new(SeparatorSplitter::chroma(size, overlap, unit)));
    }
    // Checked once here; each document's splitter is built with its own sizer.
    ChunkConfig::new(size)
        .with_overlap(overlap)
        .map_err(|e| p.error(e.to_string()))?;
    Ok(Box::new(TextSplitting {
        size,
        overlap,
        unit,
        markdown: splitter == Splitter::Markdown,
    }))
}

/// text-splitter's plain-text or Markdown splitter, its sizes measured by a [`DocSizer`] over
/// each document (the same counts as measuring every candidate on its own, far cheaper).
pub struct TextSplitting {
    size: usize,
    overlap: usize,
    unit: Unit,
    markdown: bool,
}

impl Chunker for TextSplitting {
    fn chunk(&self, text: &str, _env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let config = ChunkConfig::new(self.size)
            .with_sizer(DocSizer::new(self.unit, text))
            .with_overlap(self.overlap)
            .map_err(|e| crate::error::Error::Usage(e.to_string()))?;
        Ok(match self.markdown {
            true => spans(MarkdownSplitter::new(config).chunk_indices(text)),
            false => spans(TextSplitter::new(config).chunk_indices(text)),
        })
    }
}

fn spans<'t>(it: impl Iterator<Item = (usize, &'t str)>) -> Vec<Span> {
    it.map(|(off, s)| Span::new(off, off + s.len()))
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::testing::assert_valid;
    use crate::chunk::NoEmbeddings;

    #[test]
    fn markdown_and_text_spans_are_exact() {
        let text = "# Title\n\nSome intro text — with ünïcode.\n\n## Part\n\n- item one\n- item two\n\n```sh\necho hi\n```\n".repeat(10);
        for spec in [
            "recursive:size=20",
            "recursive:size=20,splitter=markdown",
            "recursive:size=60,unit=chars,overlap=10",
            "recursive:size=30,splitter=chroma",
        ] {
            let c = from_strategy(&Strategy::parse(spec).unwrap()).unwrap();
            let spans = c.chunk(&text, &NoEmbeddings).unwrap();
            assert!(!spans.is_empty(), "{spec}");
            assert_valid(&text, &spans);
        }
    }

    #[test]
    fn unknown_parameter_is_named() {
        let e = from_strategy(&Strategy::parse("recursive:size=20,overlpa=3").unwrap())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unknown parameter `overlpa`"), "{e}");
    }
}
