//! Append-only cache files shared by concurrent runs: an exclusive advisory lock held for the
//! duration of a read or an append (`File::lock`, `flock` on Unix), released on drop.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, Result};

/// An exclusive advisory lock on a file, released on drop.
pub(crate) struct FileLock<'a>(&'a File);

impl<'a> FileLock<'a> {
    /// Blocks until the lock on `file` (named `path` in errors) is held.
    pub(crate) fn new(file: &'a File, path: &Path) -> Result<Self> {
        file.lock().map_err(|e| Error::io(path, e))?;
        Ok(FileLock(file))
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Opens for reading and appending (every write goes to the end), creating it if needed.
pub(crate) fn open_rw(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// The whole file from its start (the caller holds the lock).
pub(crate) fn read_all(mut f: &File, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// What merging one cache file into another did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Records the destination did not have, appended.
    pub added: usize,
    /// Records of the source the destination had already.
    pub present: usize,
    /// What was dropped from either file on the way (checksum failures, torn tails).
    pub warnings: Vec<String>,
}
