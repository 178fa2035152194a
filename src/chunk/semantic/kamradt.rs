//! The `kamradt` family: Chroma's `KamradtModifiedChunker` (`chunking_evaluation`), Kamradt's
//! breakpoint method with a target mean chunk size instead of a percentile.
//!
//! 1. Split the document into ~`piece`-token pieces (default 50) with Chroma's recursive splitter
//!    (`RecursiveTokenChunker(chunk_size=50, chunk_overlap=0, length_function=openai_token_count)`,
//!    separators `["\n\n", "\n", ".", "?", "!", " ", ""]`) — [`SeparatorSplitter::chroma`].
//! 2. Embed each piece with `buffer` neighbours on each side (default 3: the reference's
//!    `split_text` calls `combine_sentences(sentences, 3)`, whatever its own default of 1 says).
//! 3. Distances `1 − cos` between consecutive windows; `number_of_cuts = total // avg`, where
//!    `total` is the sum of the pieces' cl100k counts.
//! 4. Binary search on the threshold in `[0, 1]` until the interval is at most 1e-6 wide: a
//!    midpoint with more than `number_of_cuts` distances above it raises the lower bound, else it
//!    lowers the upper bound. Cut after every piece whose distance is above the **last midpoint
//!    tried** ([`binary_search_threshold`]).
//! 5. A chunk is the span from its first piece's start to its last piece's end; with `max` given,
//!    a chunk over `max` cl100k tokens is split at piece boundaries ([`super::limit`]).
//!
//! Reference quirks kept (they define the configuration being reproduced):
//! - The threshold is the last midpoint, not the bound that meets the target, so the number of
//!   cuts can be `number_of_cuts + 1` (a distance just above the final midpoint) or, with tied
//!   distances, fewer; the mean chunk size is near, not at, `avg` (`total / (cuts + 1)`).
//! - The search never leaves `[0, 1]`: distances above 1 (negative similarity) are always cuts.
//! - No size limit by default: a long run of similar pieces is one chunk (the reference's
//!   `kamradt_300` has a 3,403-token chunk). `max` is our addition, off unless given.
//! - `min_chunk_size=50` in the reference is the piece size, not a minimum chunk size: here
//!   `piece`.
//!
//! Differences that do not change the algorithm: the reference joins pieces (and window pieces)
//! with a space and re-normalises the vectors; our windows and chunks are substrings of the
//! document (all-MiniLM's tokenizer reads the same word pieces either way) and the vectors are
//! unit-length already. The reference then re-locates each chunk's text in the document (first
//! occurrence, trailing `.` stripped); our spans are exact.

use super::{check_max, consecutive_distances, embed_spans, groups_from_breaks};
use super::{limit::emit_group, reference_pieces, windows_to_cut, REFERENCE_PIECE_TOKENS};
use crate::chunk::sizer::cl100k_tokens;
use crate::chunk::{ChunkEnv, Chunker, Family, Params, Span};
use crate::error::Result;
use crate::strategy::Strategy;

/// `kamradt`: Chroma's KamradtModifiedChunker.
pub const FAMILY: Family = Family {
    name: "kamradt",
    params: "avg (required), buffer=3, piece=50, max",
    about:
        "Chroma's modified Kamradt: the distance threshold found so the mean chunk is `avg` tokens",
    build: |s| Ok(Box::new(Kamradt::from_strategy(s)?)),
};

/// The reference's threshold search: the last midpoint of a bisection of `[0, 1]` (to a width of
/// 1e-6) on "more than `cuts` distances are above the midpoint".
pub fn binary_search_threshold(distances: &[f64], cuts: usize) -> f64 {
    let (mut lower, mut upper) = (0.0f64, 1.0f64);
    let mut threshold = (upper + lower) / 2.0;
    while upper - lower > 1e-6 {
        threshold = (upper + lower) / 2.0;
        let above = distances.iter().filter(|&&d| d > threshold).count();
        if above > cuts {
            lower = threshold;
        } else {
            upper = threshold;
        }
    }
    threshold
}

/// The `kamradt` chunker.
#[derive(Debug, Clone)]
pub struct Kamradt {
    /// Target mean chunk size in cl100k tokens.
    pub avg: usize,
    /// Piece size in cl100k tokens.
    pub piece: usize,
    /// Neighbouring pieces embedded on each side.
    pub buffer: usize,
    /// Optional hard limit in cl100k tokens.
    pub max: Option<usize>,
}

