//! The native dataset layout:
//!
//! ```text
//! my-dataset/
//!   documents/<doc-id>.md      any UTF-8 text files; the id is the file stem
//!   questions.jsonl            one question per line
//! ```
//!
//! Each line of `questions.jsonl`:
//! `{"id": "q1", "question": "...", "answer": "...", "kind": "single", "excerpts":
//! [{"doc": "<doc-id>", "start": 10, "end": 42, "text": "..."}]}` — offsets are Unicode code points,
//! end exclusive, so `text == document[start:end]` in Python. `answer`, `kind` and `corpus` are
//! optional.

use std::path::Path;

use serde::Deserialize;

use super::{name_of, read_document, Document, Format, RawDataset, RawExcerpt, RawQuestion};
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: String,
    question: String,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    corpus: Option<String>,
    excerpts: Vec<Excerpt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Excerpt {
    doc: String,
    start: usize,
    end: usize,
    text: String,
}

/// Reads a dataset in the native layout.
pub fn load(path: &Path) -> Result<RawDataset> {
    let documents = load_documents(&path.join("documents"))?;
    let qpath = path.join("questions.jsonl");
    let content = read_document(&qpath)?;
    // A UTF-8 byte-order mark (some editors write one) is not part of the first line's JSON.
    let content = content.strip_prefix('\u{feff}').unwrap_or(&content);
    let mut questions = Vec::new();
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(line).map_err(|e| {
            Error::dataset(
                &qpath,
                Some(i + 1),
                format!("malformed question line ({e}); each line must be one JSON object with id, question, excerpts[{{doc, start, end, text}}]"),
            )
        })?;
        questions.push(RawQuestion {
            id: parsed.id,
            text: parsed.question,
            corpus: parsed.corpus,
            kind: parsed.kind,
            answer: parsed.answer,
            excerpts: parsed
                .excerpts
                .into_iter()
                .map(|e| RawExcerpt {
                    doc: e.doc,
                    start: e.start,
                    end: e.end,
                    text: e.text,
                })
                .collect(),
            file: qpath.clone(),
            line: i + 1,
        });
    }
    if questions.is_empty() {
        return Err(Error::dataset(
            &qpath,
            None,
            "no questions; add at least one line",
        ));
    }
    Ok(RawDataset {
        name: name_of(path),
        path: path.to_path_buf(),
        format: Format::Native,
        documents,
        questions,
    })
}

/// Reads every file of `dir` (sorted by name; subdirectories and hidden files skipped) as a
/// document whose id is the file stem. An entry that cannot be read (a broken link, no permission)
/// is an error naming it, never silently left out of the corpus.
pub(crate) fn load_documents(dir: &Path) -> Result<Vec<Document>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths = Vec::new();
    for e in entries {
        paths.push(e.map_err(|e| Error::io(dir, e))?.path());
    }
    let mut paths: Vec<_> = paths
        .into_iter()
        .filter(|p| !p.is_dir())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::dataset(dir, None, "no documents in this directory"));
    }
    let mut docs: Vec<Document> = Vec::with_capacity(paths.len());
    for p in paths {
        let id = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(prev) = docs.iter().find(|d| d.id == id) {
            return Err(Error::dataset(
                &p,
                None,
                format!(
                    "document id {id:?} is also used by {}; rename one of them",
                    prev.path.display()
                ),
            ));
        }
        let text = read_document(&p)?;
        docs.push(Document::new(id, text, p)?);
    }
    Ok(docs)
}
