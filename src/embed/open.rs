//! The one place that turns the embedder flags into an [`Embedder`]: the bundled model, a local
//! sentence-transformers directory, or an OpenAI-compatible endpoint.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::http::{HttpEmbedConfig, HttpEmbedder};
use super::local::{LocalModel, LocalOptions, MINILM};
use super::st_config::Pooling;
use super::{Embedder, Prefixes};
use crate::error::{Error, Result};

/// Which embedder, and how to run it.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A model directory: `None` is the bundled all-MiniLM-L6-v2 of the models directory.
    Local(Option<PathBuf>),
    /// An OpenAI-compatible endpoint.
    Http(HttpSpec),
}

/// The endpoint flags.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    pub url: String,
    pub model: String,
    /// A `tokenizer.json` to count tokens with (else cl100k).
    pub tokenizer: Option<PathBuf>,
    pub key_env: String,
    pub batch: usize,
    pub batch_tokens: usize,
    pub concurrency: usize,
    pub timeout: Duration,
    pub retries: u32,
}

/// Everything that chooses and configures the embedder.
#[derive(Debug, Clone)]
pub struct EmbedderSpec {
    pub backend: Backend,
    pub pooling: Option<Pooling>,
    pub max_tokens: Option<usize>,
    pub prefixes: Prefixes,
    /// ONNX Runtime intra-op threads per session, and sessions in parallel (local models; 0:
    /// chosen, see [`super::local::ThreadSplit::resolve`]).
    pub threads: usize,
    pub sessions: usize,
}

/// Resolves `--embed-model`: an existing directory, else a name under the models directory.
fn model_dir(given: &Path, models_dir: &Path) -> Result<PathBuf> {
    if given.is_dir() {
        return Ok(given.to_path_buf());
    }
    let named = models_dir.join(given);
    if given.components().count() == 1 && named.is_dir() {
        return Ok(named);
    }
    Err(Error::Usage(format!(
        "--embed-model {}: no such model directory (nor {}); give a sentence-transformers model exported to ONNX (model.onnx + tokenizer files), or a model name under the models directory (`make models` installs {MINILM}, `make models-mpnet` all-mpnet-base-v2)",
        given.display(),
        named.display()
    )))
}

/// A tokenizer to count tokens with: `file` without truncation or padding.
fn load_counter(file: &Path) -> Result<tokenizers::Tokenizer> {
    let fail = |e: &dyn std::fmt::Display| {
        Error::Usage(format!(
            "--embed-tokenizer {}: {e}; give the endpoint model's tokenizer.json",
            file.display()
        ))
    };
    let mut t = tokenizers::Tokenizer::from_file(file).map_err(|e| fail(&e))?;
    t.with_padding(None);
    t.with_truncation(None).map_err(|e| fail(&e))?;
    Ok(t)
}

/// Opens the embedder `spec` names.
pub fn open(spec: &EmbedderSpec, models_dir: &Path) -> Result<Box<dyn Embedder>> {
    let options = LocalOptions {
        pooling: spec.pooling,
        max_tokens: spec.max_tokens,
        prefixes: spec.prefixes.clone(),
        threads: spec.threads,
        sessions: spec.sessions,
    };
    Ok(match &spec.backend {
        Backend::Local(None) => Box::new(LocalModel::bundled(models_dir, options)?),
        Backend::Local(Some(given)) if given.as_os_str() == MINILM => {
            Box::new(LocalModel::bundled(models_dir, options)?)
        }
        Backend::Local(Some(given)) => Box::new(LocalModel::load(
            &model_dir(given, models_dir)?,
            models_dir,
            options,
        )?),
        Backend::Http(h) => {
            if spec.pooling.is_some() {
                return Err(Error::Usage(
                    "--pooling applies to local models; an endpoint pools as its server is configured".into(),
                ));
            }
            let mut http = crate::http::Config::new(&h.url);
            http.key_env = h.key_env.clone();
            http.timeout = h.timeout;
            http.retries = h.retries;
            http.concurrency = h.concurrency;
            http.timeout_flag = "--embed-timeout".into();
            let counter = h.tokenizer.as_deref().map(load_counter).transpose()?;
            Box::new(HttpEmbedder::new(HttpEmbedConfig {
                http,
                model: h.model.clone(),
                counter,
                batch: h.batch,
                batch_tokens: h.batch_tokens,
                max_tokens: spec.max_tokens,
                prefixes: spec.prefixes.clone(),
            })?)
        }
    })
}
