//! The visual outputs of a run — `figures/` and `report.html` — written together, after a run
//! or by `chunkbench plot` from a finished run's files.

use std::path::{Path, PathBuf};

use super::{figures, html};
use crate::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::results::{RunResults, Timings};

/// Writes the figures (`figures/<name>.svg` and `.png`) and `report.html`, which shows the tables
/// and embeds the figures; `timings` (from `timings.json`) add the chunking-time panels. Returns
/// the figures directory and the report's path.
pub fn write_visual(
    dir: &Path,
    results: &RunResults,
    timings: Option<&Timings>,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let figures = figures::render_all(results, timings)?;
    figures::write_figures(dir, &figures)?;
    let report = dir.join(html::FILE_NAME);
    write_atomic(&report, html::render(results, timings, &figures).as_bytes())?;
    Ok(vec![dir.join("figures"), report])
}

/// `chunkbench plot`: reads `results` (a run directory or its results.json) and the
/// `timings.json` beside it when there is one, and writes the figures and the report into `out`
/// (default: the run's directory).
pub fn plot(results: &Path, out: Option<&Path>) -> Result<Vec<PathBuf>> {
    let r = RunResults::load(results)?;
    let run_dir = if results.is_dir() {
        results.to_path_buf()
    } else {
        results.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let timings_path = run_dir.join("timings.json");
    let timings: Option<Timings> = match std::fs::read(&timings_path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
            Error::dataset(
                &timings_path,
                Some(e.line()),
                format!(
                    "not a chunkbench timings.json ({e}); move it away to plot without timings"
                ),
            )
        })?),
        Err(_) => None,
    };
    write_visual(out.unwrap_or(&run_dir), &r, timings.as_ref())
}
