//! `chunkbench run`: the benchmark, from flags to written tables.

use std::path::{Path, PathBuf};

use crate::answers::AnswerSetup;
use crate::chunk;
use crate::cli::{AnswerArgs, RetrievalArgs, RunArgs};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::llm::LlmSetup;
use crate::output::Progress;
use crate::report;
use crate::retrieve::Setup;
use crate::run::shard::ShardReport;
use crate::run::{Models, RunConfig, RunOutput};
use crate::setup::{
    check_judge, embed_batch, given_dir, is_url, open_embedder, open_judge, open_llm, open_reranker,
};
use crate::strategy;

pub fn run(args: RunArgs) -> Result<i32> {
    let strategies = strategy::resolve(&args.strategies)?;
    let mut needs_llm = false;
    for s in &strategies {
        // fail on a bad strategy before loading anything heavy
        needs_llm |= chunk::build(s)?.needs_llm();
    }
    let setups = retrieval_setups(&args)?;
    let reranks = setups.iter().any(|s| s.rerank);
    check_rerank_flags(&args.retrieval, reranks)?;
    // A shard run chunks and embeds only: reranking and the answer metrics, which work on
    // retrieved chunks, are the final run's.
    let sharded = args.shard.is_some();
    needs_llm |= reranks && !sharded && args.retrieval.reranker.as_deref() == Some("local");
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
    let wants_answers = !sharded && (args.answers.utility || args.answers.judge.is_some());
    let llm = if needs_llm || wants_answers {
        Some(open_llm(&args.llm, given_dir(&args.model.models_dir))?)
    } else {
        None
    };
    let rerank = match reranks && !sharded {
        true => Some(open_reranker(&args.retrieval, llm.as_ref(), &args.llm)?),
        false => None,
    };
    let answers = match sharded {
        true => AnswerSetup::default(),
        false => answer_setup(&args, llm.as_ref())?,
    };
    let config = RunConfig {
        dataset,
        dataset_path: args.dataset.clone(),
        strategies,
        k: args.k,
        setups,
        rerank,
        batch: embed_batch(&args.model),
        embed_price: args.embed_price,
        found_share: args.found_share,
        bootstrap: args.bootstrap,
        seed: args.seed,
        llm,
        answers,
    };
    let stage = |models: Option<Models>| match args.shard {
        Some(shard) => crate::run::shard::fill(&config, shard, models, &progress)
            .and_then(|report| write_shard(&out, &report, args.quiet)),
        None => crate::run::run(&config, models, &progress)
            .and_then(|output| write_outputs(&out, &output, args.quiet)),
    };
    if config.needs_embedder()? {
        let (mut embedder, mut cache) = open_embedder(&args.model)?;
        stop_cleanly_on_ctrl_c(&out, Some(cache.path()), config.llm.as_ref());
        stage(Some(Models {
            embedder: &mut *embedder,
            cache: &mut cache,
        }))?;
    } else {
        stop_cleanly_on_ctrl_c(&out, None, config.llm.as_ref());
        stage(None)?;
    }
    Ok(0)
}

/// A shard run's record, `shard.json`, and one line on what it filled.
fn write_shard(out: &Path, report: &ShardReport, quiet: bool) -> Result<()> {
    let path = out.join("shard.json");
    let json = serde_json::to_vec_pretty(report).expect("the shard report serialises");
    crate::atomic::write_atomic(&path, &json)?;
    if !quiet {
        let chunks: usize = report.chunks.iter().map(|(_, n)| n).sum();
        println!(
            "shard {}: chunked {} of {} documents into {chunks} units and embedded {} of {} questions in {:.1} s; the caches hold them. Next: `chunkbench cache merge` over every shard's caches, then the same command without --shard. Wrote {}",
            report.shard,
            report.documents,
            report.dataset_documents,
            report.questions,
            report.dataset_questions,
            report.timings.total_seconds,
            path.display()
        );
    }
    Ok(())
}

/// The retrieval setups of the flags, else of the grid's `[retrieval]` table, else dense top-k.
fn retrieval_setups(args: &RunArgs) -> Result<Vec<Setup>> {
    let grid = strategy::grid_retrieval(&args.strategies)?.unwrap_or_default();
    let retrievers = match args.retrieval.retrievers.is_empty() {
        true => &grid.retrievers,
        false => &args.retrieval.retrievers,
    };
    let budget = match args.retrieval.budget.is_empty() {
        true => &grid.budget,
        false => &args.retrieval.budget,
    };
    let handovers = crate::retrieve::setup::parse_handovers(budget, args.k)?;
    crate::retrieve::setup::plan(retrievers, &handovers)
}

/// `--reranker` is needed exactly when a retriever ends in `+rerank`.
fn check_rerank_flags(args: &RetrievalArgs, reranks: bool) -> Result<()> {
    match (&args.reranker, reranks) {
        (None, true) => Err(Error::Usage(
            "a retriever ends in +rerank, but --reranker is not given; add --reranker local (the embedded language model) or --reranker http://HOST:PORT/v1".into(),
        )),
        (Some(r), false) => Err(Error::Usage(format!(
            "--reranker {r} is given, but no retriever ends in +rerank; add one, e.g. --retrievers dense,dense+rerank"
        ))),
        (Some(r), true) if r != "local" && !is_url(r) => {
            Err(Error::Usage(format!(
                "--reranker {r:?}: give `local` (the embedded language model) or a rerank endpoint URL (http://HOST:PORT/v1)"
            )))
        }
        _ => Ok(()),
    }
}

/// Ctrl-C (SIGINT) ends the run with exit code 130 and one line that says what was kept: every
/// vector and model answer already computed is in the caches (flushed batch by batch; a record cut
/// short is dropped at the next open), tables are written only at the end, and the same command
/// resumes.
fn stop_cleanly_on_ctrl_c(out: &Path, embeddings: Option<&Path>, llm: Option<&LlmSetup>) {
    let mut kept: Vec<String> = Vec::new();
    if let Some(e) = embeddings {
        kept.push(format!(
            "the embeddings computed so far are kept in {}",
            e.display()
        ));
    }
    if let Some(c) = llm.and_then(|l| l.cache.as_ref()) {
        kept.push(format!("the model answers in {}", c.path().display()));
    }
    let kept = match kept.is_empty() {
        true => "nothing needed keeping".to_string(),
        false => kept.join(" and "),
    };
    let line = format!(
        "interrupted: {kept}; the tables in {} are written only when a run completes; run the same command again to resume",
        out.display()
    );
    // A second handler cannot be installed in one process; the first one stays (tests call
    // `run` once per process).
    let _ = ctrlc::set_handler(move || {
        eprintln!("\n{line}");
        // `_exit`, not `exit`: running the C++ static destructors (ONNX Runtime's) while the main
        // thread is inside a model call made ONNX Runtime print an error line after ours. What is
        // on disk is already complete record by record, as after a SIGKILL (tests/resume.rs).
        // SAFETY: `_exit` ends the process at once and touches no Rust state.
        unsafe { libc::_exit(130) }
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
