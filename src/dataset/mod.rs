//! Datasets: documents, questions and their gold evidence spans.
//!
//! Two on-disk layouts are understood (see the README for the details):
//! - the native layout: `documents/*` plus `questions.jsonl` ([`native`]);
//! - Chroma's `chunking_evaluation` layout: `corpora/*.md` plus `questions_df.csv` ([`chroma`]).
//!
//! Loading is two steps: a loader reads the files into a [`RawDataset`] (excerpts as given, in
//! code points), then [`RawDataset::check`] verifies every excerpt against the text and
//! [`RawDataset::resolve`] converts offsets to bytes, once.

pub mod chroma;
pub mod native;
pub mod stats;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text::CharIndex;

/// One document of the corpus.
#[derive(Debug, Clone)]
pub struct Document {
    /// Stable id (the file stem).
    pub id: String,
    pub text: String,
    /// The file it was read from, for error messages.
    pub path: PathBuf,
    pub chars: CharIndex,
}

impl Document {
    /// Builds a document, rejecting empty text.
    pub fn new(id: String, text: String, path: PathBuf) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(Error::dataset(
                &path,
                None,
                "the document is empty; remove it or give it text",
            ));
        }
        let chars = CharIndex::new(&text);
        Ok(Document {
            id,
            text,
            path,
            chars,
        })
    }
}

/// Reads a document file as UTF-8, with an error that names the file and the first bad byte.
pub fn read_document(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::dataset(
            path,
            None,
            format!("cannot read it ({e}); check the path (a broken link?) and its permissions"),
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::dataset(
            path,
            None,
            format!("not valid UTF-8 (first invalid byte at offset {at}); convert the file to UTF-8, e.g. with `iconv -t UTF-8`"),
        )
    })
}

/// A gold evidence span, resolved to a document index and a byte range on char boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GoldSpan {
    pub doc: usize,
    pub start: usize,
    pub end: usize,
}

/// A question with its gold evidence.
#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub text: String,
    /// The group the question is reported under: Chroma's `corpus_id`, or the document of the
    /// first excerpt in the native layout.
    pub corpus: String,
    pub kind: Option<String>,
    pub answer: Option<String>,
    pub gold: Vec<GoldSpan>,
}

/// Which layout a dataset was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Native,
    Chroma,
}

/// A loaded, verified dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub path: PathBuf,
    pub format: Format,
    pub documents: Vec<Document>,
    pub questions: Vec<Question>,
}

impl Dataset {
    /// Loads and verifies the dataset at `path` (a directory in either layout). Any excerpt that
    /// does not match its text is an error; `chunkbench dataset validate` lists them all.
    pub fn load(path: &Path) -> Result<Self> {
        let raw = RawDataset::load(path)?;
        let problems = raw.check();
        if let Some(first) = problems.first() {
            let more = if problems.len() > 1 {
                format!(" (and {} more problems)", problems.len() - 1)
            } else {
                String::new()
            };
            return Err(Error::dataset(
                &first.file,
                first.line,
                format!(
                    "{}{}{more}; run `chunkbench dataset validate {}` to list them all",
                    first
                        .question
                        .as_ref()
                        .map(|q| format!("question {q}: "))
                        .unwrap_or_default(),
                    first.message,
                    path.display()
                ),
            ));
        }
        Ok(raw.resolve())
    }

    /// Corpus (report group) names in order of first appearance among the questions.
    pub fn corpora(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for q in &self.questions {
            if !seen.contains(&q.corpus) {
                seen.push(q.corpus.clone());
            }
        }
        seen
    }
}

/// A gold excerpt as written in the dataset files: code-point offsets plus the expected text.
#[derive(Debug, Clone)]
pub struct RawExcerpt {
    pub doc: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A question as written in the dataset files, with where it was written.
#[derive(Debug, Clone)]
pub struct RawQuestion {
    pub id: String,
    pub text: String,
    pub corpus: Option<String>,
    pub kind: Option<String>,
    pub answer: Option<String>,
    pub excerpts: Vec<RawExcerpt>,
    pub file: PathBuf,
    pub line: usize,
}

/// A dataset as read from disk, before verification.
#[derive(Debug, Clone)]
pub struct RawDataset {
    pub name: String,
    pub path: PathBuf,
    pub format: Format,
    pub documents: Vec<Document>,
    pub questions: Vec<RawQuestion>,
}

/// One problem found by [`RawDataset::check`].
#[derive(Debug, Clone)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub question: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(q) = &self.question {
            write!(f, ": question {q}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl RawDataset {
    /// Detects the layout of `path` and reads it.
    pub fn load(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(Error::dataset(
                path,
                None,
                "no such dataset directory; give a directory that holds questions.jsonl (native) or questions_df.csv (Chroma)",
            ));
        }
        if path.join("questions_df.csv").is_file() {
            chroma::load(path)
        } else if path.join("questions.jsonl").is_file() {
            native::load(path)
        } else {
            Err(Error::dataset(
                path,
                None,
                "not a dataset: expected questions.jsonl and documents/ (native layout) or questions_df.csv and corpora/ (Chroma layout)",
            ))
        }
    }

