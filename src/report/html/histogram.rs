//! The inline SVG histogram of chunk sizes that the HTML report shows per strategy.

use std::fmt::Write;

use super::markup::esc;
use crate::results::StrategyResults;

/// A strategy's panel: its name, its size statistics and the histogram of its chunk sizes, with
/// its size limit (`size` or `max`, when in cl100k tokens) dashed.
pub fn strategy_histogram(o: &mut String, s: &StrategyResults) {
    let c = &s.chunks;
    let _ = write!(
        o,
        "<div class=\"hist\" data-strategy=\"{}\"><h3>{}</h3><p>{} chunks · mean {:.1} · median {:.0} · p95 {:.0} · max {} tokens</p>",
        esc(&s.name),
        esc(&s.name),
        c.count,
        c.tokens_mean,
        c.tokens_median,
        c.tokens_p95,
        c.tokens_max
    );
    if c.token_size_counts.is_empty() {
        o.push_str(
            "<p>No chunk sizes in this results.json (written by an older chunkbench).</p></div>\n",
        );
        return;
    }
    let limit = s
        .params
        .iter()
        .find(|(k, _)| k == "size")
        .or_else(|| s.params.iter().find(|(k, _)| k == "max"))
        .and_then(|(_, v)| v.to_string().parse::<f64>().ok())
        .filter(|_| {
            s.params
                .iter()
                .find(|(k, _)| k == "unit")
                .is_none_or(|(_, u)| u.to_string() == "cl100k")
        });
    o.push_str(&histogram_svg(&c.token_size_counts, limit));
    o.push_str("</div>\n");
}

/// Bins `counts` (size, n) into about 30 right-closed bins (a chunk of exactly `limit` tokens
/// falls in the bin that ends at the limit) and draws them.
pub fn histogram_svg(counts: &[(u32, u32)], limit: Option<f64>) -> String {
    let (w, h) = (360.0, 150.0);
    let (left, right, top, bottom) = (40.0, 10.0, 8.0, 30.0);
    let max_size = counts.iter().map(|c| c.0).max().unwrap_or(1) as f64;
    let x_max = max_size.max(limit.unwrap_or(0.0)).max(1.0);
    let width = bin_width(x_max, limit);
    let n_bins = ((x_max / width).ceil() as usize).max(1);
    let mut bins = vec![0u64; n_bins];
    for &(size, n) in counts {
        let i = ((size as f64 / width).ceil() as usize).saturating_sub(1);
        bins[i.min(n_bins - 1)] += u64::from(n);
    }
    let peak = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let span = n_bins as f64 * width;
    let px = |v: f64| left + v / span * (w - left - right);
    let py = |n: f64| top + (1.0 - n / peak) * (h - top - bottom);
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"chunk size histogram\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">"
    );
    for (i, &n) in bins.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let (x0, x1) = (px(i as f64 * width), px((i + 1) as f64 * width));
        let y = py(n as f64);
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#0072B2\"/>",
            x0 + 0.5,
            y,
            (x1 - x0 - 1.0).max(0.5),
            py(0.0) - y
        );
    }
    // Axes and ticks.
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>",
        py(0.0),
        w - right,
        py(0.0)
    );
    let step = nice_bin(span / 5.0);
    let mut v = 0.0;
    while v <= span + 1e-9 {
        let x = px(v);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#888\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            py(0.0),
            py(0.0) + 4.0,
            py(0.0) + 16.0,
            v
        );
        v += step;
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">0</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">cl100k tokens per chunk (bins of {})</text>",
        left - 4.0,
        py(peak) + 4.0,
        peak,
        left - 4.0,
        py(0.0) + 4.0,
        (left + w - right) / 2.0,
        h - 2.0,
        width
    );
    if let Some(l) = limit {
        let x = px(l);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#D55E00\" stroke-dasharray=\"4 3\"/>",
            py(0.0)
        );
    }
    s.push_str("</svg>");
    s
}

/// A bin width for sizes up to `x_max`, about 30 bins: a divisor of the size limit when there is
/// one (so the limit is a bin edge), else a round number.
fn bin_width(x_max: f64, limit: Option<f64>) -> f64 {
    let raw = x_max / 30.0;
    match limit {
        Some(l) if l >= 1.0 && l.fract() == 0.0 && x_max <= l => {
            let l = l as u64;
            (1..=l)
                .filter(|d| l.is_multiple_of(*d))
                .map(|d| d as f64)
                .min_by(|a, b| {
                    (a.ln() - raw.ln())
                        .abs()
                        .total_cmp(&(b.ln() - raw.ln()).abs())
                })
                .unwrap_or(1.0)
        }
        _ => nice_bin(raw),
    }
}

/// The smallest of 1, 2, 5 × 10ⁿ (at least 1) not below `raw`.
fn nice_bin(raw: f64) -> f64 {
    let mut p = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * p >= raw {
                return m * p;
            }
        }
        p *= 10.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_every_chunk() {
        let svg = histogram_svg(&[(10, 3), (47, 2), (48, 5)], Some(48.0));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // Bins of 2 (a divisor of 48), right-closed: 10 in (8, 10], 47 and 48 in (46, 48].
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert_eq!(bin_width(128.0, Some(128.0)), 4.0);
        assert_eq!(bin_width(512.0, Some(512.0)), 16.0);
        assert_eq!(bin_width(900.0, None), 50.0);
        assert!(svg.contains("stroke-dasharray"));
        assert_eq!(nice_bin(1.6), 2.0);
        assert_eq!(nice_bin(0.2), 1.0);
    }
}
