//! The persistent response cache and the cost meter.
//!
//! [`LlmCache`] keeps every answer of one model in one append-only JSON-lines file under
//! `<cache root>/llm/` (`<sha256(model id)[..16]>.jsonl`), one record per request:
//! `{"k": sha256(model id, kind, request), "v": answer}`. A record is written with one `write`
//! call and flushed; a torn last line (power loss, kill) is ignored on load, so an interrupted run
//! keeps every answer it finished and a re-run makes no model call it made before.
//!
//! [`CachedLlm`] puts the cache in front of a model and meters what goes through it: model calls,
//! cache hits, prompt and completion tokens, wall time of the calls, and the fallbacks an LLM
//! chunker reports. Each strategy of a run gets its own, so costs are attributed per strategy.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ChatRequest, Completion, Llm, Scored};
use crate::error::{Error, Result};

/// The response cache of one model.
pub struct LlmCache {
    id: String,
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    map: HashMap<String, serde_json::Value>,
    file: Option<File>,
    /// The file ends with a torn record: the next write starts a new line first.
    torn: bool,
}

#[derive(Serialize, Deserialize)]
struct Record {
    k: String,
    v: serde_json::Value,
}

impl LlmCache {
    /// Opens (or creates) the cache of model `id` under `dir`.
    pub fn open(dir: &Path, id: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let digest = hex(&Sha256::digest(id.as_bytes()));
        let path = dir.join(format!("{}.jsonl", &digest[..16]));
        let mut map = HashMap::new();
        let mut torn = false;
        if path.exists() {
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            for line in BufReader::new(f).split(b'\n') {
                let line = line.map_err(|e| Error::io(&path, e))?;
                // A torn or foreign line is skipped, never fatal.
                match serde_json::from_slice::<Record>(&line) {
                    Ok(r) => {
                        map.insert(r.k, r.v);
                        torn = false;
                    }
                    Err(_) => torn = !line.is_empty(),
                }
            }
        }
        Ok(LlmCache {
            id: id.to_string(),
            path,
            state: Mutex::new(State {
                map,
                file: None,
                torn,
            }),
        })
    }

    /// The file backing the cache.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of cached answers.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key of a request of `kind` (`complete`, `score`, ...).
    pub fn key(&self, kind: &str, request: &impl Serialize) -> String {
        let mut h = Sha256::new();
        h.update(self.id.as_bytes());
        h.update([0u8]);
        h.update(kind.as_bytes());
        h.update([0u8]);
        h.update(serde_json::to_vec(request).expect("requests serialise"));
        hex(&h.finalize())
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let v = self.lock().map.get(key).cloned()?;
        serde_json::from_value(v).ok()
    }

    /// Stores an answer and appends it to the file (flushed before returning).
    pub fn put<T: Serialize>(&self, key: String, value: &T) -> Result<()> {
        let v = serde_json::to_value(value).expect("answers serialise");
        let mut line = Vec::new();
        serde_json::to_writer(
            &mut line,
            &Record {
                k: key.clone(),
                v: v.clone(),
            },
        )
        .expect("records serialise");
        line.push(b'\n');
        let mut st = self.lock();
        if st.torn {
            line.insert(0, b'\n');
            st.torn = false;
        }
        if st.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| Error::io(&self.path, e))?;
            st.file = Some(f);
        }
        let f = st.file.as_mut().expect("opened above");
        f.write_all(&line)
            .and_then(|_| f.flush())
            .map_err(|e| Error::io(&self.path, e))?;
        st.map.insert(key, v);
        Ok(())
    }
}

/// What a strategy (or a command) spent on its language model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmCost {
    /// The model's id.
    pub model: String,
    /// Requests that reached the model (cache misses).
    pub calls: usize,
    /// Requests answered by the cache.
    pub cache_hits: usize,
    /// Tokens read by the model over its calls (prompts, scored texts).
    pub prompt_tokens: usize,
    /// Tokens generated over its calls.
    pub completion_tokens: usize,
    /// Wall time of the model calls (summed over threads).
    pub seconds: f64,
    /// Windows where an LLM chunker could not use the model's answer and applied its fallback
    /// rule (see the chunker's documentation).
    pub fallbacks: usize,
}

/// One line for the terminal: `12 model calls (3 from the cache), 900 prompt + 40 completion
/// tokens, 1.5 s of model time, 0 fallbacks — <model id>`.
impl std::fmt::Display for LlmCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} model calls ({} from the cache), {} prompt + {} completion tokens, {:.1} s of model time, {} fallbacks — {}",
            self.calls,
            self.cache_hits,
            self.prompt_tokens,
            self.completion_tokens,
            self.seconds,
            self.fallbacks,
            self.model
        )
    }
}

/// Counters shared by the threads of one strategy.
#[derive(Default)]
pub struct Meter {
    calls: AtomicUsize,
    hits: AtomicUsize,
    prompt: AtomicUsize,
    completion: AtomicUsize,
    nanos: AtomicU64,
    fallbacks: AtomicUsize,
}

