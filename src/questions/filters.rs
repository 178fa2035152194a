//! Self-containment filters: pure checks of a cleaned question against its gold excerpt, no model.
//! A benchmark question is asked over a whole corpus, so it must name what it is about, must not
//! give its answer away, and must ask one thing.
//!
//! - [`self_reference`]: it points at an unnamed document ("this study", "the text", "the author",
//!   "according to the passage", "What date is this?").
//! - [`quotes_excerpt`]: most of the excerpt's words appear in it verbatim, in runs of at least
//!   [`QUOTE_RUN`] words (a question that quotes its answer).
//! - [`not_single`]: it is not one question (a quoted question inside it, "the answer to this
//!   question", or two questions joined by "and/or what|how|…").

/// Nouns that name a document or a part of one; after "this"/"these" they point at a
/// document the reader of a corpus-wide question cannot know.
const DOCUMENT_NOUNS: &[&str] = &[
    "study",
    "studies",
    "paper",
    "text",
    "passage",
    "article",
    "document",
    "excerpt",
    "sentence",
    "paragraph",
    "section",
    "chapter",
    "report",
    "email",
    "thread",
    "letter",
    "note",
    "notes",
    "statement",
    "survey",
    "research",
    "analysis",
    "book",
    "story",
    "post",
    "page",
    "snippet",
    "context",
    "author",
    "authors",
    "writer",
    "source",
    "material",
    "reading",
    "extract",
];

/// Nouns that point at an unnamed document even after "the" ("the text", "the author").
const THE_NOUNS: &[&str] = &[
    "text",
    "passage",
    "excerpt",
    "sentence",
    "paragraph",
    "snippet",
    "author",
    "authors",
    "writer",
    "article",
    "study",
    "paper",
    "extract",
    "given",
];

/// Phrases that refer to the document the question was written from.
const PHRASES: &[&str] = &[
    "mentioned above",
    "described above",
    "stated above",
    "listed above",
    "the above",
    "as mentioned",
    "this question",
    "the question",
    "in the given",
];

/// Minimum length, in words, of a verbatim run counted by [`quotes_excerpt`].
pub const QUOTE_RUN: usize = 3;

/// Share of the excerpt's words, quoted in runs, above which a question quotes its excerpt.
pub const QUOTE_SHARE: f64 = 0.5;

/// Lower-cased words (letters and digits) of `text`, in order.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The phrase by which `question` points at an unnamed document, if any.
pub fn self_reference(question: &str) -> Option<String> {
    let w = words(question);
    for pair in w.windows(2) {
        let (det, noun) = (pair[0].as_str(), pair[1].as_str());
        let pointing = matches!(det, "this" | "these") && DOCUMENT_NOUNS.contains(&noun)
            || det == "the" && THE_NOUNS.contains(&noun);
        if pointing {
            return Some(format!("{det} {noun}"));
        }
    }
    // "What date is this?": a bare demonstrative at the end points at the unseen document.
    if let Some(last) = w.last().filter(|l| matches!(l.as_str(), "this" | "these")) {
        return Some(format!("{last}?"));
    }
    let lower = w.join(" ");
    PHRASES
        .iter()
        .find(|p| format!(" {lower} ").contains(&format!(" {p} ")))
        .map(|p| p.to_string())
}

/// The share of the excerpt's words that appear in `question` inside common runs of at least
/// [`QUOTE_RUN`] consecutive words.
pub fn quoted_share(question: &str, excerpt: &str) -> f64 {
    let (q, e) = (words(question), words(excerpt));
    if e.is_empty() || q.len() < QUOTE_RUN {
        return 0.0;
    }
    let mut covered = vec![false; e.len()];
    for i in 0..e.len() {
        for j in 0..q.len() {
            let mut n = 0;
            while i + n < e.len() && j + n < q.len() && e[i + n] == q[j + n] {
                n += 1;
            }
            if n >= QUOTE_RUN {
                covered[i..i + n].iter_mut().for_each(|c| *c = true);
            }
        }
    }
    covered.iter().filter(|&&c| c).count() as f64 / e.len() as f64
}

