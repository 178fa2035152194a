//! The persistent response cache and the cost meter.
//!
//! [`LlmCache`] keeps every answer of one model in one append-only file under
//! `<cache root>/llm/`, `<sha256(model id)[..16]>.v2.jsonl`, one line per request:
//! `<checksum> {"k": sha256(model id, kind, request), "v": answer}\n`, where the checksum is 16
//! lower-case hex digits, the first 8 bytes of sha256 over the JSON text of the line.
//!
//! What is guaranteed:
//! - **An answer is used only if its line's checksum verifies.**
//! - **On open**, under an exclusive lock on the file: a torn or corrupt tail (everything after
//!   the last line that verifies, e.g. half a line left by a killed run) is cut off, so nothing is
//!   appended after torn bytes. A line in the middle that does not verify is dropped and reported
//!   in [`LlmCache::warnings`] (file, byte offset, length); its request then goes to the model
//!   again and the new answer is appended. Lines are delimited by `\n`, which never occurs inside
//!   the JSON text, so a corrupt line cannot make the lines after it misread.
//! - **Concurrent runs sharing the directory** (threads or processes) do not corrupt the file:
//!   every append takes an exclusive lock on the file (`File::lock`, an advisory `flock` on Unix),
//!   cuts a torn last line a killed process may have left, writes its line with one `write` call,
//!   flushes and unlocks; loading happens under the same lock.
//! - **Files of the old format** (`<sha256(model id)[..16]>.jsonl`, no checksums) are never read
//!   or written: they are left on disk, reported at open, and can be deleted.
//!
//! [`CachedLlm`] puts the cache in front of a model and meters what goes through it: model calls,
//! cache hits, prompt and completion tokens, wall time of the calls, and the fallbacks an LLM
//! chunker reports. Each strategy of a run gets its own, so costs are attributed per strategy.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ChatRequest, Completion, Llm, Scored};
use crate::error::{Error, Result};
use crate::lockfile::{open_rw, read_all, FileLock, Merged};

/// The response cache of one model.
pub struct LlmCache {
    id: String,
    path: PathBuf,
    state: Mutex<State>,
    warnings: Vec<String>,
}

struct State {
    map: HashMap<String, serde_json::Value>,
    file: Option<File>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    k: String,
    v: serde_json::Value,
}

/// The 16 hex digits of a line's checksum.
fn line_check(json: &[u8]) -> String {
    hex(&Sha256::digest(json)[..8])
}

