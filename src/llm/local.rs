//! The embedded local language model: any GGUF file run in-process by llama.cpp (llama-cpp-2).
//! The default is SmolLM2-135M-Instruct (Q4_1), installed by `make models` under
//! `<models dir>/smollm2-135m-instruct/`. Decoding is greedy; the chat template is the one stored
//! in the GGUF (ChatML when it has none); grammars constrain decoding through llama.cpp's GBNF
//! sampler; [`Llm::score`] reads the log-probability of every continuation token.
//!
//! A model is loaded once per process and shared ([`LocalLlm::load`] returns the same `Arc` for
//! the same file and thread count). It keeps one llama.cpp context per `threads` cores (so with
//! the default of 1 thread, one per core), and concurrent calls (rayon chunks documents in
//! parallel) each take a free one: on a busy 2-core machine, two single-threaded contexts were 4×
//! faster than one context with 2 threads, whose threads spin-wait for each other.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::{ChatRequest, Completion, Llm, Scored};
use crate::error::{Error, Result};

/// Where the default model sits inside the models directory.
pub const SMOLLM2: &str = "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf";

/// The context window used (tokens), capped by what the model was trained on.
const MAX_CTX: u32 = 4096;
/// Tokens per llama.cpp decode call.
const BATCH: usize = 512;

/// A GGUF model loaded in this process.
pub struct LocalLlm {
    id: String,
    path: PathBuf,
    model: &'static LlamaModel,
    template: LlamaChatTemplate,
    contexts: Vec<Mutex<LlamaContext<'static>>>,
    next: std::sync::atomic::AtomicUsize,
    n_ctx: usize,
}

static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();
type Loaded = Vec<((PathBuf, usize), Arc<LocalLlm>)>;
static LOADED: Mutex<Loaded> = Mutex::new(Vec::new());

fn backend() -> Result<&'static LlamaBackend> {
    BACKEND
        .get_or_init(|| {
            let mut b = LlamaBackend::init().map_err(|e| e.to_string())?;
            if std::env::var_os("CHUNKBENCH_LLAMA_LOG").is_none() {
                b.void_logs(); // llama.cpp logs every tensor on load; set CHUNKBENCH_LLAMA_LOG to see them
            }
            Ok(b)
        })
        .as_ref()
        .map_err(|e| Error::Model(format!("llama.cpp backend failed to start: {e}")))
}

/// The default GGUF path in `models_dir`, or an error naming the install command.
pub fn default_model_path(models_dir: &Path) -> Result<PathBuf> {
    let p = models_dir.join(SMOLLM2);
    if p.is_file() {
        Ok(p)
    } else {
        Err(Error::Model(format!(
            "{} is missing: the local language model is not installed; install it with `make models` \
             in the chunkbench checkout (or `scripts/fetch-models.sh {}`), or give the path \
             of any GGUF file, or the URL of an OpenAI-compatible endpoint",
            p.display(),
            models_dir.display()
        )))
    }
}

impl LocalLlm {
    /// Loads `path` with `threads` CPU threads per call (0 = all cores), or returns the copy this
    /// process already loaded.
    pub fn load(path: &Path, threads: usize) -> Result<Arc<LocalLlm>> {
        let canonical = path.canonicalize().map_err(|e| {
            Error::Model(format!(
                "{}: {e}; give the path of an existing GGUF file, or install the default \
                 model with `make models`",
                path.display()
            ))
        })?;
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        let key = (canonical.clone(), threads);
        if let Some((_, m)) = loaded.iter().find(|(k, _)| *k == key) {
            return Ok(m.clone());
        }
        let m = Arc::new(Self::open(&canonical, threads)?);
        loaded.push((key, m.clone()));
        Ok(m)
    }

