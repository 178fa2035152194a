//! A local sentence-transformers model exported to ONNX (`model.onnx` + tokenizer files), on ONNX
//! Runtime loaded dynamically, tokenised by fastembed; pooling (mean, CLS or last token) done here
//! from the model's token vectors, so every pooling sentence-transformers models use is the same
//! code. The settings come from the directory ([`super::st_config`]) or the flags; the bundled
//! all-MiniLM-L6-v2 runs as sentence-transformers runs it: mean pooling, 256 word pieces.

use std::path::Path;

use fastembed::TextEmbedding;

use super::late::{self, TokenVectors};
use super::onnx::{
    counting_tokenizer, environment, runtime_library, same_tokenizer, tokenizer_files, Sessions,
};
pub use super::onnx::{runtime, ORT_LIBRARY};
use super::st_config::{self, Pooling, StConfig};
pub use super::threads::ThreadSplit;
use super::{normalise, Embedder, Identity, Prefixes};
use crate::error::{Error, Result};
use crate::paths::require;

/// Name of the default model's directory under the models directory.
pub const MINILM: &str = "all-MiniLM-L6-v2";

/// The bundled model's settings (sentence-transformers' for all-MiniLM-L6-v2; its directory, made
/// by `make models`, holds no sentence-transformers config files).
pub const MINILM_MAX_TOKENS: usize = 256;

/// How to run a model directory: overrides of what its files say, prefixes, threads.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    pub pooling: Option<Pooling>,
    pub max_tokens: Option<usize>,
    pub prefixes: Prefixes,
    /// ONNX Runtime intra-op threads per session (0: see [`ThreadSplit::resolve`]).
    pub threads: usize,
    /// Sessions that embed parts of a batch in parallel (0: see [`ThreadSplit::resolve`]).
    pub sessions: usize,
}

/// A model directory loaded on ONNX Runtime.
pub struct LocalModel {
    /// One ONNX Runtime session per parallel lane (the same graph), each with `split.threads`
    /// intra-op threads.
    models: Vec<TextEmbedding>,
    /// How to load the other sessions, on the first batch.
    sessions: Sessions,
    split: ThreadSplit,
    /// The same tokenizer without truncation or padding, to count what the model would read.
    counter: tokenizers::Tokenizer,
    config: StConfig,
    prefixes: Prefixes,
    id: String,
    name: String,
    digest: String,
}

impl LocalModel {
    /// The bundled all-MiniLM-L6-v2 of `models_dir` (settings as sentence-transformers runs it).
    pub fn bundled(models_dir: &Path, mut options: LocalOptions) -> Result<Self> {
        options.pooling.get_or_insert(Pooling::Mean);
        options.max_tokens.get_or_insert(MINILM_MAX_TOKENS);
        require(models_dir, &format!("{MINILM}/model.onnx"))?;
        Self::load(&models_dir.join(MINILM), models_dir, options)
    }

    /// Loads the model directory `dir` on the ONNX Runtime library of `models_dir` (or the one
    /// `ORT_DYLIB_PATH` names).
    pub fn load(dir: &Path, models_dir: &Path, options: LocalOptions) -> Result<Self> {
        let onnx_path = dir.join("model.onnx");
        let digest = super::cache::file_sha256(&onnx_path).map_err(|e| {
            Error::Model(format!(
                "{}: cannot read it ({e}); give --embed-model a sentence-transformers model directory exported to ONNX (model.onnx and the tokenizer files)",
                onnx_path.display()
            ))
        })?;
        let config = st_config::read(dir, options.pooling, options.max_tokens)?;
        let tokenizer = tokenizer_files(dir, config.max_tokens)?;
        let counter = counting_tokenizer(dir, &tokenizer)?;
        let env = environment(&runtime_library(models_dir)?)?;
        let split = ThreadSplit::resolve(options.threads, options.sessions);
        // The sessions run on threads of their own, which may be started from a rayon worker
        // (a chunker embedding under the embedder's lock): the tokenizer must not wait for rayon's
        // pool there, whose other workers can be waiting for that lock. Batches are tokenised on
        // the session's thread; the sessions are the parallelism.
        tokenizers::utils::parallelism::set_parallelism(false);
        let sessions = Sessions {
            dir: dir.to_path_buf(),
            tokenizer,
            max_tokens: config.max_tokens,
            env,
            threads: split.threads,
        };
        // The sessions load when the first batch is embedded: a run served from the cache holds
        // no copy of the model.
        let models = Vec::new();
        let name = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // The bundled model's id is what it was before other backends existed (caches and
        // baselines stay valid).
        let id = format!(
            "{name}@{}/max{}/{}{}",
            &digest[..16],
            config.max_tokens,
            config.pooling.name(),
            options.prefixes.id_suffix()
        );
        Ok(LocalModel {
            models,
            sessions,
            split,
            counter,
            config,
            prefixes: options.prefixes,
            id,
            name,
            digest,
        })
    }

