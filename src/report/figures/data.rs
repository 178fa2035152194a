//! What the figures plot, read off a run's results: strategies grouped into series (a family with
//! its fixed parameters, swept over one parameter — normally `size`), with colours and markers.

use plotters::style::RGBColor;

use super::style::{self, Marker};
use crate::results::{GroupSummary, Metric, MetricSummary, RunResults, StrategyResults, Timings};
use crate::strategy::Value;

/// A strategy as the figures see it.
pub struct Entry<'a> {
    pub s: &'a StrategyResults,
    /// Its summary over all questions.
    pub all: &'a GroupSummary,
    /// Index into [`Data::series`].
    pub series: usize,
    /// Index into [`Data::families`] (its series regardless of the retrieval setup).
    pub family: usize,
    /// Its retrieval setup's label (runs with more than the default setup).
    pub setup: Option<String>,
    /// The short label drawn beside its point: the swept parameter's value, else the name.
    pub label: String,
    /// Chunking CPU seconds, from `timings.json`.
    pub chunk_seconds: Option<f64>,
}

impl Entry<'_> {
    pub fn metric(&self, name: &str) -> &MetricSummary {
        self.all.metric(name)
    }
}

/// The metrics the quality figures plot, one panel each: IoU (which separates chunkers best),
/// then recall.
pub fn headline() -> [&'static Metric; 2] {
    ["iou", "recall"].map(|m| crate::results::metric(m).expect("a metric"))
}

/// Strategies of one family that differ only in the swept parameter.
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub marker: Marker,
}

/// Everything the figures draw from.
pub struct Data<'a> {
    pub r: &'a RunResults,
    pub entries: Vec<Entry<'a>>,
    /// Series of strategies that differ only in the swept parameter, under one setup.
    pub series: Vec<Series>,
    /// The same series across setups (for the figure with a panel per setup).
    pub families: Vec<Series>,
    pub has_timings: bool,
}

impl<'a> Data<'a> {
    pub fn new(r: &'a RunResults, t: Option<&'a Timings>) -> Data<'a> {
        let mut keys: Vec<String> = Vec::new();
        let mut series = Vec::new();
        let mut family_keys: Vec<String> = Vec::new();
        let mut families = Vec::new();
        let mut entries = Vec::new();
        for s in &r.strategies {
            let Some(all) = s.summary.iter().find(|g| g.corpus == "all") else {
                continue;
            };
            if all.metrics.is_empty() {
                continue;
            }
            let sweep = swept_param(r, &s.family);
            let fixed: Vec<String> = s
                .params
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != sweep.as_deref())
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let setup = s.setup.as_ref().map(|x| x.label.clone());
            let base = if fixed.is_empty() {
                s.family.clone()
            } else {
                format!("{} ({})", s.family, fixed.join(", "))
            };
            let family_key = format!("{}|{}", s.family, fixed.join(","));
            let key = format!("{family_key}|{}", setup.as_deref().unwrap_or(""));
            let label = match &setup {
                Some(l) => format!("{base} · {l}"),
                None => base.clone(),
            };
            let idx = series_index(&mut keys, &mut series, key, label);
            let family = series_index(&mut family_keys, &mut families, family_key, base);
            let label = sweep
                .as_deref()
                .and_then(|k| s.params.iter().find(|(p, _)| p == k))
                .map(|(_, v)| v.to_string())
                .unwrap_or_else(|| s.name.clone());
            let chunk_seconds = t.and_then(|t| {
                t.strategies
                    .iter()
                    .find(|x| x.name == s.name)
                    .map(|x| x.chunk_cpu_seconds)
            });
            entries.push(Entry {
                s,
                all,
                series: idx,
                family,
                setup,
                label,
                chunk_seconds,
            });
        }
        let has_timings = !entries.is_empty() && entries.iter().all(|e| e.chunk_seconds.is_some());
        Data {
            r,
            entries,
            series,
            families,
            has_timings,
        }
    }

    /// The setups of the run, in row order (empty for a default run).
    pub fn setups(&self) -> Vec<String> {
        self.r
            .retrieval
            .as_ref()
            .map_or_else(Vec::new, |r| r.setups.clone())
    }

    /// "larkspur: 181 questions over 16 documents · all-MiniLM-L6-v2, top-5 exact cosine".
    pub fn context_line(&self) -> String {
        let d = &self.r.dataset;
        format!(
            "{}: {} questions over {} documents · {}, {} · whiskers and bands: 95% bootstrap intervals",
            d.name,
            d.questions,
            d.documents,
            self.r.embedder.name,
            match &self.r.retrieval {
                None => format!("top-{}", self.r.k),
                Some(r) => format!("{} retrieval setups", r.setups.len()),
            }
        )
    }

    /// Whether strategy labels are chunk sizes or size limits (so a legend note can say so).
    pub fn labels_are_sizes(&self) -> bool {
        self.entries.iter().any(|e| {
            e.s.params
                .iter()
                .any(|(k, v)| (k == "size" || k == "max") && v.to_string() == e.label)
        })
    }
}

/// The index of the series called `key`, adding it (with the next colour and marker) when new.
fn series_index(
    keys: &mut Vec<String>,
    series: &mut Vec<Series>,
    key: String,
    label: String,
) -> usize {
    if let Some(i) = keys.iter().position(|k| *k == key) {
        return i;
    }
    let i = keys.len();
    keys.push(key);
    series.push(Series {
        label,
        color: style::color(i),
        marker: style::marker(i),
    });
    i
}

/// The parameter a family's strategies sweep: `size` when they have it, else `max` (the size
/// limit of semantic and LLM chunkers), else the first numeric parameter that takes more than one
/// value among them.
fn swept_param(r: &RunResults, family: &str) -> Option<String> {
    let members: Vec<&StrategyResults> =
        r.strategies.iter().filter(|s| s.family == family).collect();
    for name in ["size", "max"] {
        if members
            .iter()
            .any(|s| s.params.iter().any(|(k, _)| k == name))
        {
            return Some(name.into());
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for s in &members {
        for (k, v) in &s.params {
            if matches!(v, Value::Int(_) | Value::Float(_)) && !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
    }
    names
        .into_iter()
        .find(|k| {
            let mut values: Vec<String> = members
                .iter()
                .filter_map(|s| s.params.iter().find(|(p, _)| p == k))
                .map(|(_, v)| v.to_string())
                .collect();
            values.sort();
            values.dedup();
            values.len() > 1
        })
        .map(String::from)
}
