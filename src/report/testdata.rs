//! Synthetic results for unit tests (no model needed): the figure tests' grids and a small run of
//! two strategies over two corpora whose tables the exporter tests pin down exactly.

use crate::dataset::Format;
use crate::results::*;
use crate::score::aggregate::MeanStd;
use crate::strategy::Value;

/// Summaries of every metric: metric `i` has mean `base + 0.03 i` (at most 1), interval ±0.05;
/// answer support is left unmeasured.
pub fn metrics(base: f64, n: usize) -> Vec<MetricSummary> {
    METRICS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mean = (base + i as f64 * 0.03).min(1.0);
            let n = if m.name == "answer_support" { 0 } else { n };
            summary(
                m.name,
                mean,
                (mean - 0.05).max(0.0),
                (mean + 0.05).min(1.0),
                n,
            )
        })
        .collect()
}

fn summary(metric: &str, mean: f64, lo: f64, hi: f64, n: usize) -> MetricSummary {
    MetricSummary {
        metric: metric.to_string(),
        stat: MeanStd { mean, std: 0.1, n },
        lo,
        hi,
    }
}

/// Chunk statistics of chunks of about `tokens` tokens.
fn chunk_stats(tokens: f64) -> ChunkStats {
    ChunkStats {
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
    }
}

/// The corpora of the figure tests' grids.
pub const CORPORA: [&str; 3] = [
    "alpha-manual",
    "beta-notes-with-a-rather-long-name-indeed",
    "gamma",
];

/// A strategy over [`CORPORA`] (4 questions each), a `kind:single` group and `all`, with
/// [`metrics`] from quality `q`.
pub fn strategy(
    name: &str,
    family: &str,
    params: Vec<(&str, Value)>,
    tokens: f64,
    q: f64,
) -> StrategyResults {
    let mut summary: Vec<GroupSummary> = CORPORA
        .iter()
        .enumerate()
        .map(|(i, c)| GroupSummary {
            corpus: c.to_string(),
            questions: 4,
            chunks: 10,
            metrics: metrics(q * (1.0 + i as f64 * 0.2), 4),
        })
        .collect();
    for corpus in ["kind:single", "all"] {
        summary.push(GroupSummary {
            corpus: corpus.into(),
            questions: 12,
            chunks: 30,
            metrics: metrics(q, 12),
        });
    }
    StrategyResults {
        name: name.into(),
        family: family.into(),
        setup: None,
        params: params
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        chunks: chunk_stats(tokens),
        index: Default::default(),
        summary,
        questions: Vec::new(),
    }
}

/// A run of `strategies` over [`CORPORA`] (12 questions, k = 5), without comparisons.
pub fn results(strategies: Vec<StrategyResults>) -> RunResults {
    RunResults {
        schema_version: crate::results::SCHEMA_VERSION,
        chunkbench_version: "0.0.0-test".into(),
        dataset: DatasetInfo {
            name: "synthetic".into(),
            path: "nowhere/synthetic".into(),
            format: Format::Native,
            documents: 3,
            questions: 12,
            corpora: CORPORA.map(String::from).to_vec(),
        },
        embedder: EmbedderInfo {
            name: "test-embedder".into(),
            id: "test-embedder@0".into(),
            max_tokens: Some(256),
            backend: "local".into(),
            revision: "test".into(),
            pooling: "mean".into(),
            dimension: 8,
            query_prefix: String::new(),
            document_prefix: String::new(),
        },
        k: 5,
        span_unit: "characters".into(),
        found_share: 0.5,
        bootstrap_resamples: 100,
        bootstrap_seed: 7,
        answer_models: Default::default(),
        retrieval: None,
        strategies,
        comparisons: Vec::new(),
    }
}

/// A grid like the default one: three sizes of two families, and one sliding window.
pub fn default_like() -> RunResults {
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

/// Timings of `r`'s strategies (0.01 s of chunking CPU time for the first, 0.02 s for the
/// second, ...).
pub fn timings(r: &RunResults) -> Timings {
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
                "retrieval": {
                    "name": s.name, "retriever": "dense", "handover": "top-5",
                    "index_seconds": 0.002, "index_bytes": 1000 * (i + 1), "queries": 4,
                    "query_p50_ms": 0.1, "query_p95_ms": 0.2
                },
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "load_seconds": 0.0, "chunk_seconds": 0.1, "embed_seconds": 1.0, "embedded_texts": 10,
        "cached_texts": 0, "embedded_tokens": 1000, "embed_tokens_per_second": 1000.0,
        "score_seconds": 0.1, "total_seconds": 1.2, "strategies": strategies
    }))
    .unwrap()
}