    fn open(path: &Path, threads: usize) -> Result<LocalLlm> {
        let backend = backend()?;
        let bytes_hash = file_sha256(path)?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| {
                Error::Model(format!(
                    "{}: llama.cpp could not load it as a GGUF model ({e}); give the path of a \
                     GGUF file, or reinstall the default with `scripts/fetch-models.sh --force`",
                    path.display()
                ))
            })?;
        // The model lives as long as the process: contexts borrow it for 'static.
        let model: &'static LlamaModel = Box::leak(Box::new(model));
        let template = model
            .chat_template(None)
            .or_else(|_| LlamaChatTemplate::new("chatml"))
            .map_err(|e| Error::Model(format!("{}: bad chat template: {e}", path.display())))?;
        let n_ctx = model.n_ctx_train().clamp(512, MAX_CTX);
        let t = i32::try_from(threads).unwrap_or(1);
        let params = || {
            LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(n_ctx))
                .with_n_batch(BATCH as u32)
                .with_n_ubatch(BATCH as u32)
                .with_n_threads(t)
                .with_n_threads_batch(t)
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let contexts = (0..(cores / threads).max(1))
            .map(|_| {
                model
                    .new_context(backend, params())
                    .map(Mutex::new)
                    .map_err(|e| {
                        Error::Model(format!(
                            "{}: llama.cpp could not create a context ({e})",
                            path.display()
                        ))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(LocalLlm {
            id: format!("llama.cpp:{name}:{}", &bytes_hash[..16]),
            path: path.to_path_buf(),
            model,
            template,
            contexts,
            next: Default::default(),
            n_ctx: n_ctx as usize,
        })
    }

    /// The GGUF file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The context window in tokens.
    pub fn context_tokens(&self) -> usize {
        self.n_ctx
    }

    /// A free context, or (all busy) the next one in turn once it is free.
    fn context(&self) -> std::sync::MutexGuard<'_, LlamaContext<'static>> {
        for c in &self.contexts {
            if let Ok(g) = c.try_lock() {
                return g;
            }
        }
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.contexts.len();
        self.contexts[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tokenize(&self, text: &str, special: bool) -> Vec<LlamaToken> {
        self.model
            .vocab()
            .tokenize(text.as_bytes(), special, special)
    }

    /// The token that starts a text read on its own, if the model has one.
    fn bos(&self) -> Option<LlamaToken> {
        let b = self.model.vocab().bos();
        (b.0 >= 0).then_some(b)
    }

    /// Log-probabilities of `tokens[first..]` (each given everything before it) after one fresh
    /// pass over `tokens`. `first` ≥ 1.
    fn logprobs(&self, tokens: &[LlamaToken], first: usize) -> Result<Vec<f32>> {
        debug_assert!(first >= 1);
        let mut ctx = self.context();
        ctx.clear_kv_cache();
        let mut out = Vec::with_capacity(tokens.len().saturating_sub(first));
        let mut batch = LlamaBatch::new(BATCH, 1);
        for (b, group) in tokens.chunks(BATCH).enumerate() {
            batch.clear();
            let base = b * BATCH;
            let mut wanted = Vec::new();
            for (j, tok) in group.iter().enumerate() {
                let pos = base + j;
                // The logits at `pos` predict token pos + 1.
                let want = pos + 1 >= first && pos + 1 < tokens.len();
                batch
                    .add(*tok, pos as i32, &[0], want)
                    .map_err(|e| Error::Model(format!("llama.cpp batch: {e}")))?;
                if want {
                    wanted.push((j, tokens[pos + 1]));
                }
            }
            ctx.decode(&mut batch)
                .map_err(|e| Error::Model(format!("llama.cpp decode failed: {e}")))?;
            for (j, next) in wanted {
                out.push(log_softmax_at(
                    ctx.get_logits_ith(j as i32),
                    next.0 as usize,
                ));
            }
        }
        Ok(out)
    }

    /// Every token of `text` (read after the start token, if the model has one): its text, the
    /// character offset where it starts, and its log-probability (`None` for a first token that
    /// nothing predicts). What `/v1/completions` with `echo` returns.
    pub fn echo(&self, text: &str) -> Result<Vec<(String, usize, Option<f32>)>> {
        let toks = self.tokenize(text, false);
        if toks.is_empty() {
            return Ok(Vec::new());
        }
        if toks.len() + 1 > self.n_ctx {
            return Err(Error::Usage(format!(
                "a text of {} tokens does not fit the model's context of {} tokens",
                toks.len(),
                self.n_ctx
            )));
        }
        let bos: Vec<LlamaToken> = self.bos().into_iter().collect();
        let mut all = bos.clone();
        all.extend(toks.iter().copied());
        let mut lps: Vec<Option<f32>> = if bos.is_empty() {
            let mut v = vec![None];
            v.extend(self.logprobs(&all, 1)?.into_iter().map(Some));
            v
        } else {
            self.logprobs(&all, 1)?.into_iter().map(Some).collect()
        };
        lps.truncate(toks.len());
        let vocab = self.model.vocab();
        let mut bytes: Vec<u8> = Vec::new();
        let mut out = Vec::with_capacity(toks.len());
        for (t, lp) in toks.iter().zip(lps) {
            let offset = String::from_utf8_lossy(&bytes).chars().count();
            let piece = vocab.token_to_piece(*t, false, None);
            bytes.extend_from_slice(&piece);
            out.push((String::from_utf8_lossy(&piece).into_owned(), offset, lp));
        }
        Ok(out)
    }

    fn render(&self, request: &ChatRequest) -> Result<String> {
        let messages = request
            .messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Usage(format!("chat message contains a NUL byte: {e}")))?;
        self.model
            .apply_chat_template(&self.template, &messages, true)
            .map_err(|e| Error::Model(format!("chat template failed: {e}")))
    }
}

impl Llm for LocalLlm {
    fn id(&self) -> &str {
        &self.id
    }

    fn complete(&self, request: &ChatRequest) -> Result<Completion> {
        let prompt = self.render(request)?;
        let tokens = self.tokenize(&prompt, true);
        if tokens.len() + request.max_tokens > self.n_ctx {
            return Err(Error::Usage(format!(
                "prompt of {} tokens + {} to generate exceeds the model's context of {} tokens; \
                 use smaller pieces or windows",
                tokens.len(),
                request.max_tokens,
                self.n_ctx
            )));
        }
        let mut sampler = match &request.grammar {
            Some(g) => LlamaSampler::chain_simple([
                LlamaSampler::grammar(self.model, g, "root")
                    .map_err(|e| Error::Usage(format!("invalid GBNF grammar: {e}")))?,
                LlamaSampler::greedy(),
            ]),
            None => LlamaSampler::greedy(),
        };
        let vocab = self.model.vocab();
        let mut ctx = self.context();
        ctx.clear_kv_cache();
        let mut batch = LlamaBatch::new(BATCH, 1);
        let mut last = 0;
        for (b, group) in tokens.chunks(BATCH).enumerate() {
            batch.clear();
            for (j, tok) in group.iter().enumerate() {
                let pos = b * BATCH + j;
                batch
                    .add(*tok, pos as i32, &[0], pos + 1 == tokens.len())
                    .map_err(|e| Error::Model(format!("llama.cpp batch: {e}")))?;
            }
            last = group.len() as i32 - 1;
            ctx.decode(&mut batch)
                .map_err(|e| Error::Model(format!("llama.cpp decode failed: {e}")))?;
        }
        let mut bytes: Vec<u8> = Vec::new();
        let mut generated = 0;
        let mut pos = tokens.len();
        while generated < request.max_tokens {
            let tok = sampler.sample(&ctx, last);
            generated += 1;
            if vocab.is_eog(tok) {
                break;
            }
            bytes.extend(vocab.token_to_piece(tok, false, None));
            let text = String::from_utf8_lossy(&bytes);
            if let Some(cut) = request
                .stop
                .iter()
                .filter_map(|s| text.find(s.as_str()))
                .min()
            {
                bytes.truncate(cut);
                break;
            }
            batch.clear();
            batch
                .add(tok, pos as i32, &[0], true)
                .map_err(|e| Error::Model(format!("llama.cpp batch: {e}")))?;
            ctx.decode(&mut batch)
                .map_err(|e| Error::Model(format!("llama.cpp decode failed: {e}")))?;
            last = 0;
            pos += 1;
        }
        Ok(Completion {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            prompt_tokens: tokens.len(),
            completion_tokens: generated,
        })
    }

    fn score(&self, context: &str, continuation: &str) -> Result<Scored> {
        let cont = self.tokenize(continuation, false);
        if cont.is_empty() {
            return Ok(Scored {
                logprobs: Vec::new(),
                prompt_tokens: 0,
            });
        }
        let mut ctx_tokens = self.tokenize(context, false);
        let room = self.n_ctx.saturating_sub(cont.len() + 1);
        if ctx_tokens.len() > room {
            ctx_tokens.drain(..ctx_tokens.len() - room);
        }
        if cont.len() + 1 > self.n_ctx {
            return Err(Error::Usage(format!(
                "a continuation of {} tokens does not fit the model's context of {} tokens",
                cont.len(),
                self.n_ctx
            )));
        }
        let mut tokens: Vec<LlamaToken> = self.bos().into_iter().collect();
        tokens.extend(ctx_tokens);
        let first = tokens.len().max(1);
        if tokens.is_empty() {
            // No BOS and no context: the first token cannot be predicted; score from the second.
            tokens.extend(cont.iter().copied());
            let mut lp = vec![f32::NAN];
            lp.extend(self.logprobs(&tokens, 1)?);
            return Ok(Scored {
                prompt_tokens: tokens.len(),
                logprobs: lp,
            });
        }
        tokens.extend(cont.iter().copied());
        let logprobs = self.logprobs(&tokens, first)?;
        Ok(Scored {
            logprobs,
            prompt_tokens: tokens.len(),
        })
    }

    fn score_sequence(&self, pieces: &[&str], context: usize) -> Result<Vec<Scored>> {
        let tokenized: Vec<Vec<LlamaToken>> =
            pieces.iter().map(|p| self.tokenize(p, false)).collect();
        let stream: Vec<LlamaToken> = tokenized.iter().flatten().copied().collect();
        let bos: Vec<LlamaToken> = self.bos().into_iter().collect();
        let window = (self.n_ctx - bos.len()).min(BATCH * 4);
        let context = context.min(window / 2);
        let mut all: Vec<f32> = Vec::with_capacity(stream.len());
        let mut decoded = 0;
        // Windows of `window` tokens; each after the first re-reads the last `context` tokens of
        // the previous one, so every scored token sees at least min(context, its index) tokens.
        let mut start = 0;
        while all.len() < stream.len() {
            let end = (start + window).min(stream.len());
            let mut tokens = bos.clone();
            tokens.extend_from_slice(&stream[start..end]);
            let skip = all.len() - start; // tokens of this window already scored
            let first = bos.len() + skip;
            let mut lp = if first == 0 {
                let mut v = vec![f32::NAN];
                v.extend(self.logprobs(&tokens, 1)?);
                v
            } else {
                self.logprobs(&tokens, first)?
            };
            all.append(&mut lp);
            decoded += tokens.len();
            if end == stream.len() {
                break;
            }
            start = end - context;
        }
        let mut out = Vec::with_capacity(pieces.len());
        let mut at = 0;
        for (i, t) in tokenized.iter().enumerate() {
            let extra = if i == 0 { decoded - stream.len() } else { 0 };
            out.push(Scored {
                logprobs: all[at..at + t.len()].to_vec(),
                prompt_tokens: t.len() + extra,
            });
            at += t.len();
        }
        Ok(out)
    }
}

/// log softmax(logits)[index], computed stably.
fn log_softmax_at(logits: &[f32], index: usize) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
    (f64::from(logits[index] - max) - sum.ln()) as f32
}

fn file_sha256(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_softmax_is_normalised() {
        let logits = [1.0f32, 2.0, 3.0];
        let total: f64 = (0..3)
            .map(|i| f64::from(log_softmax_at(&logits, i)).exp())
            .sum();
        assert!((total - 1.0).abs() < 1e-6);
    }
}
