//! The cost of a strategy's index and what truncation hides: from the embedder's token count of
//! every chunk, its input limit, the vector dimension and a price.

use crate::results::IndexStats;

/// A strategy losing more than this share of its text to truncation gets a warning line.
pub const WARN_UNSEEN_SHARE: f64 = 0.05;

/// The index statistics of chunks of `tokens` embedder tokens each.
pub fn index_stats(
    tokens: &[usize],
    max_tokens: Option<usize>,
    dimension: usize,
    price_per_mtok: Option<f64>,
) -> IndexStats {
    let total: usize = tokens.iter().sum();
    // A share of nothing is 0, not NaN.
    let share = |part: usize, of: usize| Some(if of > 0 { part as f64 / of as f64 } else { 0.0 });
    let (truncated, unseen) = match max_tokens {
        Some(max) => (
            tokens.iter().filter(|&&n| n > max).count(),
            tokens.iter().map(|&n| n.saturating_sub(max)).sum(),
        ),
        None => (0, 0),
    };
    IndexStats {
        embedder_tokens: total,
        truncated_chunks: truncated,
        truncated_share: max_tokens.and_then(|_| share(truncated, tokens.len())),
        unseen_tokens: unseen,
        unseen_token_share: max_tokens.and_then(|_| share(unseen, total)),
        vectors: tokens.len(),
        dimension,
        bytes: tokens.len() * dimension * 4,
        cost_usd: price_per_mtok.map(|p| total as f64 * p / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_and_cost_on_hand_computed_chunks() {
        // Limit 10: chunks of 4, 10, 16 and 30 tokens; the last two lose 6 and 20.
        let s = index_stats(&[4, 10, 16, 30], Some(10), 384, Some(0.02));
        assert_eq!(
            (s.embedder_tokens, s.truncated_chunks, s.unseen_tokens),
            (60, 2, 26)
        );
        assert_eq!(s.truncated_share, Some(0.5));
        assert!((s.unseen_token_share.unwrap() - 26.0 / 60.0).abs() < 1e-12);
        assert_eq!((s.vectors, s.bytes), (4, 4 * 384 * 4));
        assert!((s.cost_usd.unwrap() - 60.0 * 0.02 / 1e6).abs() < 1e-15);
        // Unknown limit: no truncation claimed either way; no price: no money.
        let s = index_stats(&[4, 30], None, 8, None);
        assert_eq!(
            (s.truncated_share, s.unseen_token_share, s.cost_usd),
            (None, None, None)
        );
        // No chunks: shares are 0, not NaN.
        let s = index_stats(&[], Some(10), 8, None);
        assert_eq!(
            (s.truncated_share, s.unseen_token_share),
            (Some(0.0), Some(0.0))
        );
    }
}
