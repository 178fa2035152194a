//! Answer support (model-free): can the retrieved context support the gold answer at all?
//!
//! answer_support = |content tokens of the gold answer that occur in the retrieved text| /
//! |content tokens of the gold answer|, where tokens are lower-cased runs of letters and digits
//! (keeping inner `.`, `,`, `:`, `/`, `-` between digits/letters, so `4.2.1`, `7443/tcp` and
//! `2026-03-17` stay whole) and content tokens are those not in a short English stop-word list.
//! Undefined (skipped) for questions without a gold answer or whose answer has no content token.

use std::collections::HashSet;

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was", "were", "which",
    "with", "per", "than", "then", "there", "they", "be", "been", "but", "not", "no", "yes",
    "into", "after", "before", "each", "only", "also", "both",
];

/// Lower-cased word tokens of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty()
            && matches!(c, '.' | ',' | ':' | '/' | '-')
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Content tokens of `text` (stop words removed), de-duplicated in order.
pub fn content_tokens(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    tokens(text)
        .into_iter()
        .filter(|t| !STOP_WORDS.contains(&t.as_str()))
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

/// Share of the answer's content tokens found among the context's tokens; `None` when the answer
/// has no content token.
///
/// ```
/// use chunkbench::score::answer::answer_support;
/// assert_eq!(answer_support("Port 7443 with TLS", ["The hub listens on port 7443."]), Some(2.0 / 3.0));
/// ```
pub fn answer_support<'a>(answer: &str, context: impl IntoIterator<Item = &'a str>) -> Option<f64> {
    let wanted = content_tokens(answer);
    if wanted.is_empty() {
        return None;
    }
    let have: HashSet<String> = context.into_iter().flat_map(tokens).collect();
    let found = wanted.iter().filter(|t| have.contains(*t)).count();
    Some(found as f64 / wanted.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_versions_and_dates_whole() {
        assert_eq!(
            tokens("Kestrel 4.2.1, released 2026-04-07."),
            ["kestrel", "4.2.1", "released", "2026-04-07"]
        );
        assert_eq!(tokens("€11,100 credit"), ["11,100", "credit"]);
    }

    #[test]
    fn support_counts_content_tokens_only() {
        assert_eq!(
            answer_support("the 14 days", ["retention is 14 days"]),
            Some(1.0)
        );
        assert_eq!(answer_support("of the", ["x"]), None);
        assert_eq!(answer_support("14 days", std::iter::empty()), Some(0.0));
    }
}
