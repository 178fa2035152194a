//! Fixed-size and sliding windows over tokens or characters. A window of `size` units starts every
//! `size - overlap` units; the last window is the first one that reaches the end of the text (as
//! LangChain's and Chroma's token splitters do). Token boundaries that fall inside a multi-byte
//! character are moved forward to the next char boundary, so consecutive non-overlapping windows
//! tile the text exactly.

use super::params::{check_overlap, Params};
use super::{ChunkEnv, Chunker, Family, Span, Unit};
use crate::error::Result;
use crate::strategy::Strategy;

/// `fixed`: windows with an optional overlap.
pub const FIXED: Family = Family {
    name: "fixed",
    params: "size (required), overlap=0, unit=cl100k|o200k|chars",
    about: "windows of `size` units every size − overlap units",
    build: |s| Ok(Box::new(Window::from_strategy(s, false)?)),
};

/// `sliding`: windows with a required overlap.
pub const SLIDING: Family = Family {
    name: "sliding",
    params: "size (required), overlap=size/2 (>= 1), unit=cl100k|o200k|chars",
    about: "overlapping windows",
    build: |s| Ok(Box::new(Window::from_strategy(s, true)?)),
};
use crate::text::ceil_char_boundary;

/// A window chunker (`fixed` or `sliding`).
#[derive(Debug, Clone)]
pub struct Window {
    pub size: usize,
    pub overlap: usize,
    pub unit: Unit,
}

impl Window {
    /// Builds from a strategy's parameters. `sliding` requires an overlap (default size/2).
    pub fn from_strategy(strategy: &Strategy, sliding: bool) -> Result<Self> {
        let mut p = Params::new(strategy);
        let size = p.positive("size")?;
        let overlap = p.usize_opt("overlap")?;
        let unit = p.choice("unit", Unit::CHOICES, Unit::Cl100k)?;
        let overlap = match (sliding, overlap) {
            (false, o) => o.unwrap_or(0),
            (true, None) => size / 2,
            (true, Some(0)) => {
                return Err(p.error(
                    "a sliding window needs overlap >= 1; use the `fixed` family for overlap 0",
                ))
            }
            (true, Some(o)) => o,
        };
        check_overlap(&p, size, overlap)?;
        p.finish(&["size", "overlap", "unit"])?;
        Ok(Window {
            size,
            overlap,
            unit,
        })
    }

    /// Window boundaries over `n` units: `(first, last_exclusive)` unit indices.
    fn windows(&self, n: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let stride = self.size - self.overlap;
        let mut start = 0;
        let mut done = n == 0;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let end = (start + self.size).min(n);
            let w = (start, end);
            if end == n {
                done = true;
            }
            start += stride;
            Some(w)
        })
    }
}

impl Chunker for Window {
    fn chunk(&self, text: &str, _env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        // Only the boundaries a window starts or ends at: every stride, and size past each.
        let stride = self.size - self.overlap;
        let wanted = |i: usize| {
            i.is_multiple_of(stride) || (i >= self.size && (i - self.size).is_multiple_of(stride))
        };
        let (marks, n) = match self.unit.bpe() {
            Some(bpe) => super::sizer::token_boundaries(bpe, text, wanted),
            None => {
                let mut marks: Vec<(usize, usize)> = text
                    .char_indices()
                    .enumerate()
                    .filter(|&(i, _)| wanted(i))
                    .map(|(i, (at, _))| (i, at))
                    .collect();
                let n = text.chars().count();
                marks.push((n, text.len()));
                (marks, n)
            }
        };
        let offset = |i: usize| {
            let k = marks.partition_point(|&(j, _)| j < i);
            debug_assert_eq!(marks[k].0, i, "a window boundary is kept");
            ceil_char_boundary(text, marks[k].1)
        };
        Ok(self
            .windows(n)
            .map(|(a, b)| Span::new(offset(a), offset(b)))
            .filter(|s| !s.is_empty())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::testing::assert_valid;
    use crate::chunk::NoEmbeddings;

    fn window(spec: &str) -> Window {
        let s = Strategy::parse(spec).unwrap();
        Window::from_strategy(&s, s.family == "sliding").unwrap()
    }

    #[test]
    fn char_windows_tile_the_text() {
        let text = "abcdefghij";
        let spans = window("fixed:size=4,unit=chars")
            .chunk(text, &NoEmbeddings)
            .unwrap();
        assert_eq!(
            spans,
            vec![Span::new(0, 4), Span::new(4, 8), Span::new(8, 10)]
        );
    }

    #[test]
    fn sliding_windows_overlap_and_stop_at_end() {
        let text = "abcdefghij";
        let spans = window("sliding:size=4,overlap=2,unit=chars")
            .chunk(text, &NoEmbeddings)
            .unwrap();
        let got: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(got, ["abcd", "cdef", "efgh", "ghij"]);
    }

    #[test]
    fn token_windows_respect_size_and_boundaries() {
        let text = "Ünïcödé text — with emoji 😀😀😀 and plenty of words to split. ".repeat(20);
        let w = window("fixed:size=16");
        let spans = w.chunk(&text, &NoEmbeddings).unwrap();
        assert_valid(&text, &spans);
        assert_eq!(spans.first().unwrap().start, 0);
        assert_eq!(spans.last().unwrap().end, text.len());
        for pair in spans.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "fixed windows tile the text");
        }
    }

    #[test]
    fn overlap_must_be_smaller_than_size() {
        let s = Strategy::parse("fixed:size=10,overlap=10").unwrap();
        let e = Window::from_strategy(&s, false).unwrap_err().to_string();
        assert!(
            e.contains("overlap (10) must be smaller than size (10)"),
            "{e}"
        );
    }
}