    /// How the model uses the cores.
    pub fn thread_split(&self) -> ThreadSplit {
        self.split
    }

    /// Where each setting came from (for `--verbose`-style notes).
    pub fn sources(&self) -> &[String] {
        &self.config.sources
    }
}

/// Pools one batch's token vectors `[batch, seq, dim]` with its attention mask `[batch, seq]`.
fn pool(pooling: Pooling, data: &[f32], shape: [usize; 3], mask: &[i64]) -> Vec<Vec<f32>> {
    let [batch, seq, dim] = shape;
    (0..batch)
        .map(|b| {
            let row = |t: usize| &data[(b * seq + t) * dim..(b * seq + t + 1) * dim];
            let keep = |t: usize| mask[b * seq + t] != 0;
            let mut v = vec![0f32; dim];
            match pooling {
                Pooling::Cls => v.copy_from_slice(row(0)),
                Pooling::Last => {
                    if let Some(t) = (0..seq).rev().find(|&t| keep(t)) {
                        v.copy_from_slice(row(t));
                    }
                }
                Pooling::Mean => {
                    let mut n = 0usize;
                    for t in (0..seq).filter(|&t| keep(t)) {
                        v.iter_mut().zip(row(t)).for_each(|(a, x)| *a += x);
                        n += 1;
                    }
                    v.iter_mut().for_each(|a| *a /= n.max(1) as f32);
                }
            }
            v
        })
        .collect()
}

impl Embedder for LocalModel {
    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn identity(&self) -> Identity {
        Identity {
            backend: "local".into(),
            name: self.name.clone(),
            revision: format!("model.onnx sha256 {}", self.digest),
            pooling: self.config.pooling.name().into(),
            max_tokens: Some(self.config.max_tokens),
            query_prefix: self.prefixes.query.clone(),
            document_prefix: self.prefixes.document.clone(),
        }
    }

    fn prefixes(&self) -> &Prefixes {
        &self.prefixes
    }

    fn count_tokens(&self, texts: &[&str]) -> Vec<usize> {
        outside_rayon(texts, |t| {
            self.counter.encode(t, true).map_or(0, |e| e.len())
        })
    }

