//! Model and endpoint setup, in one place: the embedder and its cache, the language model of the
//! `--llm-*` flags, and the judge of `--judge`. `chunkbench run`, `chunk` and `questions generate`
//! all open their models here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{AnswerArgs, LlmArgs, ModelArgs};
use crate::embed::{local::LocalModel, local::MINILM, EmbeddingCache};
use crate::error::{Error, Result};
use crate::llm::http::{HttpConfig, HttpLlm};
use crate::llm::local::{default_model_path, LocalLlm};
use crate::llm::{Llm, LlmCache, LlmSetup};

/// Word pieces the default model reads (sentence-transformers' setting for all-MiniLM-L6-v2).
pub const MAX_TOKENS: usize = 256;

/// A directory flag, with an empty value (e.g. `CHUNKBENCH_MODELS=`) read as not given.
pub fn given_dir(dir: &Option<std::path::PathBuf>) -> Option<&Path> {
    dir.as_deref().filter(|d| !d.as_os_str().is_empty())
}

/// Loads the local model and opens its cache, as the model flags say.
pub fn open_embedder(args: &ModelArgs) -> Result<(LocalModel, EmbeddingCache)> {
    let models_dir = crate::paths::models_dir(given_dir(&args.models_dir));
    let embedder = LocalModel::load(&models_dir, MINILM, MAX_TOKENS, args.threads)?;
    let cache_dir = crate::paths::embeddings_dir(given_dir(&args.cache_dir));
    let cache = EmbeddingCache::open(&cache_dir, crate::embed::Embedder::id(&embedder))?;
    for w in cache.warnings() {
        eprintln!("warning: {w}");
    }
    Ok((embedder, cache))
}

/// Opens the language model the flags name (an endpoint with `--llm-url`, else the embedded GGUF
/// model) and its response cache.
pub fn open_llm(args: &LlmArgs, models_dir: Option<&Path>) -> Result<LlmSetup> {
    let model: Arc<dyn Llm> = match &args.llm_url {
        Some(url) => {
            let timeout = Duration::try_from_secs_f64(args.llm_timeout)
                .ok()
                .filter(|t| !t.is_zero())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--llm-timeout must be a positive number of seconds, got {}",
                        args.llm_timeout
                    ))
                })?;
            let mut config = HttpConfig::new(url, &args.llm_model_name);
            config.key_env = args.llm_key_env.clone();
            config.timeout = timeout;
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
        let cache = LlmCache::open(&dir, model.id())?;
        for w in cache.warnings() {
            eprintln!("warning: {w}");
        }
        Some(Arc::new(cache))
    };
    Ok(LlmSetup { model, cache })
}

/// Whether `--judge` names an endpoint rather than a file.
fn is_url(judge: &str) -> bool {
    judge.starts_with("http://") || judge.starts_with("https://")
}

/// Checks `--judge` before anything heavy is loaded: an http(s) URL or an existing file.
pub fn check_judge(judge: &str) -> Result<()> {
    if is_url(judge) || Path::new(judge).is_file() {
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
    if is_url(judge) {
        args.llm_url = Some(judge.to_string());
        args.llm_model_name = answers.judge_model_name.clone();
        args.llm_key_env = answers.judge_key_env.clone();
    } else {
        args.llm_url = None;
        args.llm_model = Some(Path::new(judge).to_path_buf());
    }
    open_llm(&args, None)
}
