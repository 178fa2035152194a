//! Text helpers for question generation: sentence spans, cleaning a small model's question, and
//! content words.

use std::collections::HashSet;

use crate::chunk::Span;
use crate::text::trim_range;

/// Sentences of `text[span]` usable as excerpts: a sentence ends after `.`, `?` or `!` followed
/// by whitespace, or at a line break that starts a new block (not at a hard wrap); a tail cut off
/// by the end of the span is left out. Spans are trimmed; headings (`#`), table rows (`|`), code
/// fences and sentences of fewer than 6 or more than 80 words are left out.
pub fn sentences(text: &str, span: Span) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = span.start;
    let piece = &text[span.start..span.end];
    let mut chars = piece.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = span.start + i;
        let end = match c {
            '\n' if block_starts(&piece[i + 1..]) || block_line(&piece[..i]) => Some(at),
            '.' | '?' | '!' => match chars.peek() {
                Some((_, n)) if n.is_whitespace() => Some(at + c.len_utf8()),
                None => Some(at + c.len_utf8()),
                _ => None,
            },
            _ => None,
        };
        if let Some(end) = end {
            push(text, start, end, &mut out);
            start = end;
        }
    }
    // The passage's tail is a sentence only if it is complete: it ends a line or the document.
    let tail = &text[start..span.end];
    let after = &text[span.end..];
    let complete = tail.trim_end().ends_with(['.', '?', '!'])
        || after.trim_start_matches([' ', '\t', '\r']).is_empty()
        || (after.starts_with('\n') && block_starts(&after[1..]));
    if complete {
        push(text, start, span.end, &mut out);
    }
    out
}

/// Whether the text after a line break starts a new block (so the line break ends a sentence):
/// a blank line, a heading, a list item, a table row, a quote or a code fence. A plain next line is
/// a hard-wrapped continuation of the same sentence.
fn block_starts(rest: &str) -> bool {
    let line = rest.split('\n').next().unwrap_or("");
    let t = line.trim_start();
    let numbered = t
        .split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    t.is_empty()
        || numbered
        || ["#", "- ", "* ", "+ ", "|", "> ", "```"]
            .iter()
            .any(|m| t.starts_with(m))
}

/// Whether the last line of `before` is a heading or a table row (it ends at its line break).
fn block_line(before: &str) -> bool {
    let line = before.rsplit('\n').next().unwrap_or("").trim_start();
    line.starts_with('#') || line.starts_with('|')
}

fn push(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let (s, e) = trim_range(text, start, end);
    if s >= e {
        return;
    }
    let t = &text[s..e];
    let words = t.split_whitespace().count();
    let markup = t.starts_with('#') || t.starts_with('|') || t.starts_with("```");
    if !markup && (6..=80).contains(&words) {
        out.push(Span::new(s, e));
    }
}

/// A small model's answer turned into one question: a leading `Question:`/`Q:` (and quotes or
/// list marks) stripped, cut after the first `?`, whitespace collapsed. `None` without a `?` or
/// with fewer than 4 words.
pub fn clean_question(raw: &str) -> Option<String> {
    let mut t = raw.trim();
    loop {
        let lower = t.to_ascii_lowercase();
        let stripped = ["question:", "q:", "question 1:", "1.", "-", "*", "\"", "'"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| t[p.len()..].trim_start());
        match stripped {
            Some(s) => t = s,
            None => break,
        }
    }
    let end = t.find('?')?;
    let q: Vec<&str> = t[..=end].split_whitespace().collect();
    if q.len() < 4 {
        return None;
    }
    Some(q.join(" "))
}

const STOP: &[&str] = &[
    "about", "after", "also", "been", "before", "being", "does", "from", "have", "into", "more",
    "must", "once", "only", "other", "should", "than", "that", "their", "them", "then", "there",
    "these", "they", "this", "what", "when", "where", "which", "while", "with", "would", "your",
    "will", "were", "each", "many", "much", "some", "such", "very", "how", "who", "why",
];

/// Lower-cased words of at least 4 letters or digits, without common function words; a plural
/// `s` is dropped so "needs" matches "need".
pub fn content_words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(|w| w.to_lowercase())
        .filter(|w| !STOP.contains(&w.as_str()))
        .map(|w| w.strip_suffix('s').map(str::to_string).unwrap_or(w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_and_skips_markup() {
        let text =
            "# Heading line here with many words\nThe pump runs for twelve minutes each day. \
                    Short one. Version 4.2.1 fixed the bug in the relay for good!\n";
        let s = sentences(text, Span::new(0, text.len()));
        let got: Vec<&str> = s.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(
            got,
            vec![
                "The pump runs for twelve minutes each day.",
                "Version 4.2.1 fixed the bug in the relay for good!"
            ]
        );
    }

    #[test]
    fn hard_wrapped_lines_stay_one_sentence() {
        let text = "When a runbook step fails, or after 15 minutes without\nprogress, page the lead.\n- Next item of the list here\n";
        let s = sentences(text, Span::new(0, text.len()));
        let got: Vec<&str> = s.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(
            got,
            vec![
                "When a runbook step fails, or after 15 minutes without\nprogress, page the lead.",
                "- Next item of the list here"
            ]
        );
    }

    #[test]
    fn leaves_out_a_cut_off_tail() {
        let text = "The pump runs for twelve minutes each day. After that the relay opens and";
        let s = sentences(text, Span::new(0, 60));
        assert_eq!(s.len(), 1);
        assert_eq!(
            &text[s[0].start..s[0].end],
            "The pump runs for twelve minutes each day."
        );
    }

    #[test]
    fn cleans_small_model_output() {
        assert_eq!(
            clean_question("Question: How long does the pump run? Answer: 12 minutes."),
            Some("How long does the pump run?".into())
        );
        assert_eq!(
            clean_question("  \"What is   the relay version?\""),
            Some("What is the relay version?".into())
        );
        assert_eq!(clean_question("The pump runs for 12 minutes."), None);
        assert_eq!(clean_question("Why?"), None);
    }

    #[test]
    fn content_words_ignore_function_words() {
        let w = content_words("What does the compressor need?");
        assert!(w.contains("compressor") && w.contains("need"));
        assert!(!w.contains("what") && !w.contains("does"));
        assert!(content_words("The compressor needs 12 minutes").contains("need"));
    }
}