/// Summaries of a small run's group: metric `i` has mean `base + 0.01 i`, interval ±0.02 and
/// `n` questions; the model-based metrics are unmeasured (as in a run without them).
fn small_metrics(base: f64, n: usize) -> Vec<MetricSummary> {
    METRICS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if m.model {
                summary(m.name, 0.0, 0.0, 0.0, 0)
            } else {
                let mean = base + i as f64 * 0.01;
                summary(m.name, mean, mean - 0.02, mean + 0.02, n)
            }
        })
        .collect()
}

fn small_strategy(name: &str, family: &str, size: i64, q: f64) -> StrategyResults {
    let group = |corpus: &str, questions: usize, chunks: usize, base: f64| GroupSummary {
        corpus: corpus.into(),
        questions,
        chunks,
        metrics: small_metrics(base, questions),
    };
    StrategyResults {
        name: name.into(),
        family: family.into(),
        setup: None,
        params: vec![("size".into(), Value::Int(size))],
        chunks: chunk_stats(size as f64 * 0.5),
        index: Default::default(),
        summary: vec![
            group("alpha", 2, 12, q + 0.1),
            group("beta", 2, 18, q - 0.1),
            group("kind:single", 4, 30, q),
            group("all", 4, 30, q),
        ],
        questions: Vec::new(),
    }
}

/// Two strategies (`fixed_128`, the better, and `recursive_256`) over two corpora (`alpha`,
/// `beta`, 2 questions each), with paired differences on recall (not significant), IoU
/// (significant) and MRR.
pub fn small() -> RunResults {
    let mut r = results(vec![
        small_strategy("fixed_128", "fixed", 128, 0.3),
        small_strategy("recursive_256", "recursive", 256, 0.25),
    ]);
    r.dataset.name = "small".into();
    r.dataset.documents = 2;
    r.dataset.questions = 4;
    r.dataset.corpora = vec!["alpha".into(), "beta".into()];
    let cmp = |metric: &str, diff: f64, lo: f64, hi: f64| Comparison {
        a: "fixed_128".into(),
        b: "recursive_256".into(),
        metric: metric.into(),
        diff,
        lo,
        hi,
        n: 4,
        significant: lo > 0.0 || hi < 0.0,
    };
    r.comparisons = vec![
        cmp("recall", -0.04, -0.1, 0.02),
        cmp("iou", -0.05, -0.08, -0.02),
        cmp("mrr", 0.01, -0.03, 0.05),
    ];
    r
}

/// A question whose every retrieval metric is `v` (answer support `v` too; no model metric).
pub fn question(id: &str, corpus: &str, v: f64) -> QuestionResult {
    QuestionResult {
        id: id.into(),
        corpus: corpus.into(),
        recall: v,
        precision: v,
        iou: v,
        precision_omega: v,
        hit: v,
        excerpt_recall: v,
        mrr: v,
        ndcg: v,
        answer_support: Some(v),
        context_utility: None,
        generated: None,
        retrieved: Vec::new(),
    }
}

/// [`small`] with context utility measured on all questions (in nats: negative for
/// `fixed_128`, positive for `recursive_256`), scored by model `tiny-lm`.
pub fn small_with_utility() -> RunResults {
    let mut r = small();
    r.answer_models.utility = Some("tiny-lm".into());
    for (s, (mean, lo, hi)) in r
        .strategies
        .iter_mut()
        .zip([(-0.12, -0.2, -0.04), (0.05, 0.01, 0.09)])
    {
        for g in &mut s.summary {
            let m = g
                .metrics
                .iter_mut()
                .find(|m| m.metric == "context_utility")
                .unwrap();
            *m = summary("context_utility", mean, lo, hi, g.questions);
        }
    }
    r
}

/// The rows of `r` repeated under each of `setups`, as a run with `--retrievers` makes them.
pub fn under_setups(mut r: RunResults, setups: &[&str]) -> RunResults {
    let mut rows = Vec::new();
    for (i, label) in setups.iter().enumerate() {
        for s in &r.strategies {
            let mut s = s.clone();
            s.setup = Some(crate::results::RowSetup {
                strategy: s.name.clone(),
                retriever: label.split(',').next().unwrap_or("").into(),
                reranker: None,
                handover: crate::retrieve::Handover::TopK(5),
                label: label.to_string(),
            });
            s.name = format!("{} @ {label}", s.name);
            for g in &mut s.summary {
                for m in &mut g.metrics {
                    m.stat.mean = (m.stat.mean * (1.0 + 0.1 * i as f64)).min(1.0);
                }
            }
            rows.push(s);
        }
    }
    r.strategies = rows;
    r.retrieval = Some(crate::results::RetrievalInfo {
        setups: setups.iter().map(|s| s.to_string()).collect(),
        reranker: None,
        rerank_depth: None,
        budget_unit: "cl100k tokens".into(),
    });
    r
}
