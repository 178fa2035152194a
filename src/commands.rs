//! What each subcommand does, on top of the library stages.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chunk::{self, sizer::cl100k_tokens};
use crate::cli::{
    BaselineCommand, ChunkArgs, Cli, Command, CompareArgs, DatasetCommand, ModelArgs,
    QuestionsCommand, RunArgs,
};
use crate::commands_llm::{cost_line, open_llm};
use crate::dataset::{read_document, stats, RawDataset};
use crate::embed::{local::LocalModel, local::MINILM, EmbeddingCache};
use crate::error::{Error, Result};
use crate::output::Progress;
use crate::report;
use crate::run::{run, RunConfig};
use crate::strategy::{self, Strategy};

/// Word pieces the default model reads (sentence-transformers' setting for all-MiniLM-L6-v2).
const MAX_TOKENS: usize = 256;

/// Runs a parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Plot(args) => plot_command(args),
        Command::Chunk(args) => chunk_command(args),
        Command::Dataset(DatasetCommand::Validate { path }) => validate_command(&path),
        Command::Dataset(DatasetCommand::Stats { path }) => stats_command(&path),
        Command::Compare(args) => compare_command(args),
        Command::Baseline(BaselineCommand::Save { run, to }) => baseline_save(&run, &to),
        Command::Questions(QuestionsCommand::Generate(args)) => {
            crate::commands_llm::questions_command(args)
        }
        Command::Serve(args) => crate::commands_llm::serve_command(args),
    }
}

fn run_command(args: RunArgs) -> Result<i32> {
    let strategies = strategy::resolve(&args.strategies)?;
    let mut needs_llm = false;
    for s in &strategies {
        // fail on a bad strategy before loading anything heavy
        needs_llm |= chunk::build(s)?.needs_llm();
    }
    if args.answers.answer_sample.is_some() && !args.answers.utility && args.answers.judge.is_none()
    {
        return Err(Error::Usage(
            "--answer-sample samples the questions of the answer metrics; add --utility and/or --judge".into(),
        ));
    }
    if let Some(j) = &args.answers.judge {
        crate::commands_llm::check_judge(j)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.dataset, &args.strategies));
    let dataset = crate::dataset::Dataset::load(&args.dataset)?;
    // Before any model loads.
    crate::answers::check(args.answers.utility, args.answers.answer_sample, &dataset)?;
    let progress = Progress::new(args.quiet);
    let (mut embedder, mut cache) = open_embedder(&args.model)?;
    let wants_answers = args.answers.utility || args.answers.judge.is_some();
    let llm = if needs_llm || wants_answers {
        Some(open_llm(&args.llm, args.model.models_dir.as_deref())?)
    } else {
        None
    };
    let answers = crate::answers::AnswerSetup {
        utility: llm.clone().filter(|_| args.answers.utility),
        generator: llm.clone().filter(|_| args.answers.judge.is_some()),
        judge: match &args.answers.judge {
            Some(j) => Some(crate::commands_llm::open_judge(
                j,
                &args.answers,
                &args.llm,
            )?),
            None => None,
        },
        sample: args.answers.answer_sample,
    };
    let config = RunConfig {
        dataset,
        dataset_path: args.dataset.clone(),
        strategies,
        k: args.k,
        batch: args.model.batch as usize,
        max_tokens: MAX_TOKENS,
        found_share: args.found_share,
        bootstrap: args.bootstrap,
        seed: args.seed,
        llm,
        answers,
    };
    let output = run(&config, &mut embedder, &mut cache, &progress)?;
    let written = report::write_run(&out, &output.results, Some(&output.timings))?;
    if !args.quiet {
        println!(
            "{}",
            report::terminal::summary(&output.results, &output.timings)
        );
        println!("{}", report::terminal::written(&written, &out));
    }
    Ok(0)
}

/// `chunkbench plot`: figures and report.html from a finished run's files.
fn plot_command(args: crate::cli::PlotArgs) -> Result<i32> {
    for p in report::plot(&args.results, args.out.as_deref())? {
        println!("wrote {}", p.display());
    }
    Ok(0)
}

