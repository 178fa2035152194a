//! Units in which chunk sizes are measured: characters (Unicode code points) or tokens of an
//! OpenAI BPE vocabulary (tiktoken `cl100k_base`, `o200k_base`). Tokens are counted and cut by
//! `bpe-openai` (GitHub's linear-time BPE with tiktoken's pre-tokenization), whose tokens equal
//! tiktoken's — checked against `tiktoken-rs` on every bundled document and on random text
//! (tests below) — at a fraction of the cost: chunkers count tokens of many candidate pieces.
//! `cl100k_base` text is cut into pre-token pieces by the hand-written [`super::pretoken`] (the
//! same pieces as bpe-openai's regex, several times faster); `o200k_base` by bpe-openai's regex.

use bpe_openai::Tokenizer;
use serde::Serialize;

use super::pretoken::pieces;

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
    pub fn bpe(self) -> Option<&'static Tokenizer> {
        match self {
            Unit::Chars => None,
            Unit::Cl100k => Some(bpe_openai::cl100k_base()),
            Unit::O200k => Some(bpe_openai::o200k_base()),
        }
    }

    /// The length of `text` in this unit.
    pub fn count(self, text: &str) -> usize {
        match self.bpe() {
            None => text.chars().count(),
            Some(bpe) => with_memo(bpe, |memo| {
                pieces(bpe, text).map(|piece| memo.tokens(piece)).sum()
            }),
        }
    }
}

/// Number of `cl100k_base` tokens in `text`, the unit in which reports state chunk sizes.
pub fn cl100k_tokens(text: &str) -> usize {
    Unit::Cl100k.count(text)
}

/// Byte offset at which every token of `text` starts, plus `text.len()` at the end: token `i`
/// covers `offsets[i]..offsets[i+1]`. A token may end inside a multi-byte character (byte-level
/// BPE); callers snap to char boundaries.
pub fn token_offsets(bpe: &Tokenizer, text: &str) -> Vec<usize> {
    let (marks, _) = token_boundaries(bpe, text, |_| true);
    marks.into_iter().map(|(_, at)| at).collect()
}

/// The token boundaries of `text` that `wanted` picks, as `(i, byte offset)` in order of `i`,
/// where boundary `i` is where token `i` starts and boundary `n` (the token count, returned
/// too) is `text.len()`, always included. `wanted` is asked once for each `i < n`, in order.
/// The same offsets as [`token_offsets`] without holding one per token: a window chunker needs
/// two per window.
pub fn token_boundaries(
    bpe: &Tokenizer,
    text: &str,
    mut wanted: impl FnMut(usize) -> bool,
) -> (Vec<(usize, usize)>, usize) {
    let mut marks = Vec::new();
    let (mut i, mut at) = (0, 0);
    with_memo(bpe, |memo| {
        for piece in pieces(bpe, text) {
            memo.with_lens(piece, |lens| {
                for &len in lens {
                    if wanted(i) {
                        marks.push((i, at));
                    }
                    i += 1;
                    at += len as usize;
                }
            });
        }
    });
    debug_assert_eq!(at, text.len());
    marks.push((i, at));
    (marks, i)
}

/// Token byte lengths of pre-token pieces, per thread and vocabulary. Text repeats its words,
/// and chunkers measure overlapping candidates of the same text many times, so most pieces are
/// encoded once.
type Memo = rustc_hash::FxHashMap<Box<[u8]>, Box<[u16]>>;

thread_local! {
    static MEMO: [std::cell::RefCell<Memo>; 2] = Default::default();
}

/// Empties the calling thread's memos and gives their memory back, as in a new process: for
/// benches that time a first pass over a text.
#[doc(hidden)]
pub fn forget_memo() {
    MEMO.with(|memo| memo.iter().for_each(|m| *m.borrow_mut() = Memo::default()));
}

/// Pieces longer than this are encoded every time (they rarely repeat); the memo is emptied when
/// it holds this many pieces, so its memory stays bounded.
const MEMO_PIECE_BYTES: usize = 64;
const MEMO_PIECES: usize = 1 << 20;

