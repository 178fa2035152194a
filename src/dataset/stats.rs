//! Dataset statistics (`chunkbench dataset stats`): documents with sizes, questions by kind, and
//! the distribution of gold excerpt lengths.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Dataset;
use crate::chunk::sizer::cl100k_tokens;
use crate::score::aggregate::median_p95;

/// Renders the statistics as plain text.
pub fn render(d: &Dataset) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "dataset {} ({:?} layout)", d.name, d.format);
    let _ = writeln!(
        s,
        "\n{:<40} {:>10} {:>10} {:>10}",
        "document", "chars", "tokens", "questions"
    );
    let (mut tc, mut tt) = (0, 0);
    for (i, doc) in d.documents.iter().enumerate() {
        let chars = doc.chars.len_chars();
        let tokens = cl100k_tokens(&doc.text);
        let qs = d
            .questions
            .iter()
            .filter(|q| q.gold.iter().any(|g| g.doc == i))
            .count();
        tc += chars;
        tt += tokens;
        let _ = writeln!(s, "{:<40} {:>10} {:>10} {:>10}", doc.id, chars, tokens, qs);
    }
    let _ = writeln!(
        s,
        "{:<40} {:>10} {:>10} {:>10}",
        format!("total ({} documents)", d.documents.len()),
        tc,
        tt,
        d.questions.len()
    );

    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for q in &d.questions {
        *kinds
            .entry(q.kind.clone().unwrap_or_else(|| "(none)".into()))
            .or_default() += 1;
    }
    let _ = writeln!(s, "\nquestions by kind:");
    for (k, n) in &kinds {
        let _ = writeln!(s, "  {k:<20} {n:>5}");
    }
    let mut per_q: BTreeMap<usize, usize> = BTreeMap::new();
    for q in &d.questions {
        *per_q.entry(q.gold.len()).or_default() += 1;
    }
    let _ = writeln!(s, "\nexcerpts per question:");
    for (n, c) in &per_q {
        let _ = writeln!(s, "  {n:<20} {c:>5}");
    }
    let lens: Vec<usize> = d
        .questions
        .iter()
        .flat_map(|q| q.gold.iter())
        .map(|g| d.documents[g.doc].text[g.start..g.end].chars().count())
        .collect();
    let (median, p95) = median_p95(&lens);
    let mean = lens.iter().sum::<usize>() as f64 / lens.len().max(1) as f64;
    let _ = writeln!(
        s,
        "\nexcerpt length (chars): n = {}, min {}, mean {:.1}, median {:.0}, p95 {:.0}, max {}",
        lens.len(),
        lens.iter().min().unwrap_or(&0),
        mean,
        median,
        p95,
        lens.iter().max().unwrap_or(&0)
    );
    s
}
