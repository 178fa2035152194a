//! `chunkbench baseline save`: a run's per-question scores, as the baseline `compare` gates
//! against.

use std::path::Path;

use crate::error::{Error, Result};
use crate::results::RunResults;

pub fn save(run: &Path, to: &Path) -> Result<i32> {
    let mut results = RunResults::load(run)?;
    for s in &mut results.strategies {
        for q in &mut s.questions {
            q.retrieved.clear();
            // Keep the answer metrics' scores, not the generated texts.
            if let Some(g) = &mut q.generated {
                g.answer.clear();
                g.statements.clear();
            }
        }
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut bytes = serde_json::to_vec_pretty(&results).expect("results serialise");
    bytes.push(b'\n');
    crate::atomic::write_atomic(to, &bytes)?;
    println!(
        "saved the baseline of {} ({} strategies, {} questions) to {}",
        results.dataset.name,
        results.strategies.len(),
        results.dataset.questions,
        to.display()
    );
    Ok(0)
}