impl Kamradt {
    pub const PARAMS: &'static [&'static str] = &["avg", "piece", "buffer", "max"];

    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let avg = p.positive("avg")?;
        let piece = p.usize_opt("piece")?.unwrap_or(REFERENCE_PIECE_TOKENS);
        if piece == 0 {
            return Err(p.error("`piece` must be at least 1"));
        }
        let buffer = p.usize_opt("buffer")?.unwrap_or(3);
        let max = match p.usize_opt("max")? {
            Some(m) => Some(check_max(&p, m)?),
            None => None,
        };
        p.finish(Self::PARAMS)?;
        Ok(Kamradt {
            avg,
            piece,
            buffer,
            max,
        })
    }
}

impl Chunker for Kamradt {
    fn embedding_spans(&self, text: &str) -> Result<Vec<Span>> {
        let pieces = reference_pieces(text, self.piece)?;
        Ok(windows_to_cut(&pieces, self.buffer))
    }

    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let pieces = reference_pieces(text, self.piece)?;
        let breaks: Vec<usize> = if pieces.len() > 1 {
            let windows = windows_to_cut(&pieces, self.buffer);
            let distances = consecutive_distances(&embed_spans(text, &windows, env)?);
            let total: usize = pieces
                .iter()
                .map(|p| cl100k_tokens(&text[p.start..p.end]))
                .sum();
            let threshold = binary_search_threshold(&distances, total / self.avg);
            (0..distances.len())
                .filter(|&i| distances[i] > threshold)
                .collect()
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(breaks.len() + 1);
        for g in groups_from_breaks(pieces.len(), &breaks) {
            emit_group(text, &pieces, g, self.max, &mut out);
        }
        Ok(out)
    }

    fn needs_embeddings(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::HashEnv;
    use super::*;
    use crate::chunk::build;

    #[test]
    fn threshold_is_the_references_last_midpoint() {
        // Values printed by the reference's loop (Python floats) for these inputs.
        let d = [0.1, 0.2, 0.3, 0.4, 0.5];
        assert_eq!(binary_search_threshold(&d, 2), 0.3000001907348633);
        assert_eq!(binary_search_threshold(&d, 0), 0.4999990463256836);
        assert_eq!(
            binary_search_threshold(&[0.3, 0.3, 0.3, 1.2], 1),
            0.3000001907348633
        );
        // The last midpoint sits just under 0.5, so 0.5 is a cut too: two cuts for a target of one.
        let t = binary_search_threshold(&[0.25, 0.5, 0.75], 1);
        assert_eq!(t, 0.4999990463256836);
        assert_eq!([0.25, 0.5, 0.75].iter().filter(|&&x| x > t).count(), 2);
    }

    #[test]
    fn mean_size_tracks_the_target() {
        let words = [
            "river", "stone", "engine", "cloud", "market", "violin", "garden", "protein",
        ];
        let mut text = String::new();
        for i in 0..400 {
            let w = words[(i / 25) % words.len()];
            text.push_str(&format!("The {w} number {i} is here with {w} again. "));
        }
        let c = Kamradt::from_strategy(&Strategy::parse("kamradt:avg=200").unwrap()).unwrap();
        let spans = c.chunk(&text, &HashEnv).unwrap();
        let total = cl100k_tokens(&text);
        let want = total / 200 + 1;
        assert!(
            spans.len() + 3 >= want && spans.len() <= want + 3,
            "{} chunks for {want}",
            spans.len()
        );
        let c =
            Kamradt::from_strategy(&Strategy::parse("kamradt:avg=2000,max=100").unwrap()).unwrap();
        let spans = c.chunk(&text, &HashEnv).unwrap();
        assert!(spans
            .iter()
            .all(|s| cl100k_tokens(&text[s.start..s.end]) <= 100));
    }

    #[test]
    fn parameters_are_validated() {
        for (spec, needle) in [
            ("kamradt", "missing required parameter `avg`"),
            ("kamradt:avg=300,max=2", "at least 8"),
            ("kamradt:avg=300,piece=0", "at least 1"),
            ("kamradt:avg=300,method=x", "unknown parameter `method`"),
        ] {
            let e = build(&Strategy::parse(spec).unwrap()).err().expect(spec);
            assert!(e.to_string().contains(needle), "{spec}: {e}");
        }
    }
}
