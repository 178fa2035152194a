//! The local embedding model: all-MiniLM-L6-v2 (fp32 ONNX) on ONNX Runtime, loaded dynamically,
//! through fastembed, with mean pooling and truncation at 256 word pieces (as
//! sentence-transformers runs it).

use std::path::Path;

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

use super::Embedder;
use crate::error::{Error, Result};
use crate::paths::require;

/// The ONNX Runtime library file the setup step installs.
pub const ORT_LIBRARY: &str = "onnxruntime/libonnxruntime.so.1.24.4";

/// Name of the default model's directory under the models directory.
pub const MINILM: &str = "all-MiniLM-L6-v2";

/// A fastembed model loaded from a directory of ONNX + tokenizer files.
pub struct LocalModel {
    model: TextEmbedding,
    id: String,
    name: String,
}

impl LocalModel {
    /// Loads `models_dir/<name>` on the ONNX Runtime library of `models_dir` (or the one
    /// `ORT_DYLIB_PATH` names). `threads` = intra-op threads (0: all cores).
    pub fn load(models_dir: &Path, name: &str, max_length: usize, threads: usize) -> Result<Self> {
        let dir = models_dir.join(name);
        let onnx_path = require(models_dir, &format!("{name}/model.onnx"))?;
        let read = |rel: &str| -> Result<Vec<u8>> {
            let p = require(models_dir, &format!("{name}/{rel}"))?;
            std::fs::read(&p).map_err(|e| Error::io(&p, e))
        };
        let tokenizer = TokenizerFiles {
            tokenizer_file: read("tokenizer.json")?,
            config_file: read("config.json")?,
            special_tokens_map_file: read("special_tokens_map.json")?,
            tokenizer_config_file: read("tokenizer_config.json")?,
        };
        let onnx = std::fs::read(&onnx_path).map_err(|e| Error::io(&onnx_path, e))?;
        let digest = super::cache::sha256_hex(&onnx);
        let lib = match std::env::var_os("ORT_DYLIB_PATH").filter(|x| !x.is_empty()) {
            Some(p) => std::path::PathBuf::from(p),
            None => require(models_dir, ORT_LIBRARY)?,
        };
        let env = ort::init_from(&lib)
            .map_err(|e| {
                Error::Model(format!(
                    "cannot load ONNX Runtime from {}: {e}",
                    lib.display()
                ))
            })?
            .with_name("chunkbench")
            .build()
            .map_err(|e| {
                Error::Model(format!(
                    "cannot start ONNX Runtime from {}: {e}",
                    lib.display()
                ))
            })?;
        let mut opts = InitOptionsUserDefined::new()
            .with_max_length(max_length)
            .with_environment(env);
        if threads > 0 {
            opts = opts.with_intra_threads(threads);
        }
        let user_model =
            UserDefinedEmbeddingModel::new(onnx, tokenizer).with_pooling(Pooling::Mean);
        let model = TextEmbedding::try_new_from_user_defined(user_model, opts).map_err(|e| {
            Error::Model(format!(
                "cannot load the embedding model in {}: {e}",
                dir.display()
            ))
        })?;
        Ok(LocalModel {
            model,
            id: format!("{name}@{}/max{max_length}/mean", &digest[..16]),
            name: name.to_string(),
        })
    }
}

impl Embedder for LocalModel {
    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut out = self
            .model
            .embed(texts, Some(texts.len().max(1)))
            .map_err(|e| Error::Model(format!("embedding failed: {e}")))?;
        for v in &mut out {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
        }
        Ok(out)
    }
}
