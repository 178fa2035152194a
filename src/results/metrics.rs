//! Every reported metric, once: its column name, its label in tables, its group, the default
//! tolerance of `compare`'s gate, its unit, and how to read it off a question's result. Every
//! table, figure and the gate read [`METRICS`]; a new metric is a score function plus one entry.

use super::QuestionResult;

/// What a metric measures, which decides the table it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Character overlap of the retrieved spans with the gold spans.
    Span,
    /// Ranking quality, relevance by span overlap.
    Rank,
    /// Whether the retrieved text serves an answer (lexical, or scored by a language model).
    Answer,
}

/// The unit of a metric's values, which decides how they are printed and plotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share in [0, 1].
    Share,
    /// Nats per token, either sign (printed with a sign in the terminal; a figure axis is not
    /// clamped to [0, 1]).
    Nats,
}

/// A metric: its column name, its label in tables, and how to read it off a question's result
/// (`None` when undefined for that question, e.g. answer support without a gold answer).
pub struct Metric {
    /// The column name in `summary.csv`, `results.json` and `compare`.
    pub name: &'static str,
    /// The label in tables and figures; `@k` stands for the run's k (see [`Metric::label_at`]).
    pub label: &'static str,
    pub group: Group,
    /// Computed by a language model (absent unless the run asked for it).
    pub model: bool,
    /// The default tolerance of `compare`'s gate (absolute, in the metric's unit).
    pub tolerance: f64,
    pub unit: Unit,
    pub get: fn(&QuestionResult) -> Option<f64>,
}

impl Metric {
    /// The label with `@k` replaced by the run's `k` ("hit@k" → "hit@5").
    pub fn label_at(&self, k: usize) -> String {
        self.label.replace("@k", &format!("@{k}"))
    }

    /// The label as a title: its first letter in upper case ("recall" → "Recall", "IoU" stays).
    pub fn title(&self) -> String {
        let mut c = self.label.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }
}

/// Every reported metric, in table order.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "recall",
        label: "recall",
        group: Group::Span,
        model: false,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| Some(q.recall),
    },
    Metric {
        name: "precision",
        label: "precision",
        group: Group::Span,
        model: false,
        tolerance: 0.005,
        unit: Unit::Share,
        get: |q| Some(q.precision),
    },
    Metric {
        name: "iou",
        label: "IoU",
        group: Group::Span,
        model: false,
        tolerance: 0.005,
        unit: Unit::Share,
        get: |q| Some(q.iou),
    },
    Metric {
        name: "precision_omega",
        label: "precision_Ω",
        group: Group::Span,
        model: false,
        tolerance: 0.01,
        unit: Unit::Share,
        get: |q| Some(q.precision_omega),
    },
    Metric {
        name: "hit",
        label: "hit@k",
        group: Group::Rank,
        model: false,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| Some(q.hit),
    },
    Metric {
        name: "excerpt_recall",
        label: "excerpt recall@k",
        group: Group::Rank,
        model: false,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| Some(q.excerpt_recall),
    },
    Metric {
        name: "mrr",
        label: "MRR",
        group: Group::Rank,
        model: false,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| Some(q.mrr),
    },
    Metric {
        name: "ndcg",
        label: "nDCG@k",
        group: Group::Rank,
        model: false,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| Some(q.ndcg),
    },
    Metric {
        name: "answer_support",
        label: "answer support",
        group: Group::Answer,
        model: false,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| q.answer_support,
    },
    Metric {
        name: "context_utility",
        label: "context utility",
        group: Group::Answer,
        model: true,
        tolerance: 0.05,
        unit: Unit::Nats,
        get: |q| q.context_utility,
    },
    Metric {
        name: "faithfulness",
        label: "faithfulness",
        group: Group::Answer,
        model: true,
        tolerance: 0.05,
        unit: Unit::Share,
        get: |q| q.generated.as_ref().and_then(|g| g.faithfulness),
    },
    Metric {
        name: "k_precision",
        label: "K-precision",
        group: Group::Answer,
        model: true,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| q.generated.as_ref().and_then(|g| g.k_precision),
    },
    Metric {
        name: "answer_f1",
        label: "answer token F1",
        group: Group::Answer,
        model: true,
        tolerance: 0.02,
        unit: Unit::Share,
        get: |q| q.generated.as_ref().and_then(|g| g.f1),
    },
];

/// The metric called `name`.
pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// The table label of metric `name` ("?" for a name that is not a metric).
pub fn metric_label(name: &str) -> &'static str {
    metric(name).map_or("?", |m| m.label)
}

/// The metrics of `group`, in table order.
pub fn in_group(group: Group) -> impl Iterator<Item = &'static Metric> {
    METRICS.iter().filter(move |m| m.group == group)
}

/// The metrics computed by a language model (absent unless the run asked for them), in table
/// order.
pub fn model_metrics() -> impl Iterator<Item = &'static Metric> {
    METRICS.iter().filter(|m| m.model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_tolerances_sane() {
        for (i, m) in METRICS.iter().enumerate() {
            assert!(
                METRICS[..i].iter().all(|x| x.name != m.name),
                "{} twice",
                m.name
            );
            assert!(m.tolerance > 0.0 && m.tolerance < 0.1, "{}", m.name);
            // Model metrics are answer metrics; only they may be missing from a run.
            assert!(!m.model || m.group == Group::Answer, "{}", m.name);
        }
    }

    #[test]
    fn model_metrics_follow_the_flag() {
        let names: Vec<&str> = model_metrics().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "context_utility",
                "faithfulness",
                "k_precision",
                "answer_f1"
            ]
        );
        let span: Vec<&str> = in_group(Group::Span).map(|m| m.name).collect();
        assert_eq!(span, ["recall", "precision", "iou", "precision_omega"]);
    }

    #[test]
    fn labels_take_k() {
        assert_eq!(metric("hit").unwrap().label_at(5), "hit@5");
        assert_eq!(metric("ndcg").unwrap().label_at(10), "nDCG@10");
        assert_eq!(metric("mrr").unwrap().label_at(5), "MRR");
        assert_eq!(metric_label("nope"), "?");
        assert_eq!(metric("recall").unwrap().title(), "Recall");
        assert_eq!(metric("iou").unwrap().title(), "IoU");
    }
}
