//! `chunkbench dataset validate` and `chunkbench dataset stats`.

use std::path::Path;

use crate::dataset::{stats as dataset_stats, Dataset, RawDataset};
use crate::error::{Error, Result};

/// Checks every gold excerpt against its document; lists each mismatch (exit 2 if any).
pub fn validate(path: &Path) -> Result<i32> {
    let raw = RawDataset::load(path)?;
    let problems = raw.check();
    let excerpts: usize = raw.questions.iter().map(|q| q.excerpts.len()).sum();
    if problems.is_empty() {
        println!(
            "{}: OK — {} documents, {} questions, {} gold excerpts, every excerpt matches its text",
            path.display(),
            raw.documents.len(),
            raw.questions.len(),
            excerpts
        );
        return Ok(0);
    }
    for p in &problems {
        println!("{p}");
    }
    Err(Error::dataset(
        path,
        None,
        format!(
            "{} of {} gold excerpts do not match their documents (each is listed above with its line); fix their offsets or text",
            problems.len(),
            excerpts
        ),
    ))
}

/// Prints documents, tokens, questions by kind and excerpt lengths.
pub fn stats(path: &Path) -> Result<i32> {
    let dataset = Dataset::load(path)?;
    print!("{}", dataset_stats::render(&dataset));
    Ok(0)
}
