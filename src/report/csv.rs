//! `summary.csv`: one row per strategy × corpus, plus `all`.

use super::{f4, Exporter};
use crate::error::{Error, Result};
use crate::run::results::RunResults;

pub struct SummaryCsv;

pub const COLUMNS: &[&str] = &[
    "strategy",
    "corpus",
    "questions",
    "recall_mean",
    "recall_std",
    "precision_mean",
    "precision_std",
    "iou_mean",
    "iou_std",
    "precision_omega_mean",
    "precision_omega_std",
    "chunks",
    "mean_chunk_tokens",
    "mean_chunk_chars",
];

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| Error::Usage(format!("cannot write CSV: {e}"));
        w.write_record(COLUMNS).map_err(err)?;
        for s in &results.strategies {
            for g in &s.summary {
                w.write_record([
                    s.name.clone(),
                    g.corpus.clone(),
                    g.questions.to_string(),
                    f4(g.recall.mean),
                    f4(g.recall.std),
                    f4(g.precision.mean),
                    f4(g.precision.std),
                    f4(g.iou.mean),
                    f4(g.iou.std),
                    f4(g.precision_omega.mean),
                    f4(g.precision_omega.std),
                    g.chunks.to_string(),
                    format!("{:.1}", s.chunks.tokens_mean),
                    format!("{:.1}", s.chunks.chars_mean),
                ])
                .map_err(err)?;
            }
        }
        w.into_inner()
            .map_err(|e| Error::Usage(format!("cannot write CSV: {e}")))
    }
}