/// Loads the local model and opens its cache, as the model flags say.
pub(crate) fn open_embedder(args: &ModelArgs) -> Result<(LocalModel, EmbeddingCache)> {
    let models_dir = crate::paths::models_dir(args.models_dir.as_deref());
    let embedder = LocalModel::load(&models_dir, MINILM, MAX_TOKENS, args.threads)?;
    let cache_dir = crate::paths::embeddings_dir(args.cache_dir.as_deref());
    let cache = EmbeddingCache::open(&cache_dir, crate::embed::Embedder::id(&embedder))?;
    Ok((embedder, cache))
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

fn chunk_command(args: ChunkArgs) -> Result<i32> {
    let strategy = Strategy::parse(&args.strategy)?;
    let chunker = chunk::build(&strategy)?;
    let text = read_document(&args.file)?;
    let llm = if chunker.needs_llm() {
        Some(open_llm(&args.llm, args.model.models_dir.as_deref())?.handle())
    } else {
        None
    };
    let spans = if chunker.needs_embeddings() {
        let (mut embedder, mut cache) = open_embedder(&args.model)?;
        let env =
            crate::embed::SharedEmbedder::new(&mut embedder, &mut cache, args.model.batch as usize);
        chunk_with(&*chunker, &text, &env, llm.as_ref())?
    } else {
        chunk_with(&*chunker, &text, &chunk::NoEmbeddings, llm.as_ref())?
    };
    if let Some(l) = &llm {
        eprintln!("language model: {}", cost_line(&l.cost()));
    }
    let index = crate::text::CharIndex::new(&text);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for span in spans {
        let piece = &text[span.start..span.end];
        let line = serde_json::json!({
            "start": index.byte_to_char(span.start),
            "end": index.byte_to_char(span.end),
            "tokens": cl100k_tokens(piece),
            "chars": piece.chars().count(),
            "text": piece,
        });
        if writeln!(out, "{line}").is_err() {
            return Ok(0); // stdout closed (e.g. piped into head)
        }
    }
    let _ = out.flush();
    Ok(0)
}

/// Chunks `text`, handing LLM chunkers their model (metered) on top of `env`.
fn chunk_with(
    chunker: &dyn chunk::Chunker,
    text: &str,
    env: &dyn chunk::ChunkEnv,
    llm: Option<&crate::llm::CachedLlm>,
) -> Result<Vec<chunk::Span>> {
    match llm {
        Some(l) => {
            let env = crate::llm::WithLlm {
                base: env,
                llm: Some(l.clone()),
            };
            chunker.chunk(text, &env)
        }
        None => chunker.chunk(text, env),
    }
}

fn validate_command(path: &Path) -> Result<i32> {
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
            "{} problems in {} gold excerpts (listed above)",
            problems.len(),
            excerpts
        ),
    ))
}

fn stats_command(path: &Path) -> Result<i32> {
    let dataset = crate::dataset::Dataset::load(path)?;
    print!("{}", stats::render(&dataset));
    Ok(0)
}

fn compare_command(args: CompareArgs) -> Result<i32> {
    use crate::report::compare;
    use crate::results::RunResults;
    let baseline = RunResults::load(&args.baseline)?;
    let current = RunResults::load(&args.current)?;
    let mut tolerances = compare::tolerances(&args.tolerance)?;
    if !args.metrics.is_empty() {
        for m in &args.metrics {
            if !tolerances.iter().any(|(name, _)| name == m) {
                return Err(Error::Usage(format!("--metrics: unknown metric {m:?}")));
            }
        }
        tolerances.retain(|(name, _)| args.metrics.contains(name));
    }
    if args.bootstrap == 0 {
        return Err(Error::Usage("--bootstrap must be at least 1".into()));
    }
    let result = compare::compare(&baseline, &current, &tolerances, args.bootstrap, args.seed)?;
    print!("{}", compare::render_terminal(&result));
    if let Some(path) = &args.markdown {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.write_all(compare::render_markdown(&result).as_bytes())
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(if result.regressions().next().is_some() {
        1
    } else {
        0
    })
}

fn baseline_save(run: &Path, to: &Path) -> Result<i32> {
    let mut results = crate::results::RunResults::load(run)?;
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
