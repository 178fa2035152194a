//! A persistent, content-addressed embedding cache: one append-only file per embedder id under the
//! cache directory, `<sha256(id)[..16]>.v2.bin`.
//!
//! # Format (version 2)
//!
//! A 24-byte header, `CBEMBV2\n` | dimension (u32 LE) | 0 (u32) | `sha256(first 16 bytes)[..8]`,
//! then fixed-size records, each `sha256(id, text)` (32 bytes) | `f32 LE * dimension` |
//! `sha256(key | dimension u32 LE | data)[..8]`. All records of a file have the header's
//! dimension, so record `i` starts at `24 + i * (40 + 4 * dimension)` whatever the bytes of the
//! records before it: no length field is read from a record, and a corrupt record cannot shift
//! the ones after it.
//!
//! # What is guaranteed
//!
//! - **A vector is used only if its record's checksum verifies**, and it is the bit-identical
//!   `f32` data that was written for that key. Records are verified at open and again each time a
//!   vector is read: vectors stay in the file (and the page cache), the cache holds only each
//!   key's offset, so its memory grows with the number of texts, not with their vectors. A record
//!   changed after open is an error naming the file, never a wrong vector.
//! - **On open**, under an exclusive lock on the file: a torn or corrupt tail (everything after
//!   the last record that verifies: a partial record left by a killed run, or whole records that
//!   fail their checksum) is cut off, so nothing is ever appended after torn bytes. A record in the
//!   middle that fails its checksum is dropped and reported in [`EmbeddingCache::warnings`] (file,
//!   byte offset, what was dropped); its text is then simply not in the cache and is embedded again
//!   by the normal path (the new record is appended; the bad one stays in its slot and is reported
//!   at every open until the file is deleted). A file whose header is torn is started afresh; one
//!   whose header does not verify is renamed to `<name>.corrupt` (kept for inspection), reported,
//!   and a fresh file is started.
//! - **Concurrent runs sharing a cache directory** (threads or processes) do not corrupt it: every
//!   append takes an exclusive lock on the file (`File::lock`, an advisory `flock` on Unix), cuts a
//!   torn tail a killed process may have left (the length is brought down to a record boundary),
//!   writes its batch with one `write` call, flushes and unlocks; loading happens under the same
//!   lock, so a reader never sees half a record being written. A run does not see vectors another
//!   run appended after it opened the cache (it recomputes them; duplicates are harmless).
//! - **Files of the old format** (`<sha256(id)[..16]>.bin`, no checksums) are never read or
//!   written: they are left on disk, reported once per open, and can be deleted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::lockfile::{open_rw, FileLock, Merged};
use record::{encode, header, load, parse_header, read_record, record_len, BLOCK_RECORDS, HEADER};

mod record;

/// A cache key: sha256 over the embedder id and the text.
pub type Key = [u8; 32];

/// The cache for one embedder.
pub struct EmbeddingCache {
    id: String,
    path: PathBuf,
    /// The byte offset in `file` of each cached vector's record: vectors stay on disk (and in
    /// the page cache) and are read when asked for, so memory grows with the number of texts
    /// (a key and an offset each), not with their vectors.
    map: HashMap<Key, u64>,
    file: Option<File>,
    /// The dimension of the file's records, once known (from its header or the first insert).
    dim: Option<usize>,
    warnings: Vec<String>,
}

impl EmbeddingCache {
    /// Opens (or creates) the cache of embedder `id` under `dir`, repairing its file as the
    /// module documentation says; what was dropped or cut off is in [`Self::warnings`].
    pub fn open(dir: &Path, id: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let stem = hex(&Sha256::digest(id.as_bytes()))[..16].to_owned();
        let mut cache = Self::open_file(dir.join(format!("{stem}.v2.bin")), id)?;
        let old = dir.join(format!("{stem}.bin"));
        if old.exists() {
            cache.warnings.insert(
                0,
                format!(
                    "{}: an embedding cache of an older format (no checksums), ignored; delete \
                     it to reclaim the space",
                    old.display()
                ),
            );
        }
        Ok(cache)
    }

