//! A hand-written pre-tokenizer for `cl100k_base`: the same pieces as
//! `bpe_openai::cl100k_base().split(text)`, without a regex engine and without allocating (once
//! a class table, built on first use, is there).
//!
//! tiktoken's pattern for `cl100k_base` is, with the regex crate's leftmost-first alternation:
//!
//! ```text
//! (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n]*
//! | \s*[\r\n]+ | \s+(?!\S) | \s+
//! ```
//!
//! bpe-openai matches it anchored at the end of the previous piece, as one set of patterns in
//! priority order (`\s+(?!\S)` is spelt `\s+$`, or `\s+\s` minus its last char). Each piece is
//! therefore the match of the first alternative that matches at the piece's start, and every
//! alternative is simple enough that its greedy match is its only candidate worth trying:
//!
//! 1. a contraction: `'` then `s`, `t`, `m`, `d`, `re`, `ve` or `ll`, case-insensitively under
//!    Unicode simple case folding (so `S`, and `ſ` U+017F for `s`; no other char folds to these);
//! 2. a letter run, after at most one char that is not `\r`, `\n`, a letter or a number — the
//!    optional char is taken exactly when the next char is a letter;
//! 3. one to three numbers;
//! 4. an optional space then a run of chars that are neither whitespace, letters nor numbers
//!    (`OTHER` here), then any `\r`/`\n` run — the space is taken exactly when an `OTHER` follows;
//! 5. within the maximal whitespace run from here, everything up to its last `\r`/`\n` (`\s*`
//!    backtracks to that char; the rest of the run is not `\r`/`\n`);
//! 6. the whole whitespace run when it reaches the end of the text;
//! 7. the run minus its last char when that leaves at least one (it is followed by a non-space);
//! 8. the single whitespace char.
//!
//! Every char falls in exactly one class (whitespace holds no letters or numbers), and each branch
//! below maps to one alternative in that order. The classes are not our own tables: they are
//! read from `regex-syntax`, the crate (and, by Cargo's unification, the very version) that
//! compiles bpe-openai's `\s`, `\p{L}` and `\p{N}`, so both sides agree on every Unicode version.
//! The one shortcut, [`ascii_letters`], tests eight bytes at once for `[A-Za-z]` (the only ASCII
//! letters); a test checks it against the table for every byte in every position.
//! The tests compare the pieces with bpe-openai's on every char, on edge cases, documents and
//! random text.

use std::sync::LazyLock;

use bpe_openai::Tokenizer;
use either::Either;
use regex_syntax::hir::{Class, HirKind};

/// Char classes; `END` stands for the position past the text.
const OTHER: u8 = 0;
const LETTER: u8 = 1;
const NUMBER: u8 = 2;
/// Whitespace other than `\r` and `\n`.
const SPACE: u8 = 3;
/// `\r` or `\n`.
const NEWLINE: u8 = 4;
const END: u8 = 5;

/// The class of every code point, in blocks of 256: `blocks[index[c >> 8] * 256 + (c & 255)]`.
/// Identical blocks are stored once.
struct Classes {
    /// The classes of ASCII, the first block, copied out for the fast path.
    ascii: [u8; 128],
    index: Box<[u16]>,
    blocks: Box<[u8]>,
}

static CLASSES: LazyLock<Classes> = LazyLock::new(Classes::build);

/// The code point ranges of a Unicode class written as a regex, as the regex crate reads it.
fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    let hir = regex_syntax::parse(pattern).expect("a valid class");
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        other => unreachable!("{pattern} parses to a Unicode class, not {other:?}"),
    }
}

impl Classes {
    fn build() -> Classes {
        let mut flat = vec![OTHER; 0x11_0000];
        for (pattern, class) in [(r"\s", SPACE), (r"\p{L}", LETTER), (r"\p{N}", NUMBER)] {
            for (start, end) in class_ranges(pattern) {
                flat[start as usize..=end as usize].fill(class);
            }
        }
        flat[usize::from(b'\r')] = NEWLINE;
        flat[usize::from(b'\n')] = NEWLINE;
        let mut seen = rustc_hash::FxHashMap::default();
        let mut blocks = Vec::new();
        let index = flat
            .chunks(256)
            .map(|block| {
                *seen.entry(block).or_insert_with(|| {
                    blocks.extend_from_slice(block);
                    u16::try_from(blocks.len() / 256 - 1).expect("few distinct blocks")
                })
            })
            .collect();
        Classes {
            ascii: flat[..128].try_into().expect("128 classes"),
            index,
            blocks: blocks.into(),
        }
    }

    /// The class of code point `c`.
    #[inline]
    fn of(&self, c: u32) -> u8 {
        let block = usize::from(self.index[(c >> 8) as usize]);
        self.blocks[block << 8 | (c & 0xFF) as usize]
    }
}

/// The code point and byte length of the char that starts at byte `i` of valid UTF-8 `s`, whose
/// first byte is not ASCII.
#[inline]
fn decode(s: &[u8], i: usize) -> (u32, usize) {
    let lead = u32::from(s[i]);
    let cont = |k: usize| u32::from(s[i + k] & 0x3F);
    if lead < 0xE0 {
        ((lead & 0x1F) << 6 | cont(1), 2)
    } else if lead < 0xF0 {
        ((lead & 0x0F) << 12 | cont(1) << 6 | cont(2), 3)
    } else {
        (
            (lead & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3),
            4,
        )
    }
}

