//! Text helpers for question generation: sentence spans, cleaning a small model's question, and
//! content words.

use std::collections::HashSet;

use crate::chunk::semantic::sentences::sentences as unicode_sentences;
use crate::chunk::Span;
use crate::score::answer::STOP_WORDS;

/// Sentences of `text[span]` usable as excerpts: the project's one sentence segmenter (Unicode
/// sentence boundaries, [`crate::chunk::semantic::sentences`]), with a hard-wrapped line joined
/// to the sentence it continues (a line break ends a sentence only where a new block starts); a
/// tail cut off by the end of the span is left out. Headings (`#`), table rows (`|`), code fences
/// and sentences of fewer than 6 or more than 80 words are left out.
pub fn sentences(text: &str, span: Span) -> Vec<Span> {
    let piece = &text[span.start..span.end];
    let mut joined: Vec<Span> = Vec::new();
    for s in unicode_sentences(piece) {
        let s = Span::new(span.start + s.start, span.start + s.end);
        match joined.last_mut() {
            Some(prev) if hard_wrap(text, *prev, s.start) => prev.end = s.end,
            _ => joined.push(s),
        }
    }
    // The passage's tail is a sentence only if it is complete: it ends a line or the document.
    if let Some(last) = joined.last() {
        let ends_line = text[last.end..span.end].contains('\n');
        let after = &text[span.end..];
        let complete = ends_line
            || text[last.start..last.end].ends_with(['.', '?', '!'])
            || after.trim_start_matches([' ', '\t', '\r']).is_empty()
            || (after.starts_with('\n') && block_starts(&after[1..]));
        if !complete {
            joined.pop();
        }
    }
    joined
        .into_iter()
        .filter(|s| usable(&text[s.start..s.end]))
        .collect()
}

/// Whether the sentence `prev` continues after the line break before `next`: it does not end in
/// terminal punctuation, the break is a single line break, and the next line starts no block.
fn hard_wrap(text: &str, prev: Span, next: usize) -> bool {
    let gap = &text[prev.end..next];
    let Some(nl) = gap.find('\n') else {
        return false;
    };
    let nl = prev.end + nl;
    !text[prev.start..prev.end].ends_with(['.', '?', '!'])
        && gap.matches('\n').count() == 1
        && !block_starts(&text[nl + 1..])
        && !block_line(&text[..nl])
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

/// An excerpt candidate: prose of 6 to 80 words, not markup.
fn usable(t: &str) -> bool {
    let words = t.split_whitespace().count();
    let markup = t.starts_with('#') || t.starts_with('|') || t.starts_with("```");
    !markup && (6..=80).contains(&words)
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

/// Words a question is made of whatever it asks, besides the stop words of
/// [`crate::score::answer::STOP_WORDS`].
const QUESTION_WORDS: &[&str] = &[
    "what", "when", "where", "which", "while", "does", "would", "should", "how", "who", "why",
];

/// Lower-cased words of at least 4 letters or digits, without stop words and question words; a plural
/// `s` is dropped so "needs" matches "need".
pub fn content_words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(|w| w.to_lowercase())
        .filter(|w| !STOP_WORDS.contains(&w.as_str()) && !QUESTION_WORDS.contains(&w.as_str()))
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
