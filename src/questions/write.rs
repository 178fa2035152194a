//! Writing the generated dataset, the record of every attempt and the review sheet.

use std::path::Path;

use super::attempt::{Generated, Report};
use super::review::sheet;
use crate::dataset::Document;
use crate::error::{Error, Result};

/// Writes the dataset: `documents/` (the documents, byte for byte) and `questions.jsonl` (one
/// line per question, code-point offsets), plus `generation.json` (the report, every attempt)
/// and `review.md` (the review sheet). Refuses to write
/// into a directory that already holds a `questions.jsonl`.
pub fn write_dataset(
    out: &Path,
    docs: &[Document],
    questions: &[Generated],
    report: &Report,
) -> Result<()> {
    let qpath = out.join("questions.jsonl");
    if qpath.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; choose another output directory or remove it",
            qpath.display()
        )));
    }
    let ddir = out.join("documents");
    std::fs::create_dir_all(&ddir).map_err(|e| Error::io(&ddir, e))?;
    for doc in docs {
        let ext = doc
            .path
            .extension()
            .and_then(|x| x.to_str())
            .unwrap_or("md");
        let p = ddir.join(format!("{}.{ext}", doc.id));
        crate::atomic::write_atomic(&p, doc.text.as_bytes())?;
    }
    let mut lines = String::new();
    for (i, g) in questions.iter().enumerate() {
        let doc = &docs[g.doc];
        let start = doc
            .chars
            .byte_to_char(g.excerpt.start)
            .expect("char boundary");
        let end = doc
            .chars
            .byte_to_char(g.excerpt.end)
            .expect("char boundary");
        let line = serde_json::json!({
            "id": format!("gen-{:04}", i + 1),
            "question": g.question,
            "kind": "generated",
            "excerpts": [{
                "doc": doc.id,
                "start": start,
                "end": end,
                "text": &doc.text[g.excerpt.start..g.excerpt.end],
            }],
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    crate::atomic::write_atomic(&qpath, lines.as_bytes())?;
    let mut r = serde_json::to_vec_pretty(report).expect("report serialises");
    r.push(b'\n');
    crate::atomic::write_atomic(&out.join("generation.json"), &r)?;
    crate::atomic::write_atomic(&out.join("review.md"), sheet(report).as_bytes())?;
    // Read it back as `dataset validate` does: every excerpt must match its text.
    let problems = crate::dataset::RawDataset::load(out)?.check();
    if let Some(p) = problems.first() {
        return Err(Error::dataset(
            &p.file,
            p.line,
            format!("generated dataset failed validation: {}", p.message),
        ));
    }
    Ok(())
}
