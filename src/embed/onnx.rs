//! ONNX Runtime for the local models: the process's one environment on the library `make models`
//! installs (or `ORT_DYLIB_PATH`), a model directory's tokenizer files, and the sessions of a
//! graph ([`Sessions`]).

use std::path::{Path, PathBuf};

use fastembed::{InitOptionsUserDefined, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel};

use crate::error::{Error, Result};
use crate::paths::require;

/// The ONNX Runtime library file the setup step installs.
pub const ORT_LIBRARY: &str = "onnxruntime/libonnxruntime.so.1.24.4";

/// What an embedding session is made of: the model directory's graph and tokenizer, on the
/// process's ONNX Runtime environment, with `threads` intra-op threads.
pub(crate) struct Sessions {
    pub dir: PathBuf,
    pub tokenizer: TokenizerFiles,
    pub max_tokens: usize,
    pub env: ort::environment::Environment,
    pub threads: usize,
}

impl Sessions {
    /// One session of the graph `onnx` (the bytes of the directory's `model.onnx`).
    pub fn load(&self, onnx: Vec<u8>) -> Result<TextEmbedding> {
        let opts = InitOptionsUserDefined::new()
            .with_max_length(self.max_tokens)
            .with_environment(self.env.clone())
            .with_intra_threads(self.threads);
        TextEmbedding::try_new_from_user_defined(
            UserDefinedEmbeddingModel::new(onnx, self.tokenizer.clone()),
            opts,
        )
        .map_err(|e| {
            Error::Model(format!(
                "cannot load the embedding model in {}: {}; the directory must hold an ONNX export of the model (model.onnx) and its tokenizer files: re-create it (`scripts/fetch-models.sh --force` for the bundled model)",
                self.dir.display(),
                e.to_string().trim_end_matches('.')
            ))
        })
    }
}

/// The process's ONNX Runtime environment on the library of `models_dir` (or `ORT_DYLIB_PATH`),
/// for code that runs an ONNX session of its own beside the embedders (the embedding bench).
pub fn runtime(models_dir: &Path) -> Result<ort::environment::Environment> {
    environment(&runtime_library(models_dir)?)
}

/// The ONNX Runtime library: `ORT_DYLIB_PATH`, else the one `make models` installs.
pub(crate) fn runtime_library(models_dir: &Path) -> Result<PathBuf> {
    match std::env::var_os("ORT_DYLIB_PATH").filter(|x| !x.is_empty()) {
        Some(p) => Ok(PathBuf::from(p)),
        None => require(models_dir, ORT_LIBRARY),
    }
}

/// The process's ONNX Runtime environment (ONNX Runtime allows one per process; every model a
/// process loads — a run, `serve`, a test loading two — shares it).
pub(crate) fn environment(lib: &Path) -> Result<ort::environment::Environment> {
    static ENV: std::sync::Mutex<Option<ort::environment::Environment>> =
        std::sync::Mutex::new(None);
    let mut env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = &*env {
        return Ok(e.clone());
    }
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        Error::Model(format!(
            "cannot {what} ONNX Runtime from {}: {e}",
            lib.display()
        ))
    };
    let built = ort::init_from(lib)
        .map_err(|e| fail("load", &e))?
        .with_name("chunkbench")
        .build()
        .map_err(|e| fail("start", &e))?;
    Ok(env.insert(built).clone())
}

/// The four tokenizer files fastembed reads; `tokenizer_config.json` gets the numeric
/// `model_max_length` and the `pad_token` fastembed needs when the export lacks them.
pub(crate) fn tokenizer_files(dir: &Path, max_tokens: usize) -> Result<TokenizerFiles> {
    let read = |rel: &str| -> Result<Vec<u8>> {
        let p = dir.join(rel);
        std::fs::read(&p).map_err(|e| {
            Error::Model(format!(
                "{}: cannot read it ({e}); a model directory needs model.onnx, tokenizer.json, config.json, special_tokens_map.json and tokenizer_config.json",
                p.display()
            ))
        })
    };
    let mut config: serde_json::Value = serde_json::from_slice(&read("tokenizer_config.json")?)
        .map_err(|e| {
            Error::Model(format!(
                "{}: not valid JSON ({e})",
                dir.join("tokenizer_config.json").display()
            ))
        })?;
    if !config["model_max_length"].is_u64() || config["model_max_length"].as_u64() > Some(1 << 20) {
        config["model_max_length"] = max_tokens.into();
    }
    if config["pad_token"].is_null() {
        config["pad_token"] = "[PAD]".into();
    }
    Ok(TokenizerFiles {
        tokenizer_file: read("tokenizer.json")?,
        config_file: read("config.json")?,
        special_tokens_map_file: read("special_tokens_map.json")?,
        tokenizer_config_file: serde_json::to_vec(&config).expect("JSON"),
    })
}

/// The model's tokenizer as its sessions build it (`tokenizer.json` with the special tokens of
/// `special_tokens_map.json` added), without padding or truncation: what counts the tokens the
/// model reads, with no session loaded. The first session loaded checks it reads alike
/// ([`same_tokenizer`]).
pub(crate) fn counting_tokenizer(
    dir: &Path,
    files: &TokenizerFiles,
) -> Result<tokenizers::Tokenizer> {
    let fail = |file: &str, e: &dyn std::fmt::Display| {
        Error::Model(format!("{}: {e}", dir.join(file).display()))
    };
    let mut t = tokenizers::Tokenizer::from_bytes(&files.tokenizer_file)
        .map_err(|e| fail("tokenizer.json", &e))?;
    let map: serde_json::Value = serde_json::from_slice(&files.special_tokens_map_file)
        .map_err(|e| fail("special_tokens_map.json", &e))?;
    for value in map.as_object().into_iter().flat_map(|m| m.values()) {
        let token = match value {
            serde_json::Value::String(content) => Some(tokenizers::AddedToken {
                content: content.clone(),
                special: true,
                ..Default::default()
            }),
            // An object counts only with all its fields, as the sessions' loader reads it.
            serde_json::Value::Object(_) => (|| {
                Some(tokenizers::AddedToken {
                    content: value["content"].as_str()?.to_owned(),
                    special: true,
                    single_word: value["single_word"].as_bool()?,
                    lstrip: value["lstrip"].as_bool()?,
                    rstrip: value["rstrip"].as_bool()?,
                    normalized: value["normalized"].as_bool()?,
                })
            })(),
            _ => None,
        };
        if let Some(token) = token {
            t.add_special_tokens([token])
                .map_err(|e| fail("special_tokens_map.json", &e))?;
        }
    }
    t.with_padding(None);
    t.with_truncation(None)
        .map_err(|e| fail("tokenizer.json", &e))?;
    Ok(t)
}

/// Whether the session's tokenizer, without padding and truncation, is `counter`.
pub(crate) fn same_tokenizer(session: &TextEmbedding, counter: &tokenizers::Tokenizer) -> bool {
    let mut t = session.tokenizer.clone();
    t.with_padding(None);
    let cleared = t.with_truncation(None).is_ok();
    cleared && t.to_string(false).ok() == counter.to_string(false).ok()
}