/// The record of one line (without its `\n`), if its checksum verifies.
fn parse_line(line: &[u8]) -> Option<Record> {
    if line.len() < 18 || line[16] != b' ' {
        return None;
    }
    let (check, json) = (&line[..16], &line[17..]);
    if check != line_check(json).as_bytes() {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// The length of `f` cut back to just after its last `\n` (0 if it has none).
fn line_boundary(mut f: &File, len: u64) -> std::io::Result<u64> {
    let mut end = len;
    let mut buf = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// What a cache file holds.
struct Loaded {
    map: HashMap<String, serde_json::Value>,
    /// The end of the last line that verifies: everything after it is cut off.
    good_end: usize,
    warnings: Vec<String>,
}

/// Parses a cache file's bytes: the answers of every line that verifies, and a warning for each
/// line that does not and for a torn or corrupt tail.
fn load(bytes: &[u8], path: &Path) -> Loaded {
    let mut map = HashMap::new();
    let mut warnings = Vec::new();
    let mut good_end = 0;
    let mut bad = Vec::new();
    let mut at = 0;
    while let Some(n) = bytes[at..].iter().position(|&b| b == b'\n') {
        match parse_line(&bytes[at..at + n]) {
            Some(r) => {
                map.insert(r.k, r.v);
                good_end = at + n + 1;
            }
            None => bad.push((at, n + 1)),
        }
        at += n + 1;
    }
    for &(b, n) in bad.iter().filter(|(b, _)| *b < good_end) {
        warnings.push(format!(
            "{}: the line at byte {b} ({n} bytes) fails its checksum; dropped 1 cached answer, \
             its request will go to the model again",
            path.display()
        ));
    }
    if good_end < bytes.len() {
        warnings.push(format!(
            "{}: cut off a torn or corrupt tail of {} bytes at byte {good_end}; those requests \
             will go to the model again",
            path.display(),
            bytes.len() - good_end
        ));
    }
    Loaded {
        map,
        good_end,
        warnings,
    }
}

/// Appends to the cache file `dst` every answer of the cache file `src` that it lacks, in key
/// order (so the same sources give the same bytes). `src` is only read: a line of it that fails
/// its checksum is left out and reported, as a run would.
pub fn merge_file(src: &Path, dst: &Path) -> Result<Merged> {
    let bytes = std::fs::read(src).map_err(|e| Error::io(src, e))?;
    let source = load(&bytes, src);
    let target = LlmCache::open_file(dst.to_path_buf(), "")?;
    let mut warnings = source.warnings;
    warnings.extend(target.warnings.iter().cloned());
    let total = source.map.len();
    let mut entries: Vec<(String, serde_json::Value)> = {
        let st = target.lock();
        source
            .map
            .into_iter()
            .filter(|(k, _)| !st.map.contains_key(k))
            .collect()
    };
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let added = entries.len();
    for (k, v) in entries {
        target.put(k, &v)?;
    }
    Ok(Merged {
        added,
        present: total - added,
        warnings,
    })
}

impl LlmCache {
    /// Opens (or creates) the cache of model `id` under `dir`, repairing its file as the module
    /// documentation says; what was dropped or cut off is in [`Self::warnings`].
    pub fn open(dir: &Path, id: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let digest = hex(&Sha256::digest(id.as_bytes()));
        let mut cache = Self::open_file(dir.join(format!("{}.v2.jsonl", &digest[..16])), id)?;
        let old = dir.join(format!("{}.jsonl", &digest[..16]));
        if old.exists() {
            cache.warnings.insert(
                0,
                format!(
                    "{}: a response cache of an older format (no checksums), ignored; delete it \
                     to reclaim the space",
                    old.display()
                ),
            );
        }
        Ok(cache)
    }

    /// Opens (or creates) the cache file at `path` for model `id` (the id only makes the keys of
    /// [`Self::key`]; a merge, whose keys come ready-made, passes any).
    fn open_file(path: PathBuf, id: &str) -> Result<Self> {
        let mut warnings = Vec::new();
        let mut map = HashMap::new();
        let mut file = None;
        if path.exists() {
            let f = open_rw(&path)?;
            let lock = FileLock::new(&f, &path)?;
            let bytes = read_all(&f, &path)?;
            let loaded = load(&bytes, &path);
            if loaded.good_end < bytes.len() {
                f.set_len(loaded.good_end as u64)
                    .map_err(|e| Error::io(&path, e))?;
            }
            map = loaded.map;
            warnings = loaded.warnings;
            drop(lock);
            file = Some(f);
        }
        Ok(LlmCache {
            id: id.to_string(),
            path,
            state: Mutex::new(State { map, file }),
            warnings,
        })
    }

    /// What [`Self::open`] dropped or cut off, one sentence each (empty when the file was intact).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
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

    /// Stores an answer and appends it to the file (under the file's lock, flushed before
    /// returning).
    pub fn put<T: Serialize>(&self, key: String, value: &T) -> Result<()> {
        let v = serde_json::to_value(value).expect("answers serialise");
        let json = serde_json::to_vec(&Record {
            k: key.clone(),
            v: v.clone(),
        })
        .expect("records serialise");
        let mut line = line_check(&json).into_bytes();
        line.push(b' ');
        line.extend_from_slice(&json);
        line.push(b'\n');
        let mut st = self.lock();
        if st.file.is_none() {
            st.file = Some(open_rw(&self.path)?);
        }
        let f = st.file.as_ref().expect("opened above");
        let path = &self.path;
        let io = |e| Error::io(path, e);
        {
            let _lock = FileLock::new(f, path)?;
            let len = f.metadata().map_err(io)?.len();
            let boundary = line_boundary(f, len).map_err(io)?;
            if boundary != len {
                // A killed process left half a line: cut it before appending.
                f.set_len(boundary).map_err(io)?;
            }
            let mut w = f;
            w.write_all(&line).and_then(|_| w.flush()).map_err(io)?;
        }
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
mod tests;
