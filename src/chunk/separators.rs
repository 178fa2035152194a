//! Chroma's recursive separator splitter (`RecursiveTokenChunker` in `chunking_evaluation`, itself
//! LangChain's `RecursiveCharacterTextSplitter`), re-implemented on byte spans:
//!
//! 1. take the first separator of the list that occurs in the text (`""` splits into characters);
//! 2. split before every occurrence, keeping the separator at the start of the following piece;
//! 3. pieces shorter than `size` are merged greedily into chunks of at most `size` (lengths of the
//!    pieces are added up, as the reference does); when a chunk is emitted, leading pieces are
//!    dropped until at most `overlap` remains, which gives the (approximate) overlap;
//! 4. pieces of `size` or more are split again with the remaining separators;
//! 5. each chunk is trimmed of surrounding whitespace; empty chunks are dropped.
//!
//! Because chunks are emitted as spans, repeated text keeps its own position (the reference
//! re-locates chunk text with `str.find` and maps repeats to their first copy).

use super::{ChunkEnv, Chunker, Span, Unit};
use crate::error::Result;
use crate::text::trim_range;

/// Chroma's default separator list.
pub const CHROMA_SEPARATORS: &[&str] = &["\n\n", "\n", ".", "?", "!", " ", ""];

/// A recursive splitter over an explicit separator list.
#[derive(Debug, Clone)]
pub struct SeparatorSplitter {
    pub size: usize,
    pub overlap: usize,
    pub unit: Unit,
    pub separators: Vec<String>,
}

impl SeparatorSplitter {
    /// Chroma's configuration: its separator list, with the given size, overlap and unit.
    pub fn chroma(size: usize, overlap: usize, unit: Unit) -> Self {
        SeparatorSplitter {
            size,
            overlap,
            unit,
            separators: CHROMA_SEPARATORS.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn split(&self, text: &str, range: Span, seps: &[String], out: &mut Vec<Span>) {
        let piece = &text[range.start..range.end];
        let mut separator: &str = seps.last().map(String::as_str).unwrap_or("");
        let mut rest: &[String] = &[];
        for (i, s) in seps.iter().enumerate() {
            if s.is_empty() {
                separator = "";
                break;
            }
            if piece.contains(s.as_str()) {
                separator = s;
                rest = &seps[i + 1..];
                break;
            }
        }
        let mut good: Vec<(Span, usize)> = Vec::new();
        for sp in split_keeping_separator(piece, separator, range.start) {
            let len = self.unit.count(&text[sp.start..sp.end]);
            if len < self.size {
                good.push((sp, len));
            } else {
                if !good.is_empty() {
                    self.merge(text, &good, out);
                    good.clear();
                }
                if rest.is_empty() {
                    out.push(sp);
                } else {
                    self.split(text, sp, rest, out);
                }
            }
        }
        if !good.is_empty() {
            self.merge(text, &good, out);
        }
    }

    /// Greedy merge of consecutive pieces (the separator is already part of each piece).
    fn merge(&self, text: &str, pieces: &[(Span, usize)], out: &mut Vec<Span>) {
        let mut emit = |first: usize, last: usize| {
            let (s, e) = trim_range(text, pieces[first].0.start, pieces[last].0.end);
            if s < e {
                out.push(Span::new(s, e));
            }
        };
        let mut first = 0; // current chunk = pieces[first..i]
        let mut total = 0;
        for (i, &(_, len)) in pieces.iter().enumerate() {
            if total + len > self.size && i > first {
                emit(first, i - 1);
                while total > self.overlap || (total + len > self.size && total > 0) {
                    total -= pieces[first].1;
                    first += 1;
                }
            }
            total += len;
        }
        if first < pieces.len() {
            emit(first, pieces.len() - 1);
        }
    }
}

/// Splits `piece` (starting at byte `base` of the document) before every occurrence of
/// `separator`; `""` splits into characters. Empty pieces are dropped.
fn split_keeping_separator(piece: &str, separator: &str, base: usize) -> Vec<Span> {
    let mut cuts: Vec<usize> = if separator.is_empty() {
        piece.char_indices().map(|(i, _)| i).collect()
    } else {
        piece.match_indices(separator).map(|(i, _)| i).collect()
    };
    cuts.push(piece.len());
    let mut out = Vec::with_capacity(cuts.len());
    let mut prev = 0;
    for c in cuts {
        if c > prev {
            out.push(Span::new(base + prev, base + c));
        }
        prev = c;
    }
    out
}

impl Chunker for SeparatorSplitter {
    fn chunk(&self, text: &str, _env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let mut out = Vec::new();
        self.split(text, Span::new(0, text.len()), &self.separators, &mut out);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::NoEmbeddings;

    fn chunks(text: &str, size: usize, overlap: usize) -> Vec<&str> {
        SeparatorSplitter::chroma(size, overlap, Unit::Chars)
            .chunk(text, &NoEmbeddings)
            .unwrap()
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect::<Vec<_>>()
    }

    #[test]
    fn separator_goes_with_the_following_piece() {
        assert_eq!(
            split_keeping_separator("a.b.c", ".", 0),
            vec![Span::new(0, 1), Span::new(1, 3), Span::new(3, 5)]
        );
    }

    #[test]
    fn matches_reference_behaviour_on_paragraphs() {
        // What chunking_evaluation's RecursiveTokenChunker(chunk_size=20, chunk_overlap=0,
        // length_function=len) returns for this text.
        let text = "First para here.\n\nSecond one is longer than twenty.\n\nThird.";
        assert_eq!(
            chunks(text, 20, 0),
            [
                "First para here.",
                "Second one is",
                "longer than twenty",
                ".",
                "Third."
            ]
        );
    }

    #[test]
    fn overlap_keeps_trailing_pieces() {
        let text = "aa bb cc dd ee ff gg";
        let got = chunks(text, 9, 3);
        assert_eq!(got, ["aa bb cc", "cc dd ee", "ee ff gg"]);
    }
}
