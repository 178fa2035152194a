//! Units in which chunk sizes are measured: characters (Unicode code points) or tokens of an
//! OpenAI BPE vocabulary (tiktoken `cl100k_base`, `o200k_base`).

use serde::Serialize;
use tiktoken_rs::CoreBPE;

/// A length unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Chars,
    Cl100k,
    O200k,
}

impl Unit {
    pub const CHOICES: &'static [(&'static str, Unit)] = &[
        ("cl100k", Unit::Cl100k),
        ("o200k", Unit::O200k),
        ("chars", Unit::Chars),
    ];

    /// The BPE of a token unit; `None` for characters.
    pub fn bpe(self) -> Option<&'static CoreBPE> {
        match self {
            Unit::Chars => None,
            Unit::Cl100k => Some(tiktoken_rs::cl100k_base_singleton()),
            Unit::O200k => Some(tiktoken_rs::o200k_base_singleton()),
        }
    }

    /// The length of `text` in this unit.
    pub fn count(self, text: &str) -> usize {
        match self.bpe() {
            None => text.chars().count(),
            Some(bpe) => bpe.encode_ordinary(text).len(),
        }
    }
}

/// Number of `cl100k_base` tokens in `text`, the unit in which reports state chunk sizes.
pub fn cl100k_tokens(text: &str) -> usize {
    Unit::Cl100k.count(text)
}

/// Adapts a [`Unit`] to text-splitter's sizing trait.
#[derive(Debug, Clone, Copy)]
pub struct UnitSizer(pub Unit);

impl text_splitter::ChunkSizer for UnitSizer {
    fn size(&self, chunk: &str) -> usize {
        self.0.count(chunk)
    }
}

/// Byte offset at which every token of `text` starts, plus `text.len()` at the end: token `i`
/// covers `offsets[i]..offsets[i+1]`. A token may end inside a multi-byte character (byte-level
/// BPE); callers snap to char boundaries.
pub fn token_offsets(bpe: &CoreBPE, text: &str) -> Vec<usize> {
    let tokens = bpe.encode_ordinary(text);
    let mut offsets = Vec::with_capacity(tokens.len() + 1);
    let mut at = 0;
    for t in &tokens {
        offsets.push(at);
        at += bpe
            .decode_bytes(std::slice::from_ref(t))
            .map(|b| b.len())
            .unwrap_or(0);
    }
    offsets.push(at);
    debug_assert_eq!(at, text.len());
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_text() {
        let text = "Héllo wörld — 😀 tokens\n\nand more";
        for unit in [Unit::Cl100k, Unit::O200k] {
            let off = token_offsets(unit.bpe().unwrap(), text);
            assert_eq!(*off.last().unwrap(), text.len());
            assert_eq!(off.len() - 1, unit.count(text));
            assert!(off.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