    fn input_keys(&self, texts: &[&str]) -> Vec<Option<super::cache::Key>> {
        use sha2::{Digest, Sha256};
        // The model reads its special tokens around the first `max - specials` tokens of the
        // text (fastembed truncates the text's tokens, never the special ones).
        let specials = self.counter.encode("", true).map_or(2, |e| e.len());
        let keep = self.config.max_tokens.saturating_sub(specials);
        outside_rayon(texts, |t| {
            let enc = self.counter.encode(t, false).ok()?;
            let ids = &enc.get_ids()[..enc.len().min(keep)];
            let mut h = Sha256::new();
            ids.iter().for_each(|id| h.update(id.to_le_bytes()));
            Some(h.finalize().into())
        })
    }

    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut vectors = Vec::with_capacity(texts.len());
        for out in self.token_outputs(texts)? {
            vectors.extend(pool(self.config.pooling, &out.data, out.shape, &out.mask));
        }
        vectors.iter_mut().for_each(|v| normalise(v));
        Ok(vectors)
    }

    fn token_vectors(&mut self, text: &str, overlap: usize) -> Result<TokenVectors> {
        let fail = |e: String| Error::Model(format!("tokenizer of {}: {e}", self.name));
        let whole = self
            .counter
            .encode(text, false)
            .map_err(|e| fail(e.to_string()))?;
        let offsets = whole.get_offsets().to_vec();
        let words = whole.get_word_ids();
        let n = offsets.len();
        let word_start: Vec<bool> = (0..n)
            .map(|t| t == 0 || words[t].is_none() || words[t] != words[t - 1])
            .collect();
        let specials = self.counter.encode("", true).map_or(2, |e| e.len());
        let width = self.config.max_tokens.saturating_sub(specials);
        if width == 0 || overlap >= width {
            return Err(Error::Usage(format!(
                "late chunking: the overlap ({overlap} tokens) must be smaller than the model's window of {width} tokens ({} reads {} tokens, {specials} of them special)",
                self.name, self.config.max_tokens
            )));
        }
        let plan = late::windows(n, &word_start, width, overlap);
        let byte_of = |t: usize| offsets.get(t).map_or(text.len(), |o| o.0);
        let mut out = TokenVectors {
            dim: 0,
            ..Default::default()
        };
        if n == 0 {
            return Ok(out);
        }
        for (g, group) in plan.chunks(WINDOW_BATCH).enumerate() {
            let starts: Vec<usize> = group.iter().map(|((a, _), _)| offsets[*a].0).collect();
            let texts: Vec<&str> = group
                .iter()
                .zip(&starts)
                .map(|(((_, e), _), &from)| &text[from..offsets[e - 1].1])
                .collect();
            let rows = self.window_rows(&texts)?;
            for (j, rows) in rows.into_iter().enumerate() {
                // The window owns the tokens from its first owned one to the next window's.
                let w = g * WINDOW_BATCH + j;
                let own_end = plan
                    .get(w + 1)
                    .map_or(text.len() + 1, |next| byte_of(next.1));
                let own = byte_of(plan[w].1)..own_end;
                out.windows += 1;
                out.model_tokens += rows.len() + specials;
                for ((from, to), v) in rows {
                    let (from, to) = (starts[j] + from, starts[j] + to);
                    if own.contains(&from) {
                        out.dim = v.len();
                        out.ranges.push((from, to));
                        out.data.extend(v);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Windows the model reads at once for late chunking (bounds the memory of a long document).
const WINDOW_BATCH: usize = 32;

/// One token of a window: its byte range within the window, and its vector.
type TokenRow = ((usize, usize), Vec<f32>);

/// One batch's model output: token vectors `[batch, seq, dim]` and the attention mask.
struct TokenOutput {
    data: Vec<f32>,
    shape: [usize; 3],
    mask: Vec<i64>,
}

impl LocalModel {
    /// The model's token vectors for `texts`, one output per batch the runtime ran.
    /// Loads the sessions not loaded yet (all of them before the first batch, so a batch always
    /// splits the same way). The graph is read again and must be the one loaded first.
    fn load_sessions(&mut self) -> Result<()> {
        if self.models.len() >= self.split.sessions {
            return Ok(());
        }
        let path = self.sessions.dir.join("model.onnx");
        let onnx = std::fs::read(&path)
            .map_err(|e| Error::Model(format!("{}: cannot read it ({e})", path.display())))?;
        if super::cache::sha256_hex(&onnx) != self.digest {
            return Err(Error::Model(format!(
                "{} changed while chunkbench was running; run again",
                path.display()
            )));
        }
        while self.models.len() < self.split.sessions {
            self.models.push(self.sessions.load(onnx.clone())?);
        }
        // Tokens were counted (and inputs keyed) before any session existed.
        if !same_tokenizer(&self.models[0], &self.counter) {
            return Err(Error::Model(format!(
                "{}: the sessions' tokenizer differs from the one chunkbench counts tokens with; \
                 please report this model directory",
                self.sessions.dir.display()
            )));
        }
        Ok(())
    }

    fn token_outputs(&mut self, texts: &[&str]) -> Result<Vec<TokenOutput>> {
        self.load_sessions()?;
        let fail = |e: String| Error::Model(format!("embedding failed ({}): {e}", self.name));
        // Contiguous parts, one per session (texts come sorted by length, so parts pad alike);
        // the same batch always splits the same way.
        let part = texts.len().div_ceil(self.models.len()).max(1);
        let outputs: Vec<_> = std::thread::scope(|scope| {
            let running: Vec<_> = self
                .models
                .iter_mut()
                .zip(texts.chunks(part))
                .map(|(model, part)| scope.spawn(move || model.transform(part, Some(part.len()))))
                .collect();
            running
                .into_iter()
                .map(|h| h.join().expect("an embedding session panicked"))
                .collect()
        });
        let mut outs = Vec::new();
        for output in outputs {
            outs.extend(self.unpack(output.map_err(|e| fail(e.to_string()))?)?);
        }
        Ok(outs)
    }

    /// The token vectors and masks of one session's output.
    fn unpack(&self, output: fastembed::EmbeddingOutput) -> Result<Vec<TokenOutput>> {
        let fail = |e: String| Error::Model(format!("embedding failed ({}): {e}", self.name));
        let mut outs = Vec::new();
        for batch in output.into_raw() {
            let value = batch
                .outputs
                .iter()
                .find(|(n, _)| n == "last_hidden_state" || n == "token_embeddings")
                .or_else(|| batch.outputs.first())
                .map(|(_, v)| v)
                .ok_or_else(|| fail("the model returned no output".into()))?;
            let (shape, data) = value
                .try_extract_tensor::<f32>()
                .map_err(|e| fail(e.to_string()))?;
            let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
            let [b, s, d] = dims[..] else {
                return Err(fail(format!(
                    "expected token vectors [batch, tokens, dimension], got shape {dims:?}"
                )));
            };
            let mask = batch
                .attention_mask_array
                .as_slice()
                .ok_or_else(|| fail("attention mask not contiguous".into()))?;
            outs.push(TokenOutput {
                data: data.to_vec(),
                shape: [b, s, d],
                mask: mask.to_vec(),
            });
        }
        Ok(outs)
    }

    /// Each window text's non-special tokens: byte range within the window, and vector.
    fn window_rows(&mut self, texts: &[&str]) -> Result<Vec<Vec<TokenRow>>> {
        let outs = self.token_outputs(texts)?;
        let mut rows = Vec::with_capacity(texts.len());
        let mut texts = texts.iter();
        for out in outs {
            let [b, seq, dim] = out.shape;
            for i in 0..b {
                let text = texts.next().copied().unwrap_or_default();
                let enc = self.models[0]
                    .tokenizer
                    .encode(text, true)
                    .map_err(|e| Error::Model(format!("tokenizer of {}: {e}", self.name)))?;
                let special = enc.get_special_tokens_mask();
                let window: Vec<_> = (0..enc.len().min(seq))
                    .filter(|&t| special[t] == 0 && out.mask[i * seq + t] != 0)
                    .map(|t| {
                        let at = (i * seq + t) * dim;
                        (enc.get_offsets()[t], out.data[at..at + dim].to_vec())
                    })
                    .collect();
                rows.push(window);
            }
        }
        Ok(rows)
    }
}

/// `f` of each text, in order: on rayon's pool when called from outside it, on the calling thread
/// when called from one of its workers. A chunker embeds from a rayon task, under the shared
/// embedder's lock; work split onto the pool there could wait for a worker that is itself
/// waiting for that lock (a deadlock seen with 8 threads).
fn outside_rayon<T: Send>(texts: &[&str], f: impl Fn(&str) -> T + Sync) -> Vec<T> {
    use rayon::prelude::*;
    match rayon::current_thread_index() {
        Some(_) => texts.iter().map(|t| f(t)).collect(),
        None => texts.par_iter().map(|t| f(t)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a rayon worker, texts are handled on the calling thread: its pool's other workers
    /// may be waiting for a lock the caller holds.
    #[test]
    fn texts_stay_on_a_calling_worker() {
        let texts: Vec<String> = (0..64).map(|i| i.to_string()).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let slow = |_: &str| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            std::thread::current().id()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let (me, seen) =
            pool.install(|| (std::thread::current().id(), outside_rayon(&texts, slow)));
        assert!(seen.iter().all(|t| *t == me), "{seen:?}");
    }

    #[test]
    fn pooling_follows_the_mask() {
        // 2 texts × 3 tokens × 2 dims; the second text has one padding token.
        let data = [1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 100., 100.];
        let mask = [1, 1, 1, 1, 1, 0];
        let mean = pool(Pooling::Mean, &data, [2, 3, 2], &mask);
        assert_eq!(mean, vec![vec![3., 4.], vec![8., 9.]]);
        let cls = pool(Pooling::Cls, &data, [2, 3, 2], &mask);
        assert_eq!(cls, vec![vec![1., 2.], vec![7., 8.]]);
        let last = pool(Pooling::Last, &data, [2, 3, 2], &mask);
        assert_eq!(last, vec![vec![5., 6.], vec![9., 10.]]);
    }
}
