//! `chunkbench questions generate`: gold questions for a corpus, written as a native dataset.

use crate::cli::QuestionsArgs;
use crate::dataset::Document;
use crate::error::{Error, Result};
use crate::questions::prompts::Prompt;
use crate::questions::{generate as generate_questions, load_corpus, write_dataset, Settings};
use crate::questions::{Filter, Report};
use crate::setup::{given_dir, open_embedder, open_llm};

pub fn generate(args: QuestionsArgs) -> Result<i32> {
    if args.out.join("questions.jsonl").exists() {
        return Err(Error::Usage(format!(
            "{} already exists; choose another --out or remove it",
            args.out.join("questions.jsonl").display()
        )));
    }
    let docs = chosen_documents(&args)?;
    let setup = open_llm(&args.llm, given_dir(&args.model.models_dir))?;
    let (mut embedder, mut cache) = open_embedder(&args.model)?;
    let llm = setup.handle();
    let quiet = args.quiet;
    let settings = Settings {
        per_doc: args.per_doc,
        dedup: args.dedup,
        min_gain: args.min_gain,
        top: (!args.no_specificity).then_some(args.top),
        prompt: match args.prompt {
            crate::cli::QuestionPrompt::FewShot => Prompt::FewShot,
            crate::cli::QuestionPrompt::Plain => Prompt::Plain,
        },
        ..Settings::default()
    };
    let batch = crate::setup::embed_batch(&args.model);
    let mut embed = |texts: &[&str]| {
        let texts = crate::embed::prefixed(&*embedder, crate::embed::Role::Query, texts);
        let texts: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
        crate::embed::embed_cached(&mut *embedder, &mut cache, &texts, batch, |_, _| {})
    };
    let (questions, report) = generate_questions(&docs, &llm, &mut embed, &settings, &|line| {
        if !quiet {
            eprintln!("  {line}");
        }
    })?;
    write_dataset(&args.out, &docs, &questions, &report)?;
    if !quiet {
        print_report(&args, &report);
    }
    Ok(0)
}

/// The corpus' documents, only those of `--doc` when given.
fn chosen_documents(args: &QuestionsArgs) -> Result<Vec<Document>> {
    let mut docs = load_corpus(&args.corpus)?;
    if !args.doc.is_empty() {
        for id in &args.doc {
            if !docs.iter().any(|d| &d.id == id) {
                let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--doc {id:?}: no such document in {}; its documents: {}",
                    args.corpus.display(),
                    ids.join(", ")
                )));
            }
        }
        docs.retain(|d| args.doc.contains(&d.id));
    }
    Ok(docs)
}

fn print_report(args: &QuestionsArgs, report: &Report) {
    let dropped: Vec<String> = Filter::ALL
        .iter()
        .filter(|f| report.dropped.get(**f) > 0)
        .map(|f| format!("{} {}", report.dropped.get(*f), f.name()))
        .collect();
    let dropped = match dropped.is_empty() {
        true => "none".to_string(),
        false => dropped.join(", "),
    };
    println!(
        "{} documents, {} attempts: {} questions kept; dropped: {dropped}.\nLanguage model: {}\nWrote {}/documents/, questions.jsonl, generation.json (every attempt) and review.md; check with `chunkbench dataset validate {}`",
        report.documents,
        report.attempted,
        report.kept,
        report.cost,
        args.out.display(),
        args.out.display()
    );
}
