//! What the fuzz targets share: reading parameters and a document from the fuzz input, building a
//! chunker through the public API (a strategy spec, as the CLI does), and checking its spans with
//! the library's own invariants (`chunkbench::chunk::testing::check_spans`).

use chunkbench::chunk::sizer::cl100k_tokens;
use chunkbench::chunk::testing::check_spans;
use chunkbench::chunk::{build, ChunkEnv, Span};
use chunkbench::strategy::Strategy;

/// A fuzz input: `HEADER` bytes of parameters (zero-padded when the input is shorter), then the
/// document as UTF-8 (invalid bytes become U+FFFD, so every string is reachable).
pub struct Input<'a> {
    params: &'a [u8],
    at: usize,
    /// The bytes after the header.
    pub rest: &'a [u8],
}

/// Parameter bytes at the start of every input.
pub const HEADER: usize = 20;

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        let n = data.len().min(HEADER);
        Input {
            params: &data[..n],
            at: 0,
            rest: &data[n..],
        }
    }

    /// The next parameter byte (0 once the header is used up).
    pub fn byte(&mut self) -> u8 {
        let b = self.params.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A number in `lo..=hi`, from the next parameter byte (two bytes when the range needs it).
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        assert!(lo <= hi);
        let span = hi - lo + 1;
        let v = if span <= 256 {
            self.byte() as usize
        } else {
            (self.byte() as usize) << 8 | self.byte() as usize
        };
        lo + v % span
    }

    /// One of `choices`.
    pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.byte() as usize % choices.len()]
    }

    /// The document: the bytes after the header.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.rest).into_owned()
    }
}

/// What a family promises about its chunks' sizes.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    None,
    /// At most this many characters.
    Chars(usize),
    /// At most this many cl100k tokens.
    Cl100k(usize),
}

impl Limit {
    fn check(self, t: &str) -> Result<(), String> {
        match self {
            Limit::None => Ok(()),
            Limit::Chars(max) => {
                let n = t.chars().count();
                (n <= max).then_some(()).ok_or(format!("{n} chars > {max}"))
            }
            Limit::Cl100k(max) => {
                let n = cl100k_tokens(t);
                (n <= max)
                    .then_some(())
                    .ok_or(format!("{n} tokens > {max}"))
            }
        }
    }
}

/// Builds `spec` (its parameters must be valid), chunks `text` twice with `env`, and panics unless
/// both runs agree and the spans keep the invariants: non-empty, on char boundaries, within the
/// text, ordered (disjoint when `disjoint`), within `limit`, covering every non-whitespace
/// character.
pub fn check(
    spec: &str,
    text: &str,
    env: &dyn ChunkEnv,
    disjoint: bool,
    limit: Limit,
) -> Vec<Span> {
    let strategy = Strategy::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let chunker = build(&strategy).unwrap_or_else(|e| panic!("{spec} rejected: {e}"));
    let spans = chunker
        .chunk(text, env)
        .unwrap_or_else(|e| panic!("{spec} failed: {e}"));
    let again = chunker.chunk(text, env).expect("second run");
    assert_eq!(spans, again, "{spec}: not deterministic");
    if let Err(e) = check_spans(text, &spans, disjoint, |t| limit.check(t)) {
        panic!("{spec}: {e}");
    }
    spans
}

/// `unit=` values and whether they are characters.
pub const UNITS: &[&str] = &["chars", "cl100k", "o200k"];
