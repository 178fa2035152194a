//! Figures from synthetic results: every figure renders as valid SVG and PNG, twice to the same
//! bytes, whatever the shape of the grid (one strategy, many series, no size parameter, missing
//! metrics, no timings).

use super::*;
use crate::dataset::Format;
use crate::results::*;
use crate::score::aggregate::MeanStd;
use crate::strategy::Value;

fn metrics(base: f64, n: usize) -> Vec<MetricSummary> {
    METRICS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mean = (base + i as f64 * 0.03).min(1.0);
            MetricSummary {
                metric: m.name.to_string(),
                stat: MeanStd {
                    mean,
                    std: 0.1,
                    n: if m.name == "answer_support" { 0 } else { n },
                },
                lo: (mean - 0.05).max(0.0),
                hi: (mean + 0.05).min(1.0),
            }
        })
        .collect()
}

fn strategy(
    name: &str,
    family: &str,
    params: Vec<(&str, Value)>,
    tokens: f64,
    q: f64,
) -> StrategyResults {
    let corpora = [
        "alpha-manual",
        "beta-notes-with-a-rather-long-name-indeed",
        "gamma",
    ];
    let mut summary: Vec<GroupSummary> = corpora
        .iter()
        .enumerate()
        .map(|(i, c)| GroupSummary {
            corpus: c.to_string(),
            questions: 4,
            chunks: 10,
            metrics: metrics(q * (1.0 + i as f64 * 0.2), 4),
        })
        .collect();
    summary.push(GroupSummary {
        corpus: "kind:single".into(),
        questions: 12,
        chunks: 30,
        metrics: metrics(q, 12),
    });
    summary.push(GroupSummary {
        corpus: "all".into(),
        questions: 12,
        chunks: 30,
        metrics: metrics(q, 12),
    });
    StrategyResults {
        name: name.into(),
        family: family.into(),
        params: params
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        chunks: ChunkStats {
            count: 30,
            total_tokens: (tokens * 30.0) as usize,
            tokens_mean: tokens,
            tokens_median: tokens,
            tokens_p95: tokens * 1.2,
            tokens_max: (tokens * 1.3) as usize,
            chars_mean: tokens * 4.0,
            chars_median: tokens * 4.0,
            chars_p95: tokens * 5.0,
            chars_max: (tokens * 6.0) as usize,
            token_size_counts: vec![(tokens as u32 / 2, 5), (tokens as u32, 25)],
        },
        summary,
        questions: Vec::new(),
    }
}

fn results(strategies: Vec<StrategyResults>) -> RunResults {
    RunResults {
        chunkbench_version: "0.0.0-test".into(),
        dataset: DatasetInfo {
            name: "synthetic".into(),
            path: "nowhere/synthetic".into(),
            format: Format::Native,
            documents: 3,
            questions: 12,
            corpora: vec![
                "alpha-manual".into(),
                "beta-notes-with-a-rather-long-name-indeed".into(),
                "gamma".into(),
            ],
        },
        embedder: EmbedderInfo {
            name: "test-embedder".into(),
            id: "test-embedder@0".into(),
            max_tokens: 256,
        },
        k: 5,
        span_unit: "characters".into(),
        found_share: 0.5,
        bootstrap_resamples: 100,
        bootstrap_seed: 7,
        answer_models: Default::default(),
        strategies,
        comparisons: Vec::new(),
    }
}

fn default_like() -> RunResults {
    let mut v = Vec::new();
    for (i, size) in [128i64, 256, 512].into_iter().enumerate() {
        v.push(strategy(
            &format!("fixed_{size}"),
            "fixed",
            vec![("size", Value::Int(size))],
            size as f64 * 0.97,
            0.3 - i as f64 * 0.05,
        ));
        v.push(strategy(
            &format!("markdown_{size}"),
            "recursive",
            vec![
                ("splitter", Value::Str("markdown".into())),
                ("size", Value::Int(size)),
            ],
            size as f64 * 0.7,
            0.35 - i as f64 * 0.06,
        ));
    }
    v.push(strategy(
        "sliding_256_64",
        "sliding",
        vec![("size", Value::Int(256)), ("overlap", Value::Int(64))],
        250.0,
        0.28,
    ));
    results(v)
}

fn timings(r: &RunResults) -> Timings {
    // Through JSON, so fields added later with defaults need no change here.
    let strategies: Vec<serde_json::Value> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serde_json::json!({
                "name": s.name,
                "chunk_cpu_seconds": 0.01 * (i + 1) as f64,
                "new_texts": 0,
            })
        })
        .collect();
    let mut t: Timings = serde_json::from_value(serde_json::json!({
        "load_seconds": 0.0, "chunk_seconds": 0.1, "embed_seconds": 1.0, "embedded_texts": 10,
        "cached_texts": 0, "embedded_tokens": 1000, "embed_tokens_per_second": 1000.0,
        "score_seconds": 0.1, "total_seconds": 1.2, "strategies": []
    }))
    .unwrap();
    t.strategies = strategies
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    t
}

fn check(figures: &[Figure]) {
    assert_eq!(figures.len(), Kind::ALL.len());
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
                if MODEL_METRICS.contains(&m.metric.as_str()) {
                    m.stat.n = 0;
                }
            }
        }
    }
    let figures = render_all(&r, None).unwrap();
    assert_eq!(figures.len(), Kind::ALL.len() - 1);
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
