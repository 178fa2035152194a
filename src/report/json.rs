//! `results.json`: run metadata and every per-question score.

use super::Exporter;
use crate::error::{Error, Result};
use crate::results::RunResults;

pub struct ResultsJson;

impl Exporter for ResultsJson {
    fn file_name(&self) -> &'static str {
        "results.json"
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(results)
            .map_err(|e| Error::Usage(format!("cannot serialise results: {e}")))?;
        out.push(b'\n');
        Ok(out)
    }
}
