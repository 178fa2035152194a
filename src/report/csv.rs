//! `summary.csv` (one row per strategy × corpus, plus `all`; for every metric its mean, population
//! std, 95% bootstrap interval and the number of questions it covers — empty cells and 0 for a
//! model-based metric that did not run) and `comparisons.csv` (paired differences between strategies).

use super::{f4, Exporter, File, RunView};
use crate::error::{Error, Result};
use crate::results::{RunResults, METRICS};

pub struct SummaryCsv;
pub struct ComparisonsCsv;

/// The header of `summary.csv`.
pub fn summary_columns() -> Vec<String> {
    let mut cols: Vec<String> = ["strategy", "corpus", "questions"]
        .map(String::from)
        .to_vec();
    for m in METRICS {
        for suffix in ["mean", "std", "lo", "hi", "n"] {
            cols.push(format!("{}_{suffix}", m.name));
        }
    }
    cols.extend(["chunks", "mean_chunk_tokens", "mean_chunk_chars"].map(String::from));
    cols
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner()
        .map_err(|e| Error::Usage(format!("cannot write CSV: {e}")))
}

fn err(e: csv::Error) -> Error {
    Error::Usage(format!("cannot write CSV: {e}"))
}

impl Exporter for SummaryCsv {
    fn name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        Ok(vec![File::new(self.name(), self.bytes(run.results)?)])
    }
}

impl SummaryCsv {
    fn bytes(&self, results: &RunResults) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(summary_columns()).map_err(err)?;
        for s in &results.strategies {
            for g in &s.summary {
                let mut row = vec![s.name.clone(), g.corpus.clone(), g.questions.to_string()];
                for m in &g.metrics {
                    if m.stat.n == 0 {
                        // not measured (a model-based metric that did not run)
                        row.extend(["", "", "", "", "0"].map(String::from));
                    } else {
                        row.extend([
                            f4(m.stat.mean),
                            f4(m.stat.std),
                            f4(m.lo),
                            f4(m.hi),
                            m.stat.n.to_string(),
                        ]);
                    }
                }
                row.extend([
                    g.chunks.to_string(),
                    format!("{:.1}", s.chunks.tokens_mean),
                    format!("{:.1}", s.chunks.chars_mean),
                ]);
                w.write_record(row).map_err(err)?;
            }
        }
        finish(w)
    }
}

impl Exporter for ComparisonsCsv {
    fn name(&self) -> &'static str {
        "comparisons.csv"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        Ok(vec![File::new(self.name(), self.bytes(run.results)?)])
    }
}

impl ComparisonsCsv {
    fn bytes(&self, results: &RunResults) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "a",
            "b",
            "metric",
            "diff_b_minus_a",
            "lo",
            "hi",
            "questions",
            "significant",
        ])
        .map_err(err)?;
        for c in &results.comparisons {
            w.write_record([
                c.a.clone(),
                c.b.clone(),
                c.metric.clone(),
                f4(c.diff),
                f4(c.lo),
                f4(c.hi),
                c.n.to_string(),
                c.significant.to_string(),
            ])
            .map_err(err)?;
        }
        finish(w)
    }
}