/// The calling thread's memo of `bpe`'s pieces, borrowed once for a whole loop over pieces (a
/// thread-local access per piece cost more than the lookup). `f` must not count tokens through
/// another `with_memo` of the same vocabulary: the memo is borrowed until it returns.
pub(crate) fn with_memo<R>(bpe: &Tokenizer, f: impl FnOnce(&mut PieceMemo) -> R) -> R {
    let which = usize::from(!std::ptr::eq(bpe, bpe_openai::cl100k_base()));
    MEMO.with(|memo| {
        let mut map = memo[which].borrow_mut();
        f(&mut PieceMemo { bpe, map: &mut map })
    })
}

/// One thread's memo of one vocabulary's pieces, while borrowed ([`with_memo`]).
pub(crate) struct PieceMemo<'a> {
    bpe: &'a Tokenizer,
    map: &'a mut Memo,
}

impl PieceMemo<'_> {
    /// Tokens of one pre-token `piece`.
    pub(crate) fn tokens(&mut self, piece: &str) -> usize {
        self.with_lens(piece, |lens| lens.len())
    }

    /// Calls `f` with the byte length of each token of one pre-token `piece`.
    pub(crate) fn with_lens<R>(&mut self, piece: &str, f: impl FnOnce(&[u16]) -> R) -> R {
        let encode = || -> Box<[u16]> {
            let bpe = &self.bpe.bpe;
            bpe.encode_via_backtracking(piece.as_bytes())
                .into_iter()
                .map(|t| bpe.token_len(t) as u16)
                .collect()
        };
        // Every byte is a token of the byte-level vocabularies: a one-byte piece is one token.
        if piece.len() == 1 {
            return f(&[1]);
        }
        if piece.len() > MEMO_PIECE_BYTES {
            return f(&encode());
        }
        if let Some(lens) = self.map.get(piece.as_bytes()) {
            return f(lens);
        }
        let lens = encode();
        let out = f(&lens);
        if self.map.len() >= MEMO_PIECES {
            self.map.clear();
        }
        self.map.insert(piece.as_bytes().into(), lens);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tiktoken's own tokens (the `tiktoken-rs` port), the reference.
    fn tiktoken(unit: Unit, text: &str) -> Vec<u32> {
        let bpe = match unit {
            Unit::Cl100k => tiktoken_rs::cl100k_base_singleton(),
            _ => tiktoken_rs::o200k_base_singleton(),
        };
        bpe.encode_ordinary(text)
    }

    /// Token boundaries as tiktoken draws them.
    fn tiktoken_offsets(unit: Unit, text: &str) -> Vec<usize> {
        let bpe = match unit {
            Unit::Cl100k => tiktoken_rs::cl100k_base_singleton(),
            _ => tiktoken_rs::o200k_base_singleton(),
        };
        let mut at = 0;
        let mut out = vec![0];
        for t in tiktoken(unit, text) {
            at += bpe.decode_bytes(&[t]).unwrap().len();
            out.push(at);
        }
        out
    }

    #[test]
    fn counts_and_cuts_equal_tiktoken_on_every_bundled_document() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/larkspur/documents");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        texts.push(
            "Héllo wörld — 😀 tokens\n\n\n  and   more\r\n\t x's 12345 漢字\u{200b} \n ".into(),
        );
        for text in &texts {
            for unit in [Unit::Cl100k, Unit::O200k] {
                assert_eq!(unit.count(text), tiktoken(unit, text).len());
                assert_eq!(
                    token_offsets(unit.bpe().unwrap(), text),
                    tiktoken_offsets(unit, text)
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn tokens_equal_tiktoken_on_random_text(text in crate::chunk::proptests::document()) {
            for unit in [Unit::Cl100k, Unit::O200k] {
                proptest::prop_assert_eq!(
                    token_offsets(unit.bpe().unwrap(), &text),
                    tiktoken_offsets(unit, &text)
                );
            }
        }
    }

    #[test]
    fn boundaries_are_the_offsets_picked() {
        let text = "Héllo wörld — 😀 tokens\n\nand more text, with 12345 numbers. ".repeat(9);
        for unit in [Unit::Cl100k, Unit::O200k] {
            let bpe = unit.bpe().unwrap();
            let all = token_offsets(bpe, &text);
            let (marks, n) = token_boundaries(bpe, &text, |i| i % 7 == 0 || i % 5 == 2);
            assert_eq!(n, all.len() - 1);
            let expected: Vec<(usize, usize)> = (0..all.len())
                .filter(|&i| i % 7 == 0 || i % 5 == 2 || i == n)
                .map(|i| (i, all[i]))
                .collect();
            assert_eq!(marks, expected);
        }
    }

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
