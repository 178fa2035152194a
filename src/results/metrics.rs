//! Every reported metric, once: its column name, its label in tables and how to read it off a
//! question's result.

use super::QuestionResult;

/// A metric: its column name, its label in tables, and how to read it off a question's result
/// (`None` when undefined for that question, e.g. answer support without a gold answer).
pub struct Metric {
    pub name: &'static str,
    pub label: &'static str,
    pub get: fn(&QuestionResult) -> Option<f64>,
}

/// Every reported metric, in table order.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "recall",
        label: "recall",
        get: |q| Some(q.recall),
    },
    Metric {
        name: "precision",
        label: "precision",
        get: |q| Some(q.precision),
    },
    Metric {
        name: "iou",
        label: "IoU",
        get: |q| Some(q.iou),
    },
    Metric {
        name: "precision_omega",
        label: "precision_Ω",
        get: |q| Some(q.precision_omega),
    },
    Metric {
        name: "hit",
        label: "hit@k",
        get: |q| Some(q.hit),
    },
    Metric {
        name: "excerpt_recall",
        label: "excerpt recall@k",
        get: |q| Some(q.excerpt_recall),
    },
    Metric {
        name: "mrr",
        label: "MRR",
        get: |q| Some(q.mrr),
    },
    Metric {
        name: "ndcg",
        label: "nDCG@k",
        get: |q| Some(q.ndcg),
    },
    Metric {
        name: "answer_support",
        label: "answer support",
        get: |q| q.answer_support,
    },
    Metric {
        name: "context_utility",
        label: "context utility",
        get: |q| q.context_utility,
    },
    Metric {
        name: "faithfulness",
        label: "faithfulness",
        get: |q| q.generated.as_ref().and_then(|g| g.faithfulness),
    },
    Metric {
        name: "k_precision",
        label: "K-precision",
        get: |q| q.generated.as_ref().and_then(|g| g.k_precision),
    },
    Metric {
        name: "answer_f1",
        label: "answer token F1",
        get: |q| q.generated.as_ref().and_then(|g| g.f1),
    },
];

/// The table label of metric `name` ("?" for a name that is not a metric).
pub fn metric_label(name: &str) -> &'static str {
    METRICS
        .iter()
        .find(|m| m.name == name)
        .map_or("?", |m| m.label)
}

/// The metrics computed by a language model (absent unless the run asked for them).
pub const MODEL_METRICS: &[&str] = &[
    "context_utility",
    "faithfulness",
    "k_precision",
    "answer_f1",
];
