//! Token counts of any piece of one document in time that grows with the piece's edges, not its
//! length. The recursive splitter measures many overlapping candidates of the same text;
//! tokenising each from scratch made it slower than Python tools. The document is
//! pre-tokenised once (pieces and their token counts, as prefix sums). A piece's count is then
//! exact: its own pre-tokenisation is run from its start until it meets a boundary of the
//! document's, the document's counts are summed from there to the last boundary the piece's end
//! cannot change, and the tail is pre-tokenised on its own.
//!
//! Why the middle is safe: pre-tokenisation matches anchored at a position, reading only the text
//! from there on. A document piece `[x, y)` followed by at least one more character inside the
//! chunk is matched the same when the text is cut at the chunk's end, unless the cut makes the
//! end-of-text alternative (`\s+$`) match; that needs only whitespace from `x` to the end, which
//! is excluded by stopping before the chunk's last non-whitespace character. The tests compare
//! every count with the direct one.

use bpe_openai::Tokenizer;

use super::pretoken::pieces;
use super::sizer::{with_memo, PieceMemo, Unit};

/// One document's pre-tokenisation, for exact token counts of its sub-slices.
pub struct DocTokens<'t> {
    text: &'t str,
    bpe: &'static Tokenizer,
    /// Byte offset of every piece boundary, from 0 to `text.len()`.
    bounds: Vec<usize>,
    /// Tokens before each boundary.
    before: Vec<usize>,
}

impl<'t> DocTokens<'t> {
    /// Pre-tokenises `text` once; `None` for a unit that is not a BPE.
    pub fn new(unit: Unit, text: &'t str) -> Option<Self> {
        let bpe = unit.bpe()?;
        let mut bounds = vec![0];
        let mut before = vec![0];
        let mut at = 0;
        with_memo(bpe, |memo| {
            for piece in pieces(bpe, text) {
                at += piece.len();
                bounds.push(at);
                before.push(before.last().unwrap() + memo.tokens(piece));
            }
        });
        Some(DocTokens {
            text,
            bpe,
            bounds,
            before,
        })
    }

    /// Tokens of `text[start..end]`, exactly as counting that slice on its own gives.
    pub fn count(&self, start: usize, end: usize) -> usize {
        let piece = &self.text[start..end];
        // The last boundary the end cannot change: one character and a non-whitespace character
        // before the end.
        let last_solid = piece
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_whitespace())
            .map_or(start, |(i, _)| start + i);
        let safe = last_solid.min(end.saturating_sub(4));
        with_memo(self.bpe, |memo| {
            let bpe = self.bpe;
            let count = |memo: &mut PieceMemo, text: &str| -> usize {
                pieces(bpe, text).map(|p| memo.tokens(p)).sum()
            };
            let mut total = 0;
            let mut at = start;
            for p in pieces(self.bpe, piece) {
                if at >= safe {
                    break;
                }
                if let Ok(i) = self.bounds.binary_search(&at) {
                    // In step with the document: jump to the last safe boundary, then count the
                    // tail.
                    let j = self.bounds.partition_point(|&b| b <= safe) - 1;
                    if j > i {
                        total += self.before[j] - self.before[i];
                        return total + count(memo, &self.text[self.bounds[j]..end]);
                    }
                }
                total += memo.tokens(p);
                at += p.len();
            }
            // Never in step (or nothing to skip): the rest counted directly.
            total + count(memo, &self.text[at..end])
        })
    }
}

/// text-splitter's sizing for the chunks of one document: a slice of the document is counted
/// through its [`DocTokens`] (exactly, in time that grows with its edges);
/// anything else, or a character unit, directly.
pub struct DocSizer<'t> {
    unit: Unit,
    text: &'t str,
    tokens: Option<DocTokens<'t>>,
}

impl<'t> DocSizer<'t> {
    pub fn new(unit: Unit, text: &'t str) -> Self {
        DocSizer {
            unit,
            text,
            tokens: DocTokens::new(unit, text),
        }
    }
}

impl DocSizer<'_> {
    /// The size of `text[start..end]` in the unit.
    pub fn count(&self, start: usize, end: usize) -> usize {
        match &self.tokens {
            Some(t) => t.count(start, end),
            None => self.unit.count(&self.text[start..end]),
        }
    }
}

impl text_splitter::ChunkSizer for DocSizer<'_> {
    fn size(&self, chunk: &str) -> usize {
        let start = (chunk.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        match &self.tokens {
            Some(t) if start <= self.text.len() && chunk.len() <= self.text.len() - start => {
                t.count(start, start + chunk.len())
            }
            _ => self.unit.count(chunk),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (start, end) pair on char boundaries of `text` stepping by about `step` bytes.
    fn ranges(text: &str, step: usize) -> Vec<(usize, usize)> {
        let cuts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .enumerate()
            .filter(|(k, _)| k % step == 0)
            .map(|(_, i)| i)
            .chain([text.len()])
            .collect();
        let mut out = Vec::new();
        for (a, &s) in cuts.iter().enumerate() {
            for &e in &cuts[a..] {
                out.push((s, e));
            }
        }
        out
    }

    #[test]
    fn counts_equal_direct_counts_on_the_bundled_documents() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/larkspur/documents");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let text = &text[..text.len().min(6000)];
            let text = &text[..(0..=text.len())
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap()];
            for unit in [Unit::Cl100k, Unit::O200k] {
                let doc = DocTokens::new(unit, text).unwrap();
                for (s, e) in ranges(text, 97) {
                    assert_eq!(
                        doc.count(s, e),
                        unit.count(&text[s..e]),
                        "{unit:?} {s}..{e}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        #[test]
        fn counts_equal_direct_counts_on_random_text(
            text in crate::chunk::proptests::document(),
            step in 1usize..12,
        ) {
            for unit in [Unit::Cl100k, Unit::O200k] {
                let doc = DocTokens::new(unit, &text).unwrap();
                for (s, e) in ranges(&text, step.max(text.chars().count() / 40)) {
                    proptest::prop_assert_eq!(doc.count(s, e), unit.count(&text[s..e]), "{:?} {}..{}", unit, s, e);
                }
            }
        }
    }
}
