//! `results.json` (run metadata and every per-question score) and `timings.json` (wall time and
//! cost of each stage; only for a run, not for a plot of a finished one).

use super::{Exporter, File, RunView};
use crate::error::{Error, Result};

pub struct ResultsJson;
pub struct TimingsJson;

impl Exporter for ResultsJson {
    fn name(&self) -> &'static str {
        "results.json"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        let mut out = serde_json::to_vec_pretty(run.results)
            .map_err(|e| Error::Usage(format!("cannot serialise results: {e}")))?;
        out.push(b'\n');
        Ok(vec![File::new(self.name(), out)])
    }
}

impl Exporter for TimingsJson {
    fn name(&self) -> &'static str {
        "timings.json"
    }

    fn applies(&self, run: &RunView) -> bool {
        run.timings.is_some()
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        let Some(t) = run.timings else {
            return Ok(Vec::new());
        };
        let out = serde_json::to_vec_pretty(t)
            .map_err(|e| Error::Usage(format!("cannot serialise timings: {e}")))?;
        Ok(vec![File::new(self.name(), out)])
    }
}
