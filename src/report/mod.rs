//! Reports: one exporter per output format behind the [`Exporter`] trait — the tables (CSV,
//! Markdown), `results.json`, `timings.json`, the figures and `report.html` — written into the
//! run's output directory by [`write_run`] (or, for `chunkbench plot`, the visual ones by
//! [`plot`]); plus the one-screen terminal summary and the baseline comparison.

pub mod compare;
pub mod csv;
pub mod figures;
pub mod html;
pub mod json;
pub mod markdown;
mod plot;
pub mod retrieval;
pub mod tables;
pub mod terminal;
#[cfg(test)]
pub(crate) mod testdata;

pub use plot::plot;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use crate::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::results::{RunResults, Timings};
use figures::Figure;

/// What the exporters render: a run's results, its timings when known (a run has them; a
/// `results.json` plotted later may not), and the figures, drawn once for every exporter that
/// shows them.
pub struct RunView<'a> {
    pub results: &'a RunResults,
    pub timings: Option<&'a Timings>,
    figures: OnceCell<Vec<Figure>>,
}

impl<'a> RunView<'a> {
    pub fn new(results: &'a RunResults, timings: Option<&'a Timings>) -> RunView<'a> {
        RunView {
            results,
            timings,
            figures: OnceCell::new(),
        }
    }

    /// The run's figures (drawn on first use).
    pub fn figures(&self) -> Result<&[Figure]> {
        if let Some(f) = self.figures.get() {
            return Ok(f);
        }
        let drawn = figures::render_all(self.results, self.timings)?;
        Ok(self.figures.get_or_init(|| drawn))
    }
}

/// One file an exporter writes: its path relative to the output directory, and its bytes.
pub struct File {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

impl File {
    pub fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> File {
        File {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// Renders a run into one output format.
pub trait Exporter {
    /// What the output is called in the list of written outputs: its file, or the folder its
    /// files go into (relative to the output directory).
    fn name(&self) -> &'static str;
    /// Whether this run has what the exporter writes (`timings.json` needs timings).
    fn applies(&self, _run: &RunView) -> bool {
        true
    }
    /// The files, relative to the output directory. Deterministic for the same run (timings
    /// aside).
    fn render(&self, run: &RunView) -> Result<Vec<File>>;
}

/// Every exporter of a run, in the order the terminal lists what was written.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(csv::SummaryCsv),
        Box::new(csv::ComparisonsCsv),
        Box::new(markdown::SummaryMarkdown),
        Box::new(json::ResultsJson),
        Box::new(figures::FiguresExporter),
        Box::new(html::HtmlReport),
        Box::new(json::TimingsJson),
    ]
}

/// The exporters that `chunkbench plot` redraws from a finished run: the figures and the report.
pub fn visual_exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(figures::FiguresExporter),
        Box::new(html::HtmlReport),
    ]
}

/// Writes every output of a run into `dir` (created if needed): the tables, `results.json`, the
/// figures, `report.html` and, given timings, `timings.json`. Each file is written to a temporary
/// name and renamed, so a reader never sees half a file. Returns the outputs written (files, and
/// the figures folder), in [`exporters`] order.
pub fn write_run(
    dir: &Path,
    results: &RunResults,
    timings: Option<&Timings>,
) -> Result<Vec<PathBuf>> {
    write(dir, &RunView::new(results, timings), &exporters())
}

/// Writes what `exporters` render for `run` into `dir`; returns `dir/<name>` of each exporter
/// that applied.
pub fn write(dir: &Path, run: &RunView, exporters: &[Box<dyn Exporter>]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for e in exporters.iter().filter(|e| e.applies(run)) {
        for f in e.render(run)? {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            write_atomic(&path, &f.bytes)?;
        }
        written.push(dir.join(e.name()));
    }
    Ok(written)
}

/// Fixed-precision formatting used by every table, so output is stable across platforms.
pub(crate) fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// Which models produced the model-based metrics, in one sentence.
pub(crate) fn answer_models_line(r: &RunResults) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_run_writes_every_output_in_listing_order() {
        let r = testdata::small();
        let t = testdata::timings(&r);
        let dir = tempfile::tempdir().unwrap();
        let written = write_run(dir.path(), &r, Some(&t)).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "summary.csv",
                "comparisons.csv",
                "summary.md",
                "results.json",
                "figures",
                "report.html",
                "timings.json"
            ]
        );
        assert!(dir.path().join("figures/metric-vs-size.png").is_file());
        let json: RunResults = RunResults::load(dir.path()).unwrap();
        assert_eq!(json.strategies.len(), 2);
        // Without timings there is no timings.json, and the rest is the same.
        let other = tempfile::tempdir().unwrap();
        let written = write_run(other.path(), &r, None).unwrap();
        assert_eq!(written.len(), 6);
        assert!(!other.path().join("timings.json").exists());
        let read = |d: &Path, f: &str| std::fs::read(d.join(f)).unwrap();
        assert_eq!(
            read(dir.path(), "summary.md"),
            read(other.path(), "summary.md")
        );
    }
}