    /// Opens (or creates) the cache file at `path` for embedder `id` (the id only makes the keys
    /// of [`Self::key`]; a merge, whose keys come ready-made, passes any).
    fn open_file(path: PathBuf, id: &str) -> Result<Self> {
        let mut warnings = Vec::new();
        let mut map = HashMap::new();
        let mut dim = None;
        let mut file = None;
        if path.exists() {
            let f = open_rw(&path)?;
            let lock = FileLock::new(&f, &path)?;
            let len = f.metadata().map_err(|e| Error::io(&path, e))?.len();
            match load(&f, len, &path)? {
                Ok(l) => {
                    if l.good_end < len {
                        f.set_len(l.good_end).map_err(|e| Error::io(&path, e))?;
                    }
                    map = l.map;
                    dim = l.dim;
                    warnings.extend(l.warnings);
                    drop(lock);
                    file = Some(f);
                }
                Err(()) => {
                    let mut aside = path.clone().into_os_string();
                    aside.push(".corrupt");
                    let aside = PathBuf::from(aside);
                    std::fs::rename(&path, &aside).map_err(|e| Error::io(&path, e))?;
                    warnings.push(format!(
                        "{}: the header does not verify; the file was moved to {} and the cache \
                         starts empty",
                        path.display(),
                        aside.display()
                    ));
                }
            }
        }
        Ok(EmbeddingCache {
            id: id.to_string(),
            path,
            map,
            file,
            dim,
            warnings,
        })
    }

    /// What [`Self::open`] dropped or cut off, one sentence each (empty when the file was intact).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The cache key of `text`.
    pub fn key(&self, text: &str) -> Key {
        let mut h = Sha256::new();
        h.update(self.id.as_bytes());
        h.update([0u8]);
        h.update(text.as_bytes());
        h.finalize().into()
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.map.contains_key(key)
    }

    /// The cached vector of `key`, read from the file (`None` when it is not cached); an error
    /// if its record no longer verifies. Takes `&self`: threads may read at once.
    pub fn get(&self, key: &Key) -> Result<Option<Arc<[f32]>>> {
        let (Some(&at), Some(f), Some(dim)) = (self.map.get(key), &self.file, self.dim) else {
            return Ok(None);
        };
        Ok(Some(Arc::from(read_record(f, at, key, dim, &self.path)?)))
    }

    /// The cached vectors of `keys`, in order, each distinct key read once (equal texts share
    /// one vector); an error names the first that is not cached.
    pub fn vectors(&self, keys: &[Key]) -> Result<Vec<Arc<[f32]>>> {
        let mut read: HashMap<&Key, Arc<[f32]>> = HashMap::with_capacity(keys.len());
        keys.iter()
            .map(|k| {
                if let Some(v) = read.get(k) {
                    return Ok(v.clone());
                }
                let v = self.get(k)?.ok_or_else(|| {
                    Error::Model(format!(
                        "{}: no cached vector for key {}… although it was embedded in this run \
                         (was the file deleted meanwhile?)",
                        self.path.display(),
                        hex(&k[..4])
                    ))
                })?;
                read.insert(k, v.clone());
                Ok(v)
            })
            .collect()
    }

    /// The dimension of the cached vectors, once known.
    pub fn dimension(&self) -> Option<usize> {
        self.dim
    }