    fn doc_index(&self, id: &str) -> Option<usize> {
        self.documents.iter().position(|d| d.id == id)
    }

    /// Verifies every excerpt: known document, offsets in range, text equal to the document's
    /// text at those offsets, at least one excerpt per question, unique question ids.
    pub fn check(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut ids = std::collections::HashMap::new();
        for q in &self.questions {
            let mut problem = |message: String| {
                problems.push(Problem {
                    file: q.file.clone(),
                    line: Some(q.line),
                    question: Some(q.id.clone()),
                    message,
                })
            };
            if let Some(prev) = ids.insert(q.id.clone(), q.line) {
                problem(format!("duplicate question id (first used on line {prev})"));
            }
            if q.excerpts.is_empty() {
                problem("no gold excerpt; every question needs at least one".into());
            }
            for (i, ex) in q.excerpts.iter().enumerate() {
                let Some(d) = self.doc_index(&ex.doc) else {
                    let known: Vec<&str> = self.documents.iter().map(|d| d.id.as_str()).collect();
                    problem(format!(
                        "excerpt {i} names unknown document {:?}; known documents: {}",
                        ex.doc,
                        known.join(", ")
                    ));
                    continue;
                };
                let doc = &self.documents[d];
                let n = doc.chars.len_chars();
                if ex.start >= ex.end || ex.end > n {
                    problem(format!(
                        "excerpt {i} has offsets {}..{} outside document {:?} ({n} characters) or empty",
                        ex.start, ex.end, ex.doc
                    ));
                    continue;
                }
                let bs = doc.chars.char_to_byte(ex.start).unwrap_or(0);
                let be = doc.chars.char_to_byte(ex.end).unwrap_or(0);
                let actual = &doc.text[bs..be];
                if actual != ex.text {
                    let hint = match doc.text.find(&ex.text) {
                        Some(b) => {
                            let c = doc.chars.byte_to_char(b).unwrap_or(0);
                            format!(
                                "; the excerpt text first occurs at {}..{}",
                                c,
                                c + ex.text.chars().count()
                            )
                        }
                        None => "; the excerpt text does not occur in the document".into(),
                    };
                    problem(format!(
                        "excerpt {i} does not match document {:?} at {}..{} (code points): expected {:?}, found {:?}{hint}",
                        ex.doc,
                        ex.start,
                        ex.end,
                        preview(&ex.text),
                        preview(actual)
                    ));
                }
            }
        }
        problems
    }

    /// Converts a checked dataset to byte offsets. Call only when [`RawDataset::check`] is empty.
    pub fn resolve(self) -> Dataset {
        let questions = self
            .questions
            .iter()
            .map(|q| {
                let gold: Vec<GoldSpan> = q
                    .excerpts
                    .iter()
                    .map(|ex| {
                        let d = self.doc_index(&ex.doc).expect("checked");
                        let c = &self.documents[d].chars;
                        GoldSpan {
                            doc: d,
                            start: c.char_to_byte(ex.start).expect("checked"),
                            end: c.char_to_byte(ex.end).expect("checked"),
                        }
                    })
                    .collect();
                let corpus = q
                    .corpus
                    .clone()
                    .unwrap_or_else(|| q.excerpts[0].doc.clone());
                Question {
                    id: q.id.clone(),
                    text: q.text.clone(),
                    corpus,
                    kind: q.kind.clone(),
                    answer: q.answer.clone(),
                    gold,
                }
            })
            .collect();
        Dataset {
            name: self.name,
            path: self.path,
            format: self.format,
            documents: self.documents,
            questions,
        }
    }
}

/// First 60 characters of `s`, for error messages.
fn preview(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The dataset's name: the directory's file name.
pub(crate) fn name_of(path: &Path) -> String {
    path.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| path.display().to_string())
}