/// How many of the 8 bytes of `word` (first byte lowest) are ASCII letters before the first byte
/// that is not: a byte `b` is one when `b | 0x20` is in `a..=z` and `b < 0x80`, tested in all
/// bytes at once (each sum stays below 0x100, so no carry crosses into the next byte).
#[inline(always)]
fn ascii_letters(word: u64) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let folded = (word | 0x2020_2020_2020_2020) & LOW7;
    let at_least_a = folded + 0x1F1F_1F1F_1F1F_1F1F; // high bit set iff >= 0x61
    let past_z = folded + 0x0505_0505_0505_0505; // high bit set iff >= 0x7B
    let letter = at_least_a & !past_z & !word & HIGH;
    ((!letter & HIGH).trailing_zeros() / 8) as usize
}

/// The pre-token pieces of `text` under `bpe`: the hand-written [`Cl100kPieces`] for
/// `cl100k_base`, bpe-openai's own regex split for any other vocabulary.
pub fn pieces<'a>(bpe: &'a Tokenizer, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    if std::ptr::eq(bpe, bpe_openai::cl100k_base()) {
        Either::Left(Cl100kPieces::new(text))
    } else {
        Either::Right(bpe.split(text))
    }
}

/// The `cl100k_base` pre-token pieces of a text, in order; they concatenate to the text.
pub struct Cl100kPieces<'a> {
    text: &'a str,
    at: usize,
    classes: &'static Classes,
}

impl<'a> Cl100kPieces<'a> {
    pub fn new(text: &'a str) -> Self {
        Cl100kPieces {
            text,
            at: 0,
            classes: &CLASSES,
        }
    }

    /// Class, code point and byte length of the char at byte `i` (`END` past the text).
    #[inline(always)]
    fn char_at(&self, i: usize) -> (u8, u32, usize) {
        let s = self.text.as_bytes();
        match s.get(i) {
            None => (END, 0, 0),
            Some(&b) if b < 0x80 => (self.classes.ascii[usize::from(b)], u32::from(b), 1),
            Some(_) => {
                let (c, len) = decode(s, i);
                (self.classes.of(c), c, len)
            }
        }
    }

    /// The end of the run of `class` chars from byte `i`, stopping after `max` chars.
    #[inline(always)]
    fn run(&self, mut i: usize, class: u8, max: usize) -> usize {
        for _ in 0..max {
            let (c, _, len) = self.char_at(i);
            if c != class {
                break;
            }
            i += len;
        }
        i
    }

    /// The end of the run of letters from byte `i`: [`Self::run`], eight ASCII bytes at a time.
    #[inline(always)]
    fn letters(&self, mut i: usize) -> usize {
        let s = self.text.as_bytes();
        loop {
            while let Some(word) = s.get(i..i + 8) {
                let n = ascii_letters(u64::from_le_bytes(word.try_into().expect("8 bytes")));
                i += n;
                if n < 8 {
                    break;
                }
            }
            let (c, _, len) = self.char_at(i);
            if c != LETTER {
                return i;
            }
            i += len;
        }
    }

    /// Where the piece that starts at byte `i` (before the end) ends.
    fn piece_end(&self, i: usize) -> usize {
        let (class, c, len) = self.char_at(i);
        match class {
            LETTER => self.letters(i + len),
            NUMBER => self.run(i + len, NUMBER, 2),
            OTHER => self.after_other(i, c, len),
            _ => self.after_space(i, class, c, len),
        }
    }

    /// A piece that starts with an `OTHER` char `c` of `len` bytes: alternatives 1, 2 and 4.
    fn after_other(&self, i: usize, c: u32, len: usize) -> usize {
        if c == u32::from(b'\'') {
            if let Some(end) = self.contraction(i + 1) {
                return end;
            }
        }
        let next = i + len;
        if self.char_at(next).0 == LETTER {
            return self.letters(next);
        }
        let end = self.run(next, OTHER, usize::MAX);
        self.run(end, NEWLINE, usize::MAX)
    }

    /// The end of a contraction whose letters start at byte `i`, if there is one (alternative 1).
    fn contraction(&self, i: usize) -> Option<usize> {
        let folded = |i: usize| -> Option<(u8, usize)> {
            match self.char_at(i) {
                (_, 0x17F, len) => Some((b's', len)),
                (_, c, 1) => Some((u8::try_from(c).ok()?.to_ascii_lowercase(), 1)),
                _ => None,
            }
        };
        let (first, len) = folded(i)?;
        let second = match first {
            b's' | b't' | b'm' | b'd' => return Some(i + len),
            b'r' | b'v' => b'e',
            b'l' => b'l',
            _ => return None,
        };
        let (c, len2) = folded(i + len)?;
        (c == second).then_some(i + len + len2)
    }

    /// A piece that starts with whitespace char `c` (class `SPACE` or `NEWLINE`, `len` bytes):
    /// alternative 2 (a `SPACE` char before letters), 4 (a space before `OTHER` chars), else 5
    /// to 8 over the maximal whitespace run.
    fn after_space(&self, i: usize, class: u8, c: u32, len: usize) -> usize {
        let next = i + len;
        let (after, _, _) = self.char_at(next);
        if class == SPACE && after == LETTER {
            return self.letters(next);
        }
        if c == u32::from(b' ') && after == OTHER {
            let end = self.run(next, OTHER, usize::MAX);
            return self.run(end, NEWLINE, usize::MAX);
        }
        let (mut end, mut last_start, mut last_newline) = (i, i, None);
        loop {
            let (class, _, len) = self.char_at(end);
            match class {
                NEWLINE => last_newline = Some(end),
                SPACE => {}
                _ => break,
            }
            last_start = end;
            end += len;
        }
        if let Some(newline) = last_newline {
            newline + 1
        } else if end == self.text.len() || last_start == i {
            end
        } else {
            last_start
        }
    }
}

impl<'a> Iterator for Cl100kPieces<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.at >= self.text.len() {
            return None;
        }
        let start = self.at;
        self.at = self.piece_end(start);
        Some(&self.text[start..self.at])
    }
}

#[cfg(test)]
mod tests;