/// Whether `question` quotes most of its excerpt (share above [`QUOTE_SHARE`]); the share.
pub fn quotes_excerpt(question: &str, excerpt: &str) -> Option<f64> {
    let share = quoted_share(question, excerpt);
    (share > QUOTE_SHARE).then_some(share)
}

/// Why `question` is not a single question, if it is not.
pub fn not_single(question: &str) -> Option<&'static str> {
    let lower = question.to_lowercase();
    let body = lower.trim_end_matches('?');
    if body.contains('?') {
        return Some("more than one question mark");
    }
    if lower.contains("answer to this") || lower.contains("answer is") {
        return Some("asks about an answer, not a fact");
    }
    let quoted = ['"', '“', '”', '\''].iter().any(|q| {
        lower.split(*q).skip(1).any(|after| {
            words(after)
                .first()
                .is_some_and(|w| QUESTION_STARTS.contains(&w.as_str()))
        })
    });
    if quoted {
        return Some("a quoted question inside");
    }
    let w = words(question);
    // "and how …" after at least two words ("What and where is …" asks one thing).
    let joined = w.windows(2).enumerate().any(|(i, p)| {
        i >= 2 && matches!(p[0].as_str(), "and" | "or") && QUESTION_STARTS.contains(&p[1].as_str())
    });
    joined.then_some("two questions joined")
}

/// Words a question starts with.
const QUESTION_STARTS: &[&str] = &[
    "what", "how", "why", "when", "where", "which", "who", "whom", "whose", "is", "are", "does",
    "do", "can",
];

#[cfg(test)]
mod tests {
    use super::*;

    const EXCERPT: &str = "Revoking an agent adds its certificate serial to the cluster's revocation \
                           list, which is replicated through Raft and takes effect on all hub nodes \
                           within about five seconds.";

    #[test]
    fn a_good_question_passes_every_filter() {
        let q =
            "How long does it take for a revoked Kestrel agent to be refused by every hub node?";
        assert_eq!(self_reference(q), None);
        assert_eq!(quotes_excerpt(q, EXCERPT), None);
        assert_eq!(not_single(q), None);
        // Naming a document is fine.
        assert_eq!(
            self_reference("What does the Kestrel manual say about Raft disks?"),
            None
        );
    }

    #[test]
    fn self_referential_questions_are_caught() {
        for (q, why) in [
            (
                "What are the implications of this study's findings on prevention?",
                "this study",
            ),
            (
                "According to the passage, how are agents revoked?",
                "the passage",
            ),
            (
                "What does the author recommend for the Raft log?",
                "the author",
            ),
            ("Which list is mentioned in the text?", "the text"),
            (
                "What is the revocation delay described above?",
                "described above",
            ),
        ] {
            assert_eq!(self_reference(q).as_deref(), Some(why), "{q}");
        }
    }

    #[test]
    fn a_question_quoting_its_excerpt_is_caught() {
        let q =
            "Does revoking an agent add its certificate serial to the cluster's revocation list, \
                 which is replicated through Raft and takes effect on all hub nodes?";
        let share = quotes_excerpt(q, EXCERPT).expect("quotes its excerpt");
        assert!(share > 0.6, "{share}");
        // Sharing a few words is not quoting.
        let q = "What happens when an agent's certificate serial is revoked?";
        assert!(quoted_share(q, EXCERPT) < 0.2);
    }

    #[test]
    fn compound_and_nested_questions_are_caught() {
        let nested = "What if the answer to this question is: \"What if WHO must lead responses?\"";
        assert!(not_single(nested).is_some());
        assert_eq!(
            not_single("What is the revocation delay and how is the list replicated?"),
            Some("two questions joined")
        );
        assert_eq!(
            not_single("He said \"what is Raft\" to whom?"),
            Some("a quoted question inside")
        );
        assert_eq!(not_single("What and where is the Raft log kept?"), None);
    }
}
