//! Figures from synthetic results: every figure renders as valid SVG and PNG, twice to the same
//! bytes, whatever the shape of the grid (one strategy, many series, no size parameter, missing
//! metrics, no timings).

use super::*;
use crate::report::testdata::{default_like, results, strategy, timings, under_setups};
use crate::strategy::Value;

/// Every figure but the per-setup one (these runs have one retrieval setup).
fn check(figures: &[Figure]) {
    assert_eq!(figures.len(), Kind::ALL.len() - 1);
    assert!(figures.iter().all(|f| f.kind != Kind::MetricVsSizeBySetup));
    check_files(figures);
}

fn check_files(figures: &[Figure]) {
    for f in figures {
        assert!(
            f.svg.starts_with("<svg") && f.svg.trim_end().ends_with("</svg>"),
            "{:?}",
            f.kind
        );
        assert!(f.svg.contains("viewBox"), "{:?}: SVG must scale", f.kind);
        assert_eq!(&f.png[..8], b"\x89PNG\r\n\x1a\n", "{:?}", f.kind);
        let decoder = png::Decoder::new(std::io::Cursor::new(&f.png));
        let info = decoder.read_info().expect("PNG decodes").info().clone();
        assert_eq!(info.width, 800, "{:?}: blog width", f.kind);
    }
}

#[test]
fn every_figure_renders_deterministically() {
    let r = default_like();
    let t = timings(&r);
    let a = render_all(&r, Some(&t)).unwrap();
    check(&a);
    let b = render_all(&r, Some(&t)).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.svg, y.svg, "{:?} SVG differs between renders", x.kind);
        assert_eq!(x.png, y.png, "{:?} PNG differs between renders", x.kind);
    }
    // Without timings the cost figure has no time panel, and still renders.
    let c = render_all(&r, None).unwrap();
    check(&c);
    let cost = |f: &[Figure]| {
        f.iter()
            .find(|f| f.kind == Kind::QualityVsCost)
            .unwrap()
            .svg
            .clone()
    };
    assert!(cost(&a).contains("chunking CPU time"));
    assert!(!cost(&c).contains("chunking CPU time"));
}

#[test]
fn figures_name_their_axes_and_series() {
    let r = default_like();
    let figs = render_all(&r, None).unwrap();
    let svg = |k: Kind| figs.iter().find(|f| f.kind == k).unwrap().svg.clone();
    let size = svg(Kind::MetricVsSize);
    for text in [
        "Retrieval quality vs chunk size",
        "mean chunk size (cl100k tokens, log scale)",
        "fixed",
        "recursive (splitter=markdown)",
        "sliding (overlap=64)",
    ] {
        assert!(size.contains(text), "{text} missing");
    }
    let corpus = svg(Kind::PerCorpus);
    assert!(
        corpus.contains("best 6 of 7 strategies by IoU"),
        "bars are capped at six"
    );
    assert!(corpus.contains("gamma"));
}

#[test]
fn odd_grids_render() {
    // One strategy without a size parameter.
    let one = results(vec![strategy(
        "semantic",
        "semantic",
        vec![("threshold", Value::Float(0.8))],
        90.0,
        0.4,
    )]);
    check(&render_all(&one, None).unwrap());
    // Twelve series: the palette wraps, markers keep them apart.
    let many = results(
        (0..12)
            .map(|i| {
                strategy(
                    &format!("s{i}"),
                    &format!("family{i}"),
                    vec![("size", Value::Int(64 << (i % 4)))],
                    60.0 * (1 + i % 4) as f64,
                    0.1 + 0.02 * i as f64,
                )
            })
            .collect(),
    );
    check(&render_all(&many, None).unwrap());
    // All strategies identical.
    let same = results(vec![
        strategy("a", "fixed", vec![("size", Value::Int(100))], 100.0, 0.2),
        strategy("b", "fixed", vec![("size", Value::Int(100))], 100.0, 0.2),
    ]);
    check(&render_all(&same, None).unwrap());
    // No strategies: nothing to draw.
    assert!(render_all(&results(Vec::new()), None).unwrap().is_empty());
}

#[test]
fn answer_figure_only_when_a_model_metric_was_measured() {
    let mut r = default_like();
    for s in &mut r.strategies {
        for g in &mut s.summary {
            for m in &mut g.metrics {
                if crate::results::metric(&m.metric).is_some_and(|m| m.model) {
                    m.stat.n = 0;
                }
            }
        }
    }
    let figures = render_all(&r, None).unwrap();
    assert_eq!(figures.len(), Kind::ALL.len() - 2);
    assert!(figures.iter().all(|f| f.kind != Kind::AnswerQuality));
    // Context utility alone (in nats, here negative) brings it back.
    for s in &mut r.strategies {
        for g in &mut s.summary {
            for m in &mut g.metrics {
                if m.metric == "context_utility" {
                    m.stat.n = 12;
                    (m.stat.mean, m.lo, m.hi) = (-0.4, -0.9, 0.2);
                }
            }
        }
    }
    let figures = render_all(&r, None).unwrap();
    let f = figures
        .iter()
        .find(|f| f.kind == Kind::AnswerQuality)
        .expect("answer figure");
    assert!(f.svg.contains("context utility") && f.svg.contains("answer support"));
    assert!(!f.svg.contains("faithfulness"));
}

#[test]
fn a_run_with_several_setups_gets_a_row_of_panels_per_setup() {
    let r = under_setups(
        default_like(),
        &["dense, top-5", "bm25, top-5", "hybrid, 1000 tokens"],
    );
    let a = render_all(&r, None).unwrap();
    assert_eq!(a.len(), Kind::ALL.len());
    check_files(&a);
    let by_setup = a
        .iter()
        .find(|f| f.kind == Kind::MetricVsSizeBySetup)
        .unwrap();
    for label in ["bm25, top-5", "hybrid, 1000 tokens"] {
        assert!(by_setup.svg.contains(label), "{label}");
    }
    // The families keep one colour across setups: the legend lists each family once.
    let d = data::Data::new(&r, None);
    assert_eq!(d.families.len() * 3, d.series.len());
    let b = render_all(&r, None).unwrap();
    assert_eq!(by_setup.svg, b[1].svg);
}
