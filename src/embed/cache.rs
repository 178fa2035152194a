//! A persistent, content-addressed embedding cache: one append-only file per embedder id under the
//! cache directory, each record `sha256(id, text) | dimension (u32 LE) | f32 LE * dimension`. A
//! record is written with one `write` call and flushed per batch; a torn last record (power loss,
//! kill) is ignored on load, so the cache is never corrupted by an interrupted run.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A cache key: sha256 over the embedder id and the text.
pub type Key = [u8; 32];

/// The cache for one embedder.
pub struct EmbeddingCache {
    id: String,
    path: PathBuf,
    map: HashMap<Key, Arc<[f32]>>,
    file: Option<File>,
    hits: usize,
}

impl EmbeddingCache {
    /// Opens (or creates) the cache of embedder `id` under `dir`.
    pub fn open(dir: &Path, id: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let file_name = format!(
            "{}.bin",
            hex(&Sha256::digest(id.as_bytes()))[..16].to_owned()
        );
        let path = dir.join(file_name);
        let mut map = HashMap::new();
        if path.exists() {
            let mut bytes = Vec::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .map_err(|e| Error::io(&path, e))?;
            let mut at = 0;
            while at + 36 <= bytes.len() {
                let key: Key = bytes[at..at + 32].try_into().expect("32 bytes");
                let dim = u32::from_le_bytes(bytes[at + 32..at + 36].try_into().expect("4 bytes"))
                    as usize;
                let end = at + 36 + dim * 4;
                if end > bytes.len() {
                    break; // torn final record
                }
                let v: Vec<f32> = bytes[at + 36..end]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                    .collect();
                map.insert(key, Arc::from(v));
                at = end;
            }
        }
        Ok(EmbeddingCache {
            id: id.to_string(),
            path,
            map,
            file: None,
            hits: 0,
        })
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

    pub fn get(&mut self, key: &Key) -> Option<Arc<[f32]>> {
        let v = self.map.get(key).cloned();
        if v.is_some() {
            self.hits += 1;
        }
        v
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

    /// Adds vectors and appends them to the file (flushed before returning).
    pub fn insert_all(&mut self, entries: Vec<(Key, Vec<f32>)>) -> Result<()> {
        let mut buf = Vec::new();
        for (k, v) in &entries {
            buf.extend_from_slice(k);
            buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for x in v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        }
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| Error::io(&self.path, e))?;
            self.file = Some(f);
        }
        let f = self.file.as_mut().expect("opened above");
        f.write_all(&buf)
            .and_then(|_| f.flush())
            .map_err(|e| Error::io(&self.path, e))?;
        for (k, v) in entries {
            self.map.insert(k, Arc::from(v));
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex of a sha256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
        let (a, b) = (c.key("a"), c.key("b"));
        c.insert_all(vec![(a, vec![1.0, 2.0]), (b, vec![3.0, 4.0])])
            .unwrap();
        let path = c.path().to_path_buf();
        drop(c);
        // Tear the last record.
        let len = std::fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len - 3).unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
        assert_eq!(&*c.get(&a).unwrap(), &[1.0, 2.0]);
        assert!(c.get(&b).is_none());
        assert_ne!(
            c.key("a"),
            EmbeddingCache::open(dir.path(), "other").unwrap().key("a")
        );
    }
}
