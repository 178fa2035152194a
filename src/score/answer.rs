//! Answer support (model-free): can the retrieved context support the gold answer at all?
//!
//! answer_support = |content tokens of the gold answer that occur in the retrieved text| /
//! |content tokens of the gold answer|, where tokens are lower-cased runs of letters and digits
//! (keeping inner `.`, `,`, `:`, `/`, `-` between digits/letters, so `4.2.1`, `7443/tcp` and
//! `2026-03-17` stay whole) and content tokens are those not in a short English stop-word list.
//! Undefined (skipped) for questions without a gold answer or whose answer has no content token.
//!
//! Two companions score a *generated* answer, on the same tokens (all of them, stop words
//! included, counted with multiplicity, as SQuAD and Adlakha et al. 2023 do):
//! - [`k_precision`] = |answer tokens that occur in the retrieved text| / |answer tokens| — how
//!   much of what the answer says is grounded in the context, word for word;
//! - [`token_f1`] = 2·P·R / (P + R) with P = |common| / |answer tokens| and
//!   R = |common| / |gold tokens|, `common` the multiset intersection — how close it is to the
//!   gold answer.

use std::collections::HashSet;

/// The one stop-word list: function words that carry no content (answer metrics, question
/// filters).
pub const STOP_WORDS: &[&str] = &[
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

/// K-precision of a generated `answer` against the retrieved `context`; `None` for an answer
/// without tokens.
///
/// ```
/// use chunkbench::score::answer::k_precision;
/// assert_eq!(k_precision("It listens on port 7443", ["The hub listens on port 7443."]), Some(0.8));
/// ```
pub fn k_precision<'a>(answer: &str, context: impl IntoIterator<Item = &'a str>) -> Option<f64> {
    let said = tokens(answer);
    if said.is_empty() {
        return None;
    }
    let have: HashSet<String> = context.into_iter().flat_map(tokens).collect();
    let found = said.iter().filter(|t| have.contains(*t)).count();
    Some(found as f64 / said.len() as f64)
}

/// Token F1 of a generated `answer` against the `gold` answer; `None` when the gold answer has no
/// token. An answer without tokens scores 0.
///
/// ```
/// use chunkbench::score::answer::token_f1;
/// // common = {port, 7443}: P = 2/4, R = 2/2, F1 = 2/3
/// assert_eq!(token_f1("on port 7443 probably", "port 7443"), Some(2.0 / 3.0));
/// ```
pub fn token_f1(answer: &str, gold: &str) -> Option<f64> {
    let gold = tokens(gold);
    if gold.is_empty() {
        return None;
    }
    let said = tokens(answer);
    let mut left: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for t in &gold {
        *left.entry(t.as_str()).or_default() += 1;
    }
    let mut common = 0usize;
    for t in &said {
        if let Some(n) = left.get_mut(t.as_str()) {
            if *n > 0 {
                *n -= 1;
                common += 1;
            }
        }
    }
    if common == 0 {
        return Some(0.0);
    }
    let p = common as f64 / said.len() as f64;
    let r = common as f64 / gold.len() as f64;
    Some(2.0 * p * r / (p + r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_precision_counts_every_answer_token() {
        // 5 tokens, "it" is not in the context: 4/5.
        assert_eq!(
            k_precision("It listens on port 7443", ["hub listens on", "port 7443"]),
            Some(0.8)
        );
        // Repeated tokens count each time.
        assert_eq!(k_precision("no no no yes", ["yes"]), Some(0.25));
        // Empty retrieval: nothing is grounded.
        assert_eq!(k_precision("port 7443", std::iter::empty()), Some(0.0));
        assert_eq!(k_precision("...", ["x"]), None);
    }

    #[test]
    fn token_f1_is_squad_style() {
        assert_eq!(token_f1("port 7443", "port 7443"), Some(1.0));
        assert_eq!(token_f1("", "port 7443"), Some(0.0));
        assert_eq!(token_f1("anything", "!!"), None);
        // Multiset intersection: gold has one "14", the answer two -> common = 2 (14, days).
        // P = 2/3, R = 2/2 -> F1 = 0.8.
        let f = token_f1("14 14 days", "14 days").unwrap();
        assert!((f - 0.8).abs() < 1e-12, "{f}");
    }

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
