//! `chunkbench questions generate`: gold questions for your own corpus, written as a native
//! dataset (`documents/` + `questions.jsonl`) that `chunkbench dataset validate` accepts.
//!
//! For each document, `per_doc` passages are taken evenly spread over it (pieces of about 120
//! cl100k tokens, Chroma's separator splitter). For each passage:
//!
//! 1. **The model selects the excerpt**: it sees the passage's sentences, numbered, and answers
//!    with the number of the one that states the most specific fact (grammar-constrained on the
//!    embedded model, parsed strictly everywhere). The excerpt is that sentence's exact span.
//! 2. **The model writes a question** that the sentence answers. Small models prefix
//!    `Question:` and append an answer: the prefix is stripped and the text cut at the first `?`.
//! 3. **Verification**: the question must end in `?`, have at least 4 words, and share a content
//!    word with the excerpt; anything else is dropped and counted, never kept. The written
//!    dataset is read back and validated (every excerpt against its document's text at its
//!    code-point offsets) before the command reports success.
//! 4. **De-duplication**: questions are embedded (through the embedding cache) and one whose cosine
//!    similarity to an earlier kept question is at least `dedup` (default 0.9) is dropped and
//!    counted.
//!
//! Every model call goes through the response cache, so a re-run costs nothing.

pub mod text;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::chunk::separators::SeparatorSplitter;
use crate::chunk::{Chunker, NoEmbeddings, Span, Unit};
use crate::dataset::Document;
use crate::error::{Error, Result};
use crate::llm::{ChatRequest, Llm, LlmCost, Message};
use text::{clean_question, content_words, sentences};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Questions attempted per document.
    pub per_doc: usize,
    /// Drop a question this similar (cosine) to an earlier one.
    pub dedup: f64,
    /// Passage size in cl100k tokens.
    pub passage: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            per_doc: 5,
            dedup: 0.9,
            passage: 120,
        }
    }
}

/// One generated question with its verified excerpt (byte offsets into its document).
#[derive(Debug, Clone)]
pub struct Generated {
    pub doc: usize,
    pub question: String,
    pub excerpt: Span,
}

/// What happened to the attempts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub documents: usize,
    pub attempted: usize,
    /// The model's sentence choice could not be parsed.
    pub dropped_bad_selection: usize,
    /// The question was unusable (no `?`, too short) or shared no content word with the excerpt.
    pub dropped_unverified: usize,
    /// Near-duplicates of an earlier question.
    pub dropped_duplicates: usize,
    pub kept: usize,
    pub cost: LlmCost,
}

/// Reads a corpus: a dataset directory (native or Chroma layout), a directory of text files
/// (`.md`, `.markdown`, `.txt`, `.rst`; the id is the file stem), or one file.
pub fn load_corpus(path: &Path) -> Result<Vec<Document>> {
    let is_dataset = path.join("documents").is_dir() || path.join("corpora").is_dir();
    if is_dataset {
        return Ok(crate::dataset::RawDataset::load(path)?.documents);
    }
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        matches!(
                            x.to_ascii_lowercase().as_str(),
                            "md" | "markdown" | "txt" | "rst"
                        )
                    })
            })
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no documents (.md, .markdown, .txt, .rst files, or a dataset with documents/)",
            path.display()
        )));
    }
    files
        .iter()
        .map(|f| {
            let id = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Document::new(id, crate::dataset::read_document(f)?, f.clone())
        })
        .collect()
}

/// Unit vectors for texts, in order.
pub type EmbedFn<'a> = dyn FnMut(&[&str]) -> Result<Vec<std::sync::Arc<[f32]>>> + 'a;