impl Meter {
    pub fn fallback(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    fn call(&self, started: Instant, prompt: usize, completion: usize) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.prompt.fetch_add(prompt, Ordering::Relaxed);
        self.completion.fetch_add(completion, Ordering::Relaxed);
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }
}

/// A model behind the response cache, with its own meter (clones share the meter).
#[derive(Clone)]
pub struct CachedLlm {
    inner: Arc<dyn Llm>,
    cache: Option<Arc<LlmCache>>,
    meter: Arc<Meter>,
}

impl CachedLlm {
    /// `cache: None` meters without caching.
    pub fn new(inner: Arc<dyn Llm>, cache: Option<Arc<LlmCache>>) -> Self {
        CachedLlm {
            inner,
            cache,
            meter: Arc::new(Meter::default()),
        }
    }

    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// What went through this handle so far.
    pub fn cost(&self) -> LlmCost {
        let m = &self.meter;
        LlmCost {
            model: self.inner.id().to_string(),
            calls: m.calls.load(Ordering::Relaxed),
            cache_hits: m.hits.load(Ordering::Relaxed),
            prompt_tokens: m.prompt.load(Ordering::Relaxed),
            completion_tokens: m.completion.load(Ordering::Relaxed),
            seconds: m.nanos.load(Ordering::Relaxed) as f64 / 1e9,
            fallbacks: m.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// Looks `request` up; on a miss calls `f`, meters it (`tokens` reads its cost) and stores it.
    fn through<R: Serialize, T: Serialize + DeserializeOwned>(
        &self,
        kind: &str,
        request: &R,
        f: impl FnOnce() -> Result<T>,
        tokens: impl Fn(&T) -> (usize, usize),
    ) -> Result<T> {
        let key = self.cache.as_ref().map(|c| c.key(kind, request));
        if let (Some(c), Some(k)) = (&self.cache, &key) {
            if let Some(v) = c.get::<T>(k) {
                self.meter.hit();
                return Ok(v);
            }
        }
        let started = Instant::now();
        let out = f()?;
        let (p, c) = tokens(&out);
        self.meter.call(started, p, c);
        if let (Some(cache), Some(k)) = (&self.cache, key) {
            cache.put(k, &out)?;
        }
        Ok(out)
    }
}

impl Llm for CachedLlm {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn complete(&self, request: &ChatRequest) -> Result<Completion> {
        self.through(
            "complete",
            request,
            || self.inner.complete(request),
            |c| (c.prompt_tokens, c.completion_tokens),
        )
    }

    fn score(&self, context: &str, continuation: &str) -> Result<Scored> {
        self.through(
            "score",
            &(context, continuation),
            || self.inner.score(context, continuation),
            |s| (s.prompt_tokens, 0),
        )
    }

    fn score_sequence(&self, pieces: &[&str], context: usize) -> Result<Vec<Scored>> {
        self.through(
            "score_sequence",
            &(pieces, context),
            || self.inner.score_sequence(pieces, context),
            |v| (v.iter().map(|s| s.prompt_tokens).sum(), 0),
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let c = LlmCache::open(dir.path(), "m").unwrap();
        let (a, b) = (c.key("score", &("x", "y")), c.key("score", &("x", "z")));
        assert_ne!(a, b);
        c.put(a.clone(), &vec![1.5f32]).unwrap();
        c.put(b.clone(), &vec![2.5f32]).unwrap();
        let path = c.path().to_path_buf();
        drop(c);
        let len = std::fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len - 3).unwrap(); // tear the last record
        let c = LlmCache::open(dir.path(), "m").unwrap();
        assert_eq!(c.get::<Vec<f32>>(&a), Some(vec![1.5]));
        assert_eq!(c.get::<Vec<f32>>(&b), None);
        // A new record after a torn tail starts on its own line and reads back.
        c.put(b.clone(), &vec![3.5f32]).unwrap();
        drop(c);
        let c = LlmCache::open(dir.path(), "m").unwrap();
        assert_eq!(c.get::<Vec<f32>>(&b), Some(vec![3.5]));
        let other = LlmCache::open(dir.path(), "other").unwrap();
        assert!(other.is_empty());
        assert_ne!(other.key("score", &("x", "y")), a);
    }

    #[test]
    fn cost_line() {
        let c = LlmCost {
            model: "openai:http://h/v1:m".into(),
            calls: 12,
            cache_hits: 3,
            prompt_tokens: 900,
            completion_tokens: 40,
            seconds: 1.46,
            fallbacks: 0,
        };
        assert_eq!(
            c.to_string(),
            "12 model calls (3 from the cache), 900 prompt + 40 completion tokens, 1.5 s of model time, 0 fallbacks — openai:http://h/v1:m"
        );
    }
}