    /// Number of vectors in the cache.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The file backing the cache.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds vectors and appends them to the file (under the file's lock, flushed before
    /// returning). All vectors of one cache have one dimension.
    pub fn insert_all(&mut self, entries: Vec<(Key, Vec<f32>)>) -> Result<()> {
        let Some(d) = entries.first().map(|(_, v)| v.len()) else {
            return Ok(());
        };
        let mismatch = |d: usize, want: usize| {
            Error::Model(format!(
                "{}: vectors of dimension {d} given to an embedding cache of dimension {want}",
                self.path.display()
            ))
        };
        if d == 0 {
            return Err(mismatch(0, self.dim.unwrap_or(0)));
        }
        if let Some((_, v)) = entries.iter().find(|(_, v)| v.len() != d) {
            return Err(mismatch(v.len(), d));
        }
        if let Some(want) = self.dim {
            if want != d {
                return Err(mismatch(d, want));
            }
        }
        if self.file.is_none() {
            self.file = Some(open_rw(&self.path)?);
        }
        let f = self.file.as_ref().expect("opened above");
        let path = &self.path;
        let _lock = FileLock::new(f, path)?;
        let io = |e| Error::io(path, e);
        let len = f.metadata().map_err(io)?.len() as usize;
        let rec = record_len(d);
        let mut buf = Vec::with_capacity(HEADER + entries.len() * rec);
        // Where the first record of `buf` lands (the file is opened for appending).
        let mut first = HEADER;
        if len < HEADER {
            // New, or a header torn by a killed run: start afresh.
            f.set_len(0).map_err(io)?;
            buf.extend_from_slice(&header(d));
        } else {
            let mut h = [0u8; HEADER];
            let mut r = f;
            r.seek(SeekFrom::Start(0))
                .and_then(|_| r.read_exact(&mut h))
                .map_err(io)?;
            let Some(want) = parse_header(&h) else {
                return Err(Error::Model(format!(
                    "{}: the embedding cache's header no longer verifies (changed by another \
                     program?); delete the file",
                    path.display()
                )));
            };
            if want != d {
                return Err(mismatch(d, want));
            }
            let torn = (len - HEADER) % rec;
            if torn != 0 {
                // A killed process left half a record: cut it before appending.
                f.set_len((len - torn) as u64).map_err(io)?;
            }
            first = len - torn;
        }
        for (k, v) in &entries {
            encode(k, v, &mut buf);
        }
        let mut w = f;
        w.write_all(&buf).and_then(|_| w.flush()).map_err(io)?;
        self.dim = Some(d);
        for (i, (k, _)) in entries.iter().enumerate() {
            self.map.insert(*k, (first + i * rec) as u64);
        }
        Ok(())
    }
}

/// Appends to the cache file `dst` every vector of the cache file `src` that it lacks, in key
/// order (so the same sources give the same bytes). `src` is only read: a record of it that fails
/// its checksum is left out and reported, as a run would. Both must hold vectors of one dimension
/// (files of the same name do: the name is the hash of the embedder id).
pub fn merge_file(src: &Path, dst: &Path) -> Result<Merged> {
    let f = File::open(src).map_err(|e| Error::io(src, e))?;
    let len = f.metadata().map_err(|e| Error::io(src, e))?.len();
    let source = load(&f, len, src)?.map_err(|()| {
        Error::Usage(format!(
            "{}: not an embedding cache file (its header does not verify); leave it out of the merge",
            src.display()
        ))
    })?;
    let mut target = EmbeddingCache::open_file(dst.to_path_buf(), "")?;
    let mut warnings = source.warnings;
    warnings.append(&mut target.warnings);
    let total = source.map.len();
    let mut missing: Vec<(Key, u64)> = source
        .map
        .into_iter()
        .filter(|(k, _)| !target.contains(k))
        .collect();
    missing.sort_unstable_by_key(|e| e.0);
    if let Some(dim) = source.dim {
        for block in missing.chunks(BLOCK_RECORDS) {
            let entries = block
                .iter()
                .map(|(k, at)| Ok((*k, read_record(&f, *at, k, dim, src)?)))
                .collect::<Result<Vec<_>>>()?;
            target.insert_all(entries)?;
        }
    }
    Ok(Merged {
        added: missing.len(),
        present: total - missing.len(),
        warnings,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex of a sha256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of the sha256 of the file at `path`, read in blocks (a model's graph is not
/// held in memory to name it).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    std::io::copy(&mut File::open(path)?, &mut h)?;
    Ok(hex(&h.finalize()))
}

#[cfg(test)]
mod tests;
