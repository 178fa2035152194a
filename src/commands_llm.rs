//! The subcommands and setup that involve a language model: opening the model the flags name,
//! `chunkbench questions generate` and `chunkbench serve`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{AnswerArgs, LlmArgs, QuestionsArgs, ServeArgs};

use crate::error::{Error, Result};
use crate::llm::http::{HttpConfig, HttpLlm};
use crate::llm::local::{default_model_path, LocalLlm};
use crate::llm::{cache, Llm, LlmCache, LlmCost, LlmSetup};

/// Opens the language model the flags name (an endpoint with `--llm-url`, else the embedded GGUF
/// model) and its response cache.
pub fn open_llm(args: &LlmArgs, models_dir: Option<&Path>) -> Result<LlmSetup> {
    let model: Arc<dyn Llm> = match &args.llm_url {
        Some(url) => {
            if !(args.llm_timeout.is_finite() && args.llm_timeout > 0.0) {
                return Err(Error::Usage(format!(
                    "--llm-timeout must be a positive number of seconds, got {}",
                    args.llm_timeout
                )));
            }
            let mut config = HttpConfig::new(url, &args.llm_model_name);
            config.key_env = args.llm_key_env.clone();
            config.timeout = Duration::from_secs_f64(args.llm_timeout);
            config.retries = args.llm_retries;
            config.concurrency = args.llm_concurrency as usize;
            Arc::new(HttpLlm::new(config)?)
        }
        None => {
            let path = match &args.llm_model {
                Some(p) => p.clone(),
                None => default_model_path(&crate::paths::models_dir(models_dir))?,
            };
            LocalLlm::load(&path, args.llm_threads)?
        }
    };
    let cache = if args.no_llm_cache {
        None
    } else {
        let dir = args
            .llm_cache_dir
            .clone()
            .unwrap_or_else(crate::paths::llm_cache_dir);
        Some(Arc::new(LlmCache::open(&dir, model.id())?))
    };
    Ok(LlmSetup { model, cache })
}

/// Checks `--judge` before anything heavy is loaded: an http(s) URL or an existing file.
pub fn check_judge(judge: &str) -> Result<()> {
    if judge.starts_with("http://") || judge.starts_with("https://") || Path::new(judge).is_file() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--judge {judge}: no such file; give an OpenAI-compatible endpoint (http://HOST:PORT/v1) or a GGUF model file"
    )))
}

/// Opens the judge of `--judge`: an endpoint when it is an http(s) URL, else a local GGUF file.
/// It shares the language model's timeout, retries, concurrency, threads and cache directory.
pub fn open_judge(judge: &str, answers: &AnswerArgs, llm: &LlmArgs) -> Result<LlmSetup> {
    check_judge(judge)?;
    let mut args = llm.clone();
    if judge.starts_with("http://") || judge.starts_with("https://") {
        args.llm_url = Some(judge.to_string());
        args.llm_model_name = answers.judge_model_name.clone();
        args.llm_key_env = answers.judge_key_env.clone();
    } else {
        args.llm_url = None;
        args.llm_model = Some(Path::new(judge).to_path_buf());
    }
    open_llm(&args, None)
}

/// One line of what a language model cost, for the terminal.
pub fn cost_line(c: &LlmCost) -> String {
    format!(
        "{} model calls ({} from the cache), {} prompt + {} completion tokens, {:.1} s of model time, {} fallbacks — {}",
        c.calls, c.cache_hits, c.prompt_tokens, c.completion_tokens, c.seconds, c.fallbacks, c.model
    )
}

/// `chunkbench serve`.
pub fn serve_command(args: ServeArgs) -> Result<i32> {
    let path = match &args.llm_model {
        Some(p) => p.clone(),
        None => default_model_path(&crate::paths::models_dir(args.models_dir.as_deref()))?,
    };
    let llm = LocalLlm::load(&path, args.llm_threads)?;
    crate::llm::serve::serve(llm, args.port, args.max_requests, |port| {
        use std::io::Write;
        println!(
            "chunkbench serve: listening on http://127.0.0.1:{port}/v1 ({})",
            path.display()
        );
        let _ = std::io::stdout().flush();
    })?;
    Ok(0)
}

/// `chunkbench questions generate`.
pub fn questions_command(args: QuestionsArgs) -> Result<i32> {
    use crate::questions::{generate, load_corpus, write_dataset, Settings};
    if !(args.dedup > 0.0 && args.dedup <= 1.0) {
        return Err(Error::Usage(format!(
            "--dedup must be a cosine similarity in (0, 1], got {}",
            args.dedup
        )));
    }
    if args.per_doc == 0 {
        return Err(Error::Usage("--per-doc must be at least 1".into()));
    }
    if args.out.join("questions.jsonl").exists() {
        return Err(Error::Usage(format!(
            "{} already exists; choose another --out or remove it",
            args.out.join("questions.jsonl").display()
        )));
    }
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
    let setup = open_llm(&args.llm, args.model.models_dir.as_deref())?;
    let (mut embedder, mut cache) = crate::commands::open_embedder(&args.model)?;
    let llm = setup.handle();
    let quiet = args.quiet;
    let settings = Settings {
        per_doc: args.per_doc,
        dedup: args.dedup,
        ..Settings::default()
    };
    let batch = args.model.batch as usize;
    let mut embed = |texts: &[&str]| {
        crate::embed::embed_cached(&mut embedder, &mut cache, texts, batch, |_, _| {})
    };
    let (questions, report) = generate(&docs, &llm, &mut embed, &settings, &|line| {
        if !quiet {
            eprintln!("  {line}");
        }
    })?;
    write_dataset(&args.out, &docs, &questions, &report)?;
    if !quiet {
        println!(
            "{} documents, {} attempts: {} questions kept; dropped {} (unusable sentence choice), {} (unverified question), {} (near-duplicates).\nLanguage model: {}\nWrote {}/documents/, questions.jsonl and generation.json; check with `chunkbench dataset validate {}`",
            report.documents,
            report.attempted,
            report.kept,
            report.dropped_bad_selection,
            report.dropped_unverified,
            report.dropped_duplicates,
            cost_line(&report.cost),
            args.out.display(),
            args.out.display()
        );
    }
    Ok(0)
}