/// Generates questions for `docs`. `embed` returns unit vectors for texts (the run's embedder,
/// for de-duplication).
pub fn generate(
    docs: &[Document],
    llm: &crate::llm::CachedLlm,
    embed: &mut EmbedFn,
    settings: &Settings,
    progress: &dyn Fn(&str),
) -> Result<(Vec<Generated>, Report)> {
    let mut report = Report {
        documents: docs.len(),
        ..Report::default()
    };
    let mut out = Vec::new();
    let splitter = SeparatorSplitter::chroma(settings.passage, 0, Unit::Cl100k);
    for (d, doc) in docs.iter().enumerate() {
        let passages: Vec<Vec<Span>> = splitter
            .chunk(&doc.text, &NoEmbeddings)?
            .into_iter()
            .map(|p| sentences(&doc.text, p))
            .filter(|s| !s.is_empty())
            .collect();
        for i in spread(passages.len(), settings.per_doc) {
            report.attempted += 1;
            let sents = &passages[i];
            let Some(pick) = select(llm, &doc.text, sents)? else {
                report.dropped_bad_selection += 1;
                continue;
            };
            let excerpt = sents[pick];
            let sentence = &doc.text[excerpt.start..excerpt.end];
            let raw = ask_question(llm, sentence)?;
            match clean_question(&raw) {
                Some(q) if grounded(&q, sentence) => {
                    progress(&format!("{}: {q}", doc.id));
                    out.push(Generated {
                        doc: d,
                        question: q,
                        excerpt,
                    });
                }
                _ => report.dropped_unverified += 1,
            }
        }
    }
    // De-duplicate, in generation order.
    let texts: Vec<&str> = out.iter().map(|g| g.question.as_str()).collect();
    let vectors = if texts.is_empty() {
        Vec::new()
    } else {
        embed(&texts)?
    };
    let mut kept: Vec<usize> = Vec::new();
    for i in 0..out.len() {
        let dup = kept.iter().any(|&j| {
            let c: f32 = vectors[i]
                .iter()
                .zip(vectors[j].iter())
                .map(|(a, b)| a * b)
                .sum();
            f64::from(c) >= settings.dedup
        });
        if dup {
            report.dropped_duplicates += 1;
        } else {
            kept.push(i);
        }
    }
    let out: Vec<Generated> = kept.into_iter().map(|i| out[i].clone()).collect();
    report.kept = out.len();
    report.cost = llm.cost();
    Ok((out, report))
}

/// `k` indices spread evenly over `0..n` (all of them when `k >= n`).
fn spread(n: usize, k: usize) -> Vec<usize> {
    if k >= n {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..k).map(|i| ((2 * i + 1) * n) / (2 * k)).collect();
    v.dedup();
    v
}

/// Asks the model which sentence states the most specific fact; `None` if unusable.
fn select(llm: &dyn Llm, text: &str, sents: &[Span]) -> Result<Option<usize>> {
    if sents.len() == 1 {
        return Ok(Some(0));
    }
    let mut list = String::new();
    for (k, s) in sents.iter().enumerate() {
        let one_line = text[s.start..s.end].replace('\n', " ");
        list.push_str(&format!("{}. {one_line}\n", k + 1));
    }
    let ids: Vec<String> = (1..=sents.len())
        .rev()
        .map(|k| format!("\"{k}\""))
        .collect();
    let request = ChatRequest {
        messages: vec![Message::user(format!(
            "Sentences:\n{list}\nWhich sentence states the most specific fact (a number, a name, a \
             date or a rule)? Answer with its number only."
        ))],
        max_tokens: 4,
        stop: vec!["\n".into()],
        grammar: Some(format!("root ::= {}\n", ids.join(" | "))),
    };
    let answer = llm.complete(&request)?;
    let t = answer.text.trim().trim_end_matches('.');
    Ok(t.parse::<usize>()
        .ok()
        .filter(|&k| k >= 1 && k <= sents.len())
        .map(|k| k - 1))
}

fn ask_question(llm: &dyn Llm, sentence: &str) -> Result<String> {
    let request = ChatRequest {
        // This wording gets plain questions even from SmolLM2-135M ("Write one question that is
        // answered by this sentence" gets "What is the answer to this question?").
        messages: vec![Message::user(format!(
            "Text: {}\n\nWrite a question that this text answers.",
            sentence.replace('\n', " ")
        ))],
        max_tokens: 48,
        stop: Vec::new(),
        grammar: None,
    };
    Ok(llm.complete(&request)?.text)
}

/// The question shares at least one content word with the excerpt.
fn grounded(question: &str, excerpt: &str) -> bool {
    let e = content_words(excerpt);
    content_words(question).iter().any(|w| e.contains(w))
}

/// Writes the dataset: `documents/` (the documents, byte for byte) and `questions.jsonl` (one
/// line per question, code-point offsets), plus `generation.json` (the report). Refuses to write
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_even_and_bounded() {
        assert_eq!(spread(10, 2), vec![2, 7]);
        assert_eq!(spread(3, 5), vec![0, 1, 2]);
        assert_eq!(spread(5, 1), vec![2]);
    }

    #[test]
    fn grounding_needs_a_shared_content_word() {
        assert!(grounded(
            "How long does the compressor need?",
            "The compressor needs 12 minutes."
        ));
        assert!(!grounded(
            "What is the weather?",
            "The compressor needs 12 minutes."
        ));
    }
}
