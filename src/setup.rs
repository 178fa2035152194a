//! Model and endpoint setup, in one place: the embedder and its cache, the language model of the
//! `--llm-*` flags, and the judge of `--judge`. `chunkbench run`, `chunk` and `questions generate`
//! all open their models here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{AnswerArgs, LlmArgs, ModelArgs, RetrievalArgs};
use crate::embed::open::{Backend, HttpSpec};
use crate::embed::st_config::Pooling;
use crate::embed::{Embedder, EmbedderSpec, EmbeddingCache, Prefixes};
use crate::error::{Error, Result};
use crate::llm::http::{HttpConfig, HttpLlm};
use crate::llm::local::{default_model_path, LocalLlm};
use crate::llm::{Llm, LlmCache, LlmSetup};
use crate::rerank::http::HttpReranker;
use crate::rerank::local::LlmReranker;
use crate::rerank::{RerankStage, Reranker};

/// A directory flag, with an empty value (e.g. `CHUNKBENCH_MODELS=`) read as not given.
pub fn given_dir(dir: &Option<std::path::PathBuf>) -> Option<&Path> {
    dir.as_deref().filter(|d| !d.as_os_str().is_empty())
}

/// The embedder the model flags describe.
pub fn embedder_spec(args: &ModelArgs) -> Result<EmbedderSpec> {
    let backend = match &args.embed_url {
        Some(url) => Backend::Http(HttpSpec {
            url: url.clone(),
            model: args.embed_model_name.clone(),
            tokenizer: args.embed_tokenizer.clone(),
            key_env: args.embed_key_env.clone(),
            batch: args.embed_batch as usize,
            batch_tokens: args.embed_batch_tokens as usize,
            concurrency: args.embed_concurrency as usize,
            timeout: Duration::from_secs_f64(args.embed_timeout),
            retries: args.embed_retries,
        }),
        None => Backend::Local(given_dir(&args.embed_model).map(Path::to_path_buf)),
    };
    Ok(EmbedderSpec {
        backend,
        pooling: args.pooling.as_deref().map(Pooling::parse).transpose()?,
        max_tokens: args.max_length.map(|n| n as usize),
        prefixes: Prefixes {
            query: args.query_prefix.clone(),
            document: args.document_prefix.clone(),
        },
        threads: args.threads,
        sessions: args.sessions,
    })
}

/// Texts handed to the embedder at once: `--batch`, or for an endpoint enough for every request
/// slot (`--embed-batch` × `--embed-concurrency`), so requests of `--embed-batch` texts go out in
/// parallel.
pub fn embed_batch(args: &ModelArgs) -> usize {
    match args.embed_url {
        Some(_) => (args.embed_batch * args.embed_concurrency) as usize,
        None => args.batch as usize,
    }
}

/// Opens the embedder of the model flags and its cache (the cache directory is checked first, so
/// a bad one fails before a model loads).
pub fn open_embedder(args: &ModelArgs) -> Result<(Box<dyn Embedder>, EmbeddingCache)> {
    let cache_dir = crate::paths::embeddings_dir(given_dir(&args.cache_dir));
    crate::paths::prepare_dir(&cache_dir, "--cache-dir (or CHUNKBENCH_CACHE)")?;
    let models_dir = crate::paths::models_dir(given_dir(&args.models_dir));
    let embedder = crate::embed::open(&embedder_spec(args)?, &models_dir)?;
    let cache = EmbeddingCache::open(&cache_dir, embedder.id())?;
    for w in cache.warnings() {
        eprintln!("warning: {w}");
    }
    Ok((embedder, cache))
}

/// Opens the language model the flags name (an endpoint with `--llm-url`, else the embedded GGUF
/// model) and its response cache.
pub fn open_llm(args: &LlmArgs, models_dir: Option<&Path>) -> Result<LlmSetup> {
    let cache_dir = (!args.no_llm_cache).then(|| {
        args.llm_cache_dir
            .clone()
            .unwrap_or_else(crate::paths::llm_cache_dir)
    });
    if let Some(dir) = &cache_dir {
        crate::paths::prepare_dir(dir, "--llm-cache-dir")?;
    }
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
    let cache = if let Some(dir) = cache_dir {
        let cache = LlmCache::open(&dir, model.id())?;
        for w in cache.warnings() {
            eprintln!("warning: {w}");
        }
        Some(Arc::new(cache))
    } else {
        None
    };
    Ok(LlmSetup { model, cache })
}

/// Opens the reranker of `--reranker`: the embedded language model (`local`, sharing the run's
/// language model and its response cache) or a `/rerank` endpoint (its scores cached in the
/// model-response cache directory).
pub fn open_reranker(
    args: &RetrievalArgs,
    llm: Option<&LlmSetup>,
    llm_args: &LlmArgs,
) -> Result<RerankStage> {
    let depth = args.rerank_depth;
    match args.reranker.as_deref() {
        Some("local") => {
            let llm = llm.ok_or_else(|| {
                Error::Usage(
                    "--reranker local needs the language model of --llm-*, and none was opened"
                        .into(),
                )
            })?;
            Ok(RerankStage {
                model: Arc::new(LlmReranker::new(llm.model.clone(), args.rerank_verdict)),
                cache: llm.cache.clone(),
                depth,
            })
        }
        Some(url) => {
            let mut config = crate::http::Config::new(url);
            config.key_env = args.rerank_key_env.clone();
            config.timeout = Duration::from_secs_f64(args.rerank_timeout);
            let model: Arc<dyn Reranker> =
                Arc::new(HttpReranker::new(config, &args.rerank_model_name)?);
            let cache = match llm_args.no_llm_cache {
                true => None,
                false => {
                    let dir = llm_args
                        .llm_cache_dir
                        .clone()
                        .unwrap_or_else(crate::paths::llm_cache_dir);
                    crate::paths::prepare_dir(&dir, "--llm-cache-dir")?;
                    Some(Arc::new(LlmCache::open(&dir, model.id())?))
                }
            };
            Ok(RerankStage {
                model,
                cache,
                depth,
            })
        }
        None => Err(Error::Usage("no --reranker given".into())),
    }
}

/// Whether a flag (`--judge`, `--reranker`) names an endpoint rather than a file or a word.
pub fn is_url(judge: &str) -> bool {
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
