//! The hard max chunk size. A group of units (sentences or pieces) that the algorithm wants as one
//! chunk but that has more than `max` cl100k tokens — counted on the chunk's own text, the number
//! reports show — is split greedily at unit boundaries; a single unit over `max` is split into
//! token windows. Every emitted span is then re-counted, so the limit holds however BPE merges
//! across the cut: no emitted chunk ever has more than `max` tokens.

use std::ops::Range;

use crate::chunk::sizer::{cl100k_tokens, token_offsets};
use crate::chunk::{Span, Unit};
use crate::text::{ceil_char_boundary, floor_char_boundary, trim_range};

/// The smallest `max` accepted: one character takes at most 4 cl100k tokens (its UTF-8 bytes),
/// so any limit of at least 4 can always be met; 8 leaves room.
pub const MIN_MAX_TOKENS: usize = 8;

/// Emits the chunk made of `units[group]` (the span from the first unit's start to the last
/// unit's end), split as needed so that no span has more than `max` tokens.
pub(crate) fn emit_group(
    text: &str,
    units: &[Span],
    group: Range<usize>,
    max: Option<usize>,
    out: &mut Vec<Span>,
) {
    let units = &units[group];
    let (Some(first), Some(last)) = (units.first(), units.last()) else {
        return;
    };
    let whole = Span::new(first.start, last.end);
    match max {
        Some(max) if cl100k_tokens(&text[whole.start..whole.end]) > max => {
            pack(text, units, max, out)
        }
        _ => out.push(whole),
    }
}

/// Greedy packing of consecutive units into spans of at most `max` tokens: extend while the sum
/// of the units' own counts fits, then shrink until the span's real count fits.
fn pack(text: &str, units: &[Span], max: usize, out: &mut Vec<Span>) {
    let count = |a: usize, b: usize| cl100k_tokens(&text[units[a].start..units[b].end]);
    let counts: Vec<usize> = (0..units.len()).map(|i| count(i, i)).collect();
    let mut i = 0;
    while i < units.len() {
        if counts[i] > max {
            split_by_tokens(text, units[i], max, out);
            i += 1;
            continue;
        }
        let (mut j, mut sum) = (i + 1, counts[i]);
        while j < units.len() && sum + counts[j] <= max {
            sum += counts[j];
            j += 1;
        }
        while j > i + 1 && count(i, j - 1) > max {
            j -= 1;
        }
        out.push(Span::new(units[i].start, units[j - 1].end));
        i = j;
    }
}

/// Splits one span into consecutive windows of at most `max` cl100k tokens each (`max` at least
/// [`MIN_MAX_TOKENS`]). Window ends are token boundaries moved back to a char boundary; each
/// window is trimmed and re-counted, and shortened if re-encoding its text takes more tokens.
pub(crate) fn split_by_tokens(text: &str, span: Span, max: usize, out: &mut Vec<Span>) {
    debug_assert!(max >= 4);
    let s = &text[span.start..span.end];
    let bpe = Unit::Cl100k.bpe().expect("cl100k is a token unit");
    let offsets = token_offsets(bpe, s);
    let n = offsets.len() - 1;
    let mut push = |a: usize, b: usize| {
        let (a, b) = trim_range(s, a, b);
        if a < b {
            out.push(Span::new(span.start + a, span.start + b));
        }
    };
    let mut pos = 0; // byte of `s`, on a char boundary
    let mut t = 0; // the token that contains byte `pos`
    while pos < s.len() {
        while t + 1 < n && offsets[t + 1] <= pos {
            t += 1;
        }
        let mut take = max;
        loop {
            let end_token = (t + take).min(n);
            let mut end = if end_token >= n {
                s.len()
            } else {
                floor_char_boundary(s, offsets[end_token])
            };
            if end <= pos {
                end = ceil_char_boundary(s, pos + 1);
            }
            let (a, b) = trim_range(s, pos, end);
            let tokens = if a < b { cl100k_tokens(&s[a..b]) } else { 0 };
            if tokens <= max {
                push(pos, end);
                pos = end;
                break;
            }
            if take == 1 {
                // One character is at most 4 tokens, within any accepted `max`.
                let end = ceil_char_boundary(s, pos + 1);
                push(pos, end);
                pos = end;
                break;
            }
            take = take.saturating_sub((tokens - max).max(1)).max(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, spans: &[Span], max: usize) {
        let mut covered = vec![false; text.len()];
        let mut prev = 0;
        for s in spans {
            assert!(s.start >= prev && s.start < s.end, "{spans:?}");
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            let n = cl100k_tokens(&text[s.start..s.end]);
            assert!(n <= max, "{n} > {max}: {:?}", &text[s.start..s.end]);
            covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
            prev = s.end;
        }
        for (i, ch) in text.char_indices() {
            assert!(covered[i] || ch.is_whitespace(), "{ch:?} at {i}");
        }
    }

    #[test]
    fn token_windows_respect_max_on_hard_text() {
        let text = "😀🦀漢字ñ".repeat(40) + " word" + &"x".repeat(300) + "  tail  ";
        for max in [8, 9, 13, 50, 200] {
            let mut out = Vec::new();
            split_by_tokens(&text, Span::new(0, text.len()), max, &mut out);
            check(&text, &out, max);
            if max == 200 {
                assert!(out.len() <= 4, "{}", out.len());
            }
        }
    }

    #[test]
    fn groups_that_fit_stay_whole() {
        let text = "One two. Three four. Five six.";
        let units = vec![Span::new(0, 8), Span::new(9, 20), Span::new(21, 30)];
        let mut out = Vec::new();
        emit_group(text, &units, 0..3, Some(100), &mut out);
        emit_group(text, &units, 1..3, None, &mut out);
        assert_eq!(out, vec![Span::new(0, 30), Span::new(9, 30)]);
    }

    #[test]
    fn oversize_groups_split_at_unit_boundaries() {
        let sentence = "The quick brown fox jumps over the lazy dog again.";
        let text = [sentence; 12].join(" ");
        let units: Vec<Span> = (0..12)
            .map(|i| {
                Span::new(
                    i * (sentence.len() + 1),
                    i * (sentence.len() + 1) + sentence.len(),
                )
            })
            .collect();
        let mut out = Vec::new();
        emit_group(&text, &units, 0..12, Some(40), &mut out);
        check(&text, &out, 40);
        // 11 tokens per sentence: three fit in 40.
        assert_eq!(out.len(), 4);
        assert!(out.iter().all(|s| units.iter().any(|u| u.start == s.start)));
    }
}
