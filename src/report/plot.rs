//! `chunkbench plot`: redraws the visual outputs of a finished run — `figures/` and
//! `report.html` — from its `results.json` (and the `timings.json` beside it, when there is one).

use std::path::{Path, PathBuf};

use super::{visual_exporters, write, RunView};
use crate::error::{Error, Result};
use crate::results::{RunResults, Timings};

/// Reads `results` (a run directory or its results.json) and the `timings.json` beside it when
/// there is one, and writes the figures and the report into `out` (default: the run's
/// directory). Returns the figures folder and the report's path.
pub fn plot(results: &Path, out: Option<&Path>) -> Result<Vec<PathBuf>> {
    let r = RunResults::load(results)?;
    let run_dir = if results.is_dir() {
        results.to_path_buf()
    } else {
        results.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let timings = load_timings(&run_dir.join("timings.json"))?;
    write(
        out.unwrap_or(&run_dir),
        &RunView::new(&r, timings.as_ref()),
        &visual_exporters(),
    )
}

/// The timings at `path`; none when there is no such file.
fn load_timings(path: &Path) -> Result<Option<Timings>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::dataset(
                path,
                Some(e.line()),
                format!(
                    "not a chunkbench timings.json ({e}); move it away to plot without timings"
                ),
            )
        }),
        Err(_) => Ok(None),
    }
}
