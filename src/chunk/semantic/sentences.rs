//! Sentence spans: Unicode sentence boundaries (UAX #29, via `unicode-segmentation`), each
//! sentence trimmed of surrounding whitespace, whitespace-only sentences dropped.
//!
//! UAX #29 ends a sentence after `.`, `?`, `!` (and their Unicode relatives) followed by
//! whitespace and a capital or a new sentence, and after every line or paragraph separator — so a
//! Markdown heading or list item is a sentence of its own. It is stricter than LangChain's default
//! regex `(?<=[.?!])\s+` (which also cuts after "e.g. the") and looser on abbreviations before a
//! capital ("Mr. Smith" is cut in both).

use unicode_segmentation::UnicodeSegmentation;

use crate::chunk::Span;
use crate::text::trim_range;

/// The sentences of `text`, as ordered, non-overlapping, trimmed, non-empty byte spans. Every
/// non-whitespace character of `text` is in exactly one sentence.
///
/// ```
/// use chunkbench::chunk::semantic::sentences::sentences;
/// let text = "First one. Second one?  Third\n- a list item";
/// let got: Vec<&str> = sentences(text).iter().map(|s| &text[s.start..s.end]).collect();
/// assert_eq!(got, ["First one.", "Second one?", "Third", "- a list item"]);
/// ```
pub fn sentences(text: &str) -> Vec<Span> {
    text.split_sentence_bound_indices()
        .filter_map(|(i, s)| {
            let (a, b) = trim_range(text, i, i + s.len());
            (a < b).then(|| Span::new(a, b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_every_non_whitespace_character() {
        let text = "  Héllo wörld! ¿Qué tal? 漢字です。次の文。\n\n\nA line\r\nB line. ";
        let spans = sentences(text);
        let mut covered = vec![false; text.len()];
        let mut prev_end = 0;
        for s in &spans {
            assert!(s.start >= prev_end && s.start < s.end);
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            assert_eq!(text[s.start..s.end].trim(), &text[s.start..s.end]);
            covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
            prev_end = s.end;
        }
        for (i, ch) in text.char_indices() {
            assert!(
                covered[i] || ch.is_whitespace(),
                "{ch:?} at {i} not covered"
            );
        }
        assert!(spans.len() >= 5, "{spans:?}");
    }

    #[test]
    fn empty_and_blank_texts_have_no_sentences() {
        assert!(sentences("").is_empty());
        assert!(sentences(" \n\t ").is_empty());
    }
}
