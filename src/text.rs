//! Offsets. Chunk spans are byte ranges on char boundaries of the original text; external formats
//! (Chroma's data, the native questions file, the `chunk` command's output) use Unicode code-point
//! offsets. [`CharIndex`] converts between the two, once, at the edges.

/// Maps between byte offsets and Unicode code-point offsets of one text.
///
/// ```
/// use chunkbench::text::CharIndex;
/// let idx = CharIndex::new("añb");
/// assert_eq!(idx.char_to_byte(2), Some(3));
/// assert_eq!(idx.byte_to_char(3), Some(2));
/// assert_eq!(idx.byte_to_char(2), None); // inside 'ñ'
/// ```
#[derive(Debug, Clone)]
pub struct CharIndex {
    /// Byte offset of every char start, plus the text length at the end. Empty for ASCII text,
    /// where bytes and chars coincide.
    starts: Vec<usize>,
    len_bytes: usize,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let starts = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        CharIndex {
            starts,
            len_bytes: text.len(),
        }
    }

    /// Number of code points in the text.
    pub fn len_chars(&self) -> usize {
        if self.starts.is_empty() {
            self.len_bytes
        } else {
            self.starts.len() - 1
        }
    }

    /// Byte offset of code point `c` (`c == len_chars()` gives the text length).
    pub fn char_to_byte(&self, c: usize) -> Option<usize> {
        if self.starts.is_empty() {
            (c <= self.len_bytes).then_some(c)
        } else {
            self.starts.get(c).copied()
        }
    }

    /// Code-point offset of byte `b`, or `None` when `b` is not on a char boundary.
    pub fn byte_to_char(&self, b: usize) -> Option<usize> {
        if self.starts.is_empty() {
            (b <= self.len_bytes).then_some(b)
        } else {
            self.starts.binary_search(&b).ok()
        }
    }
}

/// Largest char boundary `<= i` (clamped to the text length).
pub fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary `>= i` (clamped to the text length).
pub fn ceil_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Shrinks the byte range `[start, end)` of `text` so it starts and ends on non-whitespace.
/// Returns an empty range at `start` when the range is all whitespace.
pub fn trim_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let s = &text[start..end];
    let trimmed_start = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return (start, start);
    }
    (start + trimmed_start, start + trimmed_start + trimmed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_unicode_round_trip() {
        for text in ["hello world", "héllo — wörld €", ""] {
            let idx = CharIndex::new(text);
            assert_eq!(idx.len_chars(), text.chars().count());
            for (c, (b, _)) in text.char_indices().enumerate() {
                assert_eq!(idx.char_to_byte(c), Some(b));
                assert_eq!(idx.byte_to_char(b), Some(c));
            }
            assert_eq!(idx.char_to_byte(idx.len_chars()), Some(text.len()));
            assert_eq!(idx.char_to_byte(idx.len_chars() + 1), None);
        }
    }

    #[test]
    fn trims_whitespace() {
        assert_eq!(trim_range("  ab  ", 0, 6), (2, 4));
        assert_eq!(trim_range("a   b", 1, 4), (1, 1));
    }
}
