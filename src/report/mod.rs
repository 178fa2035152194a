//! Reports: one exporter per output format behind the [`Exporter`] trait, written into the run's
//! output directory, plus the one-screen terminal summary.

pub mod compare;
pub mod csv;
pub mod figures;
pub mod histogram;
pub mod html;
pub mod json;
pub mod markdown;
mod run_info;
pub mod terminal;
pub mod visual;

pub use visual::write_visual;

use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::results::RunResults;

/// Renders a run's results into one file format.
pub trait Exporter {
    /// The file name written in the output directory.
    fn file_name(&self) -> &'static str;
    /// The file's bytes. Must be deterministic for the same results.
    fn render(&self, results: &RunResults) -> Result<Vec<u8>>;
}

/// Every exporter, in the order files are written.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(csv::SummaryCsv),
        Box::new(csv::ComparisonsCsv),
        Box::new(markdown::SummaryMarkdown),
        Box::new(json::ResultsJson),
    ]
}

/// Writes every export into `dir` (created if needed); each file is written to a temporary name
/// and renamed, so a reader never sees half a file.
pub fn write_all(dir: &Path, results: &RunResults) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for e in exporters() {
        let path = dir.join(e.file_name());
        write_atomic(&path, &e.render(results)?)?;
        written.push(path);
    }
    Ok(written)
}

/// Fixed-precision formatting used by every table, so output is stable across platforms.
pub(crate) fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// Which models produced the model-based metrics, in one sentence.
pub(crate) fn answer_models_line(r: &crate::results::RunResults) -> String {
    let a = &r.answer_models;
    let mut parts = Vec::new();
    if let Some(m) = &a.utility {
        parts.push(format!("context utility scored by `{m}`"));
    }
    if let Some(j) = &a.judge {
        parts.push(format!(
            "answers written by `{}` and judged by `{j}`",
            a.generator.as_deref().unwrap_or("?")
        ));
    }
    let over = match a.sample {
        Some(n) => format!(
            "a deterministic sample of {n} of the {} questions",
            r.dataset.questions
        ),
        None => "every question".to_string(),
    };
    format!("{}; over {over}.", parts.join("; "))
}
