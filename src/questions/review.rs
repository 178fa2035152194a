//! The review sheet (`review.md`): counts per filter, every kept question with its excerpt and
//! scores, and a sample of the dropped ones with the filter and reason that dropped them, for a
//! person to skim before trusting the set.

use std::fmt::Write;

use super::attempt::{Attempt, Filter, Report};

/// Dropped attempts shown per filter.
pub const DROPPED_PER_FILTER: usize = 3;

/// Seed of the dropped sample (the sheet is the same on every run).
pub const SEED: u64 = 17;

/// The sheet's Markdown.
pub fn sheet(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Generated questions: review sheet\n");
    let _ = writeln!(
        s,
        "{} documents, {} attempts, **{} kept**. Prompt: {}; answerability gain at least {} \
         nats/token; specificity: {}.\n",
        report.documents,
        report.attempted,
        report.kept,
        report.settings.prompt,
        report.settings.min_gain,
        match report.settings.top {
            Some(n) => format!(
                "excerpt in the top {n} of `{}` over `{}` chunks of the corpus",
                report.settings.retriever, report.settings.chunker
            ),
            None => "off".into(),
        }
    );
    let _ = writeln!(s, "| filter | drops | dropped |\n|---|---|---:|");
    for f in Filter::ALL {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            f.name(),
            f.about(),
            report.dropped.get(f)
        );
    }
    let _ = writeln!(s, "\n## Kept ({})\n", report.kept);
    for (n, a) in report.attempts.iter().filter(|a| a.kept).enumerate() {
        let _ = writeln!(s, "{}. **{}**", n + 1, a.question.as_deref().unwrap_or(""));
        let _ = writeln!(
            s,
            "   - excerpt ({}): {}",
            a.doc,
            quote(a.excerpt.as_deref())
        );
        let _ = writeln!(s, "   - {}", scores(a));
    }
    let _ = writeln!(
        s,
        "\n## Dropped: a sample (up to {DROPPED_PER_FILTER} per filter, seed {SEED})\n"
    );
    for f in Filter::ALL {
        let dropped: Vec<&Attempt> = report
            .attempts
            .iter()
            .filter(|a| a.filter == Some(f))
            .collect();
        if dropped.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### `{}` ({} dropped)\n", f.name(), dropped.len());
        for a in sample(&dropped, DROPPED_PER_FILTER, SEED) {
            let q = a.question.as_deref().or(a.raw.as_deref()).unwrap_or("—");
            let _ = writeln!(s, "- {}", one_line(q));
            let _ = writeln!(s, "  - reason: {}", a.reason.as_deref().unwrap_or(""));
            let _ = writeln!(
                s,
                "  - excerpt ({}): {}",
                a.doc,
                quote(a.excerpt.as_deref())
            );
        }
        s.push('\n');
    }
    s
}

fn scores(a: &Attempt) -> String {
    let gain = a
        .answerability
        .map_or("—".into(), |g| format!("{g:.3} nats/token"));
    let rank = a.corpus_rank.map_or("—".into(), |r| r.to_string());
    format!("answerability {gain}; BM25 rank of the excerpt {rank}")
}

fn one_line(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn quote(t: Option<&str>) -> String {
    t.map_or("—".into(), |t| format!("“{}”", one_line(t)))
}

/// `k` items of `items` chosen by a seeded shuffle (all of them, in order, when `k >= len`),
/// in their original order.
pub fn sample<'a, T>(items: &[&'a T], k: usize, seed: u64) -> Vec<&'a T> {
    if k >= items.len() {
        return items.to_vec();
    }
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let mut state = seed;
    for i in (1..idx.len()).rev() {
        let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
        idx.swap(i, j);
    }
    let mut chosen: Vec<usize> = idx.into_iter().take(k).collect();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| items[i]).collect()
}

/// SplitMix64: a small, fixed pseudo-random sequence.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_seeded_ordered_and_bounded() {
        let v: Vec<usize> = (0..10).collect();
        let refs: Vec<&usize> = v.iter().collect();
        let a = sample(&refs, 3, 17);
        assert_eq!(a.len(), 3);
        assert_eq!(a, sample(&refs, 3, 17));
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample(&refs[..2], 3, 17).len(), 2);
    }
}
