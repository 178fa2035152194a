//! Chroma's `chunking_evaluation` layout: `corpora/<corpus_id>.md` plus `questions_df.csv` with the
//! columns `question,references,corpus_id`, where `references` is a JSON array of
//! `{"content", "start_index", "end_index"}` in Unicode code points. Each corpus file is one
//! document; documents are ordered by first appearance among the questions (the order in which
//! Chroma's harness adds them to its collection), then by name.

use std::path::Path;

use serde::Deserialize;

use super::native::load_documents;
use super::{name_of, Format, RawDataset, RawExcerpt, RawQuestion};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct Reference {
    content: String,
    start_index: usize,
    end_index: usize,
}

/// Reads a dataset in Chroma's layout.
pub fn load(path: &Path) -> Result<RawDataset> {
    let mut documents = load_documents(&path.join("corpora"))?;
    let questions = load_questions(&path.join("questions_df.csv"))?;
    // Collection order: corpora in order of first appearance among the questions, then the rest.
    let mut order: Vec<String> = Vec::new();
    for q in &questions {
        let c = q.corpus.clone().unwrap_or_default();
        if !order.contains(&c) {
            order.push(c);
        }
    }
    documents.sort_by_key(|d| {
        (
            order.iter().position(|c| *c == d.id).unwrap_or(usize::MAX),
            d.id.clone(),
        )
    });
    Ok(RawDataset {
        name: name_of(path),
        path: path.to_path_buf(),
        format: Format::Chroma,
        documents,
        questions,
    })
}

/// Reads `questions_df.csv`: one question a row, its excerpts a JSON array in `references`.
fn load_questions(qpath: &Path) -> Result<Vec<RawQuestion>> {
    let qpath = qpath.to_path_buf();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(&qpath)
        .map_err(|e| Error::dataset(&qpath, None, format!("cannot read CSV: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::dataset(&qpath, Some(1), format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::dataset(
                &qpath,
                Some(1),
                format!(
                    "missing column {name:?}; the header must be question,references,corpus_id"
                ),
            )
        })
    };
    let (qc, rc, cc) = (col("question")?, col("references")?, col("corpus_id")?);
    let mut questions = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            Error::dataset(&qpath, line, format!("malformed CSV record: {e}"))
        })?;
        let line = record
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(row + 2);
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let refs: Vec<Reference> = serde_json::from_str(&field(rc)).map_err(|e| {
            Error::dataset(
                &qpath,
                Some(line),
                format!("the references column is not a JSON array of {{content, start_index, end_index}}: {e}"),
            )
        })?;
        let corpus = field(cc);
        questions.push(RawQuestion {
            id: row.to_string(),
            text: field(qc),
            corpus: Some(corpus.clone()),
            kind: None,
            answer: None,
            excerpts: refs
                .into_iter()
                .map(|r| RawExcerpt {
                    doc: corpus.clone(),
                    start: r.start_index,
                    end: r.end_index,
                    text: r.content,
                })
                .collect(),
            file: qpath.clone(),
            line,
        });
    }
    if questions.is_empty() {
        return Err(Error::dataset(&qpath, None, "no questions in the file"));
    }
    Ok(questions)
}
