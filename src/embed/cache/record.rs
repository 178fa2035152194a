//! The bytes of a version-2 cache file: header, fixed-size records with their checksums, and
//! reading them back (a whole file verified block by block at open, one record at a time after).
//! The format itself is described in the parent module.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{hex, Key};
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"CBEMBV2\n";
pub(super) const HEADER: usize = 24;
const CHECK: usize = 8;

pub(super) fn record_len(dim: usize) -> usize {
    32 + 4 * dim + CHECK
}

pub(super) fn header(dim: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&(dim as u32).to_le_bytes());
    let check = Sha256::digest(&h[..16]);
    h[16..].copy_from_slice(&check[..CHECK]);
    h
}

/// The dimension a header declares, if it is a valid version-2 header.
pub(super) fn parse_header(h: &[u8]) -> Option<usize> {
    if h.len() < HEADER || &h[..8] != MAGIC || h[12..16] != [0; 4] {
        return None;
    }
    if Sha256::digest(&h[..16])[..CHECK] != h[16..HEADER] {
        return None;
    }
    let dim = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes")) as usize;
    (dim > 0).then_some(dim)
}

pub(super) fn record_check(key: &[u8], dim: usize, data: &[u8]) -> [u8; CHECK] {
    let mut h = Sha256::new();
    h.update(key);
    h.update((dim as u32).to_le_bytes());
    h.update(data);
    h.finalize()[..CHECK].try_into().expect("8 bytes")
}

pub(super) fn encode(key: &Key, v: &[f32], buf: &mut Vec<u8>) {
    let start = buf.len();
    buf.extend_from_slice(key);
    for x in v {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    let check = record_check(key, v.len(), &buf[start + 32..]);
    buf.extend_from_slice(&check);
}

/// Records read at a time while a file is verified at open or merged: memory stays one block
/// (about 1.5 MB at 384 dimensions) whatever the file's size.
pub(super) const BLOCK_RECORDS: usize = 1024;

/// Where the records of a version-2 file that verify sit.
pub(super) struct Loaded {
    /// The byte offset of each key's record.
    pub map: HashMap<Key, u64>,
    /// `None` when the header is torn (the file is started afresh).
    pub dim: Option<usize>,
    /// The end of the last good record (or of the header): everything after it is cut off.
    pub good_end: u64,
    pub warnings: Vec<String>,
}

/// Reads `buf.len()` bytes at byte `at` of `f` (no shared file position, so threads may read
/// at once).
pub(super) fn read_at(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            match std::os::windows::fs::FileExt::seek_read(f, &mut buf[done..], at + done as u64)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => done += n,
            }
        }
        Ok(())
    }
}

/// Whether record `r` (key, data, check) verifies.
pub(super) fn verifies(r: &[u8], dim: usize) -> bool {
    let (key, rest) = r.split_at(32);
    let (data, check) = rest.split_at(4 * dim);
    record_check(key, dim, data) == check
}

pub(super) fn decode(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect()
}

/// Verifies every record of the `len` bytes of `f`, a block at a time, and indexes the good
/// ones; `Ok(Err(()))` when the header does not verify.
pub(super) fn load(f: &File, len: u64, path: &Path) -> Result<std::result::Result<Loaded, ()>> {
    let io = |e| Error::io(path, e);
    let mut warnings = Vec::new();
    let mut map = HashMap::new();
    if len < HEADER as u64 {
        if len > 0 {
            warnings.push(format!(
                "{}: torn header ({len} bytes) cut off; the cache starts empty",
                path.display(),
            ));
        }
        return Ok(Ok(Loaded {
            map,
            dim: None,
            good_end: 0,
            warnings,
        }));
    }
    let mut h = [0u8; HEADER];
    read_at(f, &mut h, 0).map_err(io)?;
    let Some(dim) = parse_header(&h) else {
        return Ok(Err(()));
    };
    let rec = record_len(dim);
    let whole = (len as usize - HEADER) / rec;
    let mut good_end = HEADER as u64;
    let mut bad: Vec<(u64, [u8; 4])> = Vec::new();
    let mut buf = vec![0u8; BLOCK_RECORDS.min(whole) * rec];
    for first in (0..whole).step_by(BLOCK_RECORDS) {
        let n = (whole - first).min(BLOCK_RECORDS);
        let at = (HEADER + first * rec) as u64;
        let block = &mut buf[..n * rec];
        read_at(f, block, at).map_err(io)?;
        for (j, r) in block.chunks_exact(rec).enumerate() {
            let here = at + (j * rec) as u64;
            if verifies(r, dim) {
                map.insert(r[..32].try_into().expect("32 bytes"), here);
                good_end = here + rec as u64;
            } else {
                bad.push((here, r[..4].try_into().expect("4 bytes")));
            }
        }
    }
    for (b, start) in bad.iter().filter(|(b, _)| *b < good_end) {
        warnings.push(format!(
            "{}: the record at byte {b} fails its checksum; dropped 1 cached vector ({dim} \
             dimensions, key {}…), its text will be embedded again",
            path.display(),
            hex(start)
        ));
    }
    if good_end < len {
        let whole = bad.iter().filter(|(b, _)| *b >= good_end).count();
        let partial = (len as usize - HEADER) % rec;
        warnings.push(format!(
            "{}: cut off a torn or corrupt tail of {} bytes at byte {good_end} ({whole} whole \
             records failing their checksum, {partial} bytes of a partial record); those texts \
             will be embedded again",
            path.display(),
            len - good_end
        ));
    }
    Ok(Ok(Loaded {
        map,
        dim: Some(dim),
        good_end,
        warnings,
    }))
}

/// The vector of the record of `key` at byte `at` of `f` (named `path`), which verified when the
/// file was opened: an error if it no longer does.
pub(super) fn read_record(
    f: &File,
    at: u64,
    key: &Key,
    dim: usize,
    path: &Path,
) -> Result<Vec<f32>> {
    let mut r = vec![0u8; record_len(dim)];
    read_at(f, &mut r, at).map_err(|e| Error::io(path, e))?;
    if r[..32] != key[..] || !verifies(&r, dim) {
        return Err(Error::Model(format!(
            "{}: the cached vector at byte {at} no longer verifies (the file was changed by \
             another program while this run used it); delete the file and run again",
            path.display()
        )));
    }
    Ok(decode(&r[32..32 + 4 * dim]))
}
