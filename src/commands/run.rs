//! `chunkbench run`: the benchmark, from flags to written tables.

use std::path::{Path, PathBuf};

use crate::answers::AnswerSetup;
use crate::chunk;
use crate::cli::{AnswerArgs, RunArgs};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::llm::LlmSetup;
use crate::output::Progress;
use crate::report;
use crate::run::{RunConfig, RunOutput};
use crate::setup::{check_judge, embed_batch, given_dir, open_embedder, open_judge, open_llm};
use crate::strategy;

pub fn run(args: RunArgs) -> Result<i32> {
    let strategies = strategy::resolve(&args.strategies)?;
    let mut needs_llm = false;
    for s in &strategies {
        // fail on a bad strategy before loading anything heavy
        needs_llm |= chunk::build(s)?.needs_llm();
    }
    check_answer_flags(&args.answers)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.dataset, &args.strategies));
    crate::paths::prepare_dir(&out, "--out")?;
    let dataset = Dataset::load(&args.dataset)?;
    // Before any model loads.
    check_answer_dataset(&args.answers, &dataset)?;
    let progress = Progress::new(args.quiet);
    let (mut embedder, mut cache) = open_embedder(&args.model)?;
    let wants_answers = args.answers.utility || args.answers.judge.is_some();
    let llm = if needs_llm || wants_answers {
        Some(open_llm(&args.llm, given_dir(&args.model.models_dir))?)
    } else {
        None
    };
    let answers = answer_setup(&args, llm.as_ref())?;
    stop_cleanly_on_ctrl_c(&out, cache.path(), llm.as_ref());
    let config = RunConfig {
        dataset,
        dataset_path: args.dataset.clone(),
        strategies,
        k: args.k,
        batch: embed_batch(&args.model),
        embed_price: args.embed_price,
        found_share: args.found_share,
        bootstrap: args.bootstrap,
        seed: args.seed,
        llm,
        answers,
    };
    let output = crate::run::run(&config, &mut *embedder, &mut cache, &progress)?;
    write_outputs(&out, &output, args.quiet)?;
    Ok(0)
}

/// Ctrl-C (SIGINT) ends the run with exit code 130 and one line that says what was kept: every
/// vector and model answer already computed is in the caches (flushed batch by batch; a record cut
/// short is dropped at the next open), tables are written only at the end, and the same command
/// resumes.
fn stop_cleanly_on_ctrl_c(out: &Path, embeddings: &Path, llm: Option<&LlmSetup>) {
    let mut kept = format!(
        "the embeddings computed so far are kept in {}",
        embeddings.display()
    );
    if let Some(c) = llm.and_then(|l| l.cache.as_ref()) {
        kept.push_str(&format!(" and the model answers in {}", c.path().display()));
    }
    let line = format!(
        "interrupted: {kept}; the tables in {} are written only when a run completes; run the same command again to resume",
        out.display()
    );
    // A second handler cannot be installed in one process; the first one stays (tests call
    // `run` once per process).
    let _ = ctrlc::set_handler(move || {
        eprintln!("\n{line}");
        std::process::exit(130);
    });
}

/// The answer-metric flags that only make sense together; `--judge` names a URL or a file.
fn check_answer_flags(answers: &AnswerArgs) -> Result<()> {
    if answers.answer_sample.is_some() && !answers.utility && answers.judge.is_none() {
        return Err(Error::Usage(
            "--answer-sample samples the questions of the answer metrics; add --utility and/or --judge".into(),
        ));
    }
    if let Some(j) = &answers.judge {
        check_judge(j)?;
    }
    Ok(())
}

/// The answer-metric flags against the dataset: `--utility` needs gold answers.
fn check_answer_dataset(answers: &AnswerArgs, dataset: &Dataset) -> Result<()> {
    if answers.utility && dataset.questions.iter().all(|q| q.answer.is_none()) {
        return Err(Error::Usage(format!(
            "--utility scores the gold answers, and no question of dataset {} has one; add an \"answer\" to the questions (native layout) or leave --utility out",
            dataset.name
        )));
    }
    crate::answers::check(answers.utility, answers.answer_sample, dataset)
}

/// The models of the answer metrics: the language model scores utility and generates the
/// answers that the judge checks.
fn answer_setup(args: &RunArgs, llm: Option<&LlmSetup>) -> Result<AnswerSetup> {
    Ok(AnswerSetup {
        utility: llm.cloned().filter(|_| args.answers.utility),
        generator: llm.cloned().filter(|_| args.answers.judge.is_some()),
        judge: match &args.answers.judge {
            Some(j) => Some(open_judge(j, &args.answers, &args.llm)?),
            None => None,
        },
        sample: args.answers.answer_sample,
    })
}

/// Writes the tables, timings.json and the figures; prints the summary unless `quiet`.
fn write_outputs(out: &Path, output: &RunOutput, quiet: bool) -> Result<()> {
    let written = report::write_run(out, &output.results, Some(&output.timings))?;
    if !quiet {
        println!(
            "{}",
            report::terminal::summary(&output.results, &output.timings)
        );
        println!("{}", report::terminal::written(&written, out));
    }
    Ok(())
}

/// `results/<dataset>-<first grid or "custom">`.
fn default_out(dataset: &Path, strategies: &[String]) -> PathBuf {
    let ds = crate::dataset::name_of(dataset);
    let grid = match strategies {
        [one] if one.ends_with(".toml") => Path::new(one)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "custom".into()),
        _ => "custom".into(),
    };
    PathBuf::from("results").join(format!("{ds}-{grid}"))
}
