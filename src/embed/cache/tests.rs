//! Tests of the cache file format: torn tails, corrupt records, concurrent writers.
use super::*;
use std::fs::OpenOptions;

fn vector(seed: usize, dim: usize) -> Vec<f32> {
    (0..dim)
        .map(|i| (seed * 1000 + i) as f32 * 0.001 - 0.5)
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn write(dir: &Path, texts: &[&str], dim: usize, seed: usize) {
    let mut c = EmbeddingCache::open(dir, "m").unwrap();
    let entries = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (c.key(t), vector(seed + i, dim)))
        .collect();
    c.insert_all(entries).unwrap();
}

#[test]
fn round_trip_is_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
    let v = vec![
        f32::from_bits(0x7fc0_1234), // a NaN with a payload
        -0.0,
        f32::MIN_POSITIVE / 8.0, // subnormal
        f32::INFINITY,
        1.0e-30,
    ];
    let a = c.key("a");
    c.insert_all(vec![(a, v.clone())]).unwrap();
    drop(c);
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(bits(&c.get(&a).unwrap().unwrap()), bits(&v));
    assert_ne!(
        c.key("a"),
        EmbeddingCache::open(dir.path(), "other").unwrap().key("a")
    );
}

/// The bug of issue 12: tear the last record, append after it, reopen.
#[test]
fn torn_tail_is_cut_before_appending() {
    let dir = tempfile::tempdir().unwrap();
    let dim = 3;
    write(dir.path(), &["a", "b", "c"], dim, 0);
    let path = EmbeddingCache::open(dir.path(), "m")
        .unwrap()
        .path()
        .to_path_buf();
    let len = std::fs::metadata(&path).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 5)
        .unwrap();
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
    assert!(c.warnings()[0].contains("torn or corrupt tail"));
    drop(c);
    write(dir.path(), &["d", "e"], dim, 3);
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.len(), 4);
    for (i, t) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let k = c.key(t);
        match c.get(&k).unwrap() {
            Some(v) => assert_eq!(bits(&v), bits(&vector(i, dim)), "{t}"),
            None => assert_eq!(*t, "c"),
        }
    }
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    assert_eq!(len, HEADER + 4 * record_len(dim));
}

/// The same when the tear happens in a second process's append (no reopen in between).
#[test]
fn torn_tail_left_by_another_writer_is_cut_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
    let a = c.key("a");
    c.insert_all(vec![(a, vector(0, 4))]).unwrap();
    let path = c.path().to_path_buf();
    // Another process dies after writing half a record.
    let mut other = OpenOptions::new().append(true).open(&path).unwrap();
    other.write_all(&[7u8; 20]).unwrap();
    let b = c.key("b");
    c.insert_all(vec![(b, vector(1, 4))]).unwrap();
    // Read back through the same handle: the new record's offset skips the cut tail.
    assert_eq!(bits(&c.get(&b).unwrap().unwrap()), bits(&vector(1, 4)));
    drop(c);
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(bits(&c.get(&a).unwrap().unwrap()), bits(&vector(0, 4)));
    assert_eq!(bits(&c.get(&b).unwrap().unwrap()), bits(&vector(1, 4)));
}

#[test]
fn corrupt_middle_record_is_reported_and_dropped() {
    let dim = 5;
    let rec = record_len(dim);
    // A flipped byte in the key, the data and the checksum of the middle record.
    for within in [3, 32 + 7, rec - 2] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &["a", "b", "c"], dim, 0);
        let path = EmbeddingCache::open(dir.path(), "m")
            .unwrap()
            .path()
            .to_path_buf();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = HEADER + rec;
        bytes[at + within] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
        assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
        assert!(
            c.warnings()[0].contains(&format!("at byte {at} ")),
            "{}",
            c.warnings()[0]
        );
        assert_eq!(c.len(), 2);
        let (a, b, cc) = (c.key("a"), c.key("b"), c.key("c"));
        assert_eq!(bits(&c.get(&a).unwrap().unwrap()), bits(&vector(0, dim)));
        assert!(c.get(&b).unwrap().is_none());
        assert_eq!(bits(&c.get(&cc).unwrap().unwrap()), bits(&vector(2, dim)));
        // Recomputed and appended: found again on the next open.
        c.insert_all(vec![(b, vector(1, dim))]).unwrap();
        drop(c);
        let c = EmbeddingCache::open(dir.path(), "m").unwrap();
        assert_eq!(c.warnings().len(), 1); // the bad slot is still reported
        assert_eq!(bits(&c.get(&b).unwrap().unwrap()), bits(&vector(1, dim)));
        assert_eq!(c.len(), 3);
    }
}

#[test]
fn corrupt_header_moves_the_file_aside() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &["a", "b"], 4, 0);
    let path = EmbeddingCache::open(dir.path(), "m")
        .unwrap()
        .path()
        .to_path_buf();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[9] ^= 1; // the dimension
    std::fs::write(&path, &bytes).unwrap();
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert!(c.is_empty());
    assert_eq!(c.warnings().len(), 1);
    assert!(c.warnings()[0].contains("header does not verify"));
    assert!(!path.exists());
    assert!(path.with_extension("bin.corrupt").exists());
}

#[test]
fn old_format_file_is_ignored_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let stem = &hex(&Sha256::digest(b"m"))[..16];
    let old = dir.path().join(format!("{stem}.bin"));
    std::fs::write(&old, [1u8; 100]).unwrap();
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert!(c.is_empty());
    assert_eq!(c.warnings().len(), 1);
    assert!(c.warnings()[0].contains("older format"));
    assert_eq!(std::fs::read(&old).unwrap(), [1u8; 100]);
}

#[test]
fn wrong_dimension_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &["a"], 4, 0);
    let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
    let k = c.key("b");
    assert!(c.insert_all(vec![(k, vec![1.0; 3])]).is_err());
}

/// Several writers (each its own open file, as two processes would have) append at once while
/// readers keep opening the cache; afterwards every record reads back intact.
#[test]
fn concurrent_writers_do_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (writers, batches, per_batch, dim) = (4, 40, 7, 96);
    std::thread::scope(|s| {
        for w in 0..writers {
            let dir = dir.path();
            s.spawn(move || {
                let mut c = EmbeddingCache::open(dir, "m").unwrap();
                for b in 0..batches {
                    let entries = (0..per_batch)
                        .map(|i| {
                            let n = (w * batches + b) * per_batch + i;
                            (c.key(&format!("t{n}")), vector(n, dim))
                        })
                        .collect();
                    c.insert_all(entries).unwrap();
                }
            });
        }
        let dir = dir.path();
        s.spawn(move || {
            for _ in 0..30 {
                let c = EmbeddingCache::open(dir, "m").unwrap();
                assert!(c.warnings().is_empty(), "{:?}", c.warnings());
            }
        });
    });
    let c = EmbeddingCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let total = writers * batches * per_batch;
    assert_eq!(c.len(), total);
    for n in 0..total {
        let k = c.key(&format!("t{n}"));
        assert_eq!(
            bits(&c.get(&k).unwrap().unwrap()),
            bits(&vector(n, dim)),
            "t{n}"
        );
    }
    let len = std::fs::metadata(c.path()).unwrap().len() as usize;
    assert_eq!(len, HEADER + total * record_len(dim));
}

#[test]
fn merge_appends_what_is_missing_in_key_order_and_leaves_the_source_alone() {
    let (a, b, into) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    write(a.path(), &["x", "y"], 4, 0);
    write(b.path(), &["y", "z"], 4, 10);
    let name = |d: &Path| EmbeddingCache::open(d, "m").unwrap().path().to_path_buf();
    let (src_a, src_b) = (name(a.path()), name(b.path()));
    let dst = into.path().join(src_a.file_name().unwrap());
    let before = std::fs::read(&src_a).unwrap();
    let m = merge_file(&src_a, &dst).unwrap();
    assert_eq!((m.added, m.present), (2, 0));
    let m = merge_file(&src_b, &dst).unwrap();
    // "y" is already there (from a): the first copy is kept.
    assert_eq!((m.added, m.present), (1, 1));
    assert_eq!(
        std::fs::read(&src_a).unwrap(),
        before,
        "the source is only read"
    );
    let again = merge_file(&src_b, &dst).unwrap();
    assert_eq!((again.added, again.present), (0, 2));

    let merged = EmbeddingCache::open(into.path(), "m").unwrap();
    assert!(merged.warnings().is_empty(), "{:?}", merged.warnings());
    assert_eq!(merged.len(), 3);
    for (text, seed) in [("x", 0), ("y", 1), ("z", 11)] {
        let k = merged.key(text);
        assert_eq!(
            bits(&merged.get(&k).unwrap().unwrap()),
            bits(&vector(seed, 4)),
            "{text}"
        );
    }
    // A file that is not a cache is refused, naming it.
    let junk = a.path().join("junk.v2.bin");
    std::fs::write(&junk, b"not a cache file at all, no header").unwrap();
    let e = merge_file(&junk, &dst).unwrap_err().to_string();
    assert!(
        e.contains("junk.v2.bin") && e.contains("not an embedding cache"),
        "{e}"
    );
}

#[test]
fn merge_refuses_another_dimension() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write(a.path(), &["x"], 4, 0);
    write(b.path(), &["y"], 3, 0);
    let src = EmbeddingCache::open(a.path(), "m")
        .unwrap()
        .path()
        .to_path_buf();
    let dst = EmbeddingCache::open(b.path(), "m")
        .unwrap()
        .path()
        .to_path_buf();
    let e = merge_file(&src, &dst).unwrap_err().to_string();
    assert!(
        e.contains("dimension 4") && e.contains("dimension 3"),
        "{e}"
    );
}

/// Vectors are read from the file when asked for: a record changed after the cache was opened
/// is an error naming the file, never a wrong vector; a record another process appended in the
/// meantime does not shift what this handle reads.
#[test]
fn a_record_changed_after_open_is_an_error_not_a_wrong_vector() {
    let dir = tempfile::tempdir().unwrap();
    let dim = 4;
    write(dir.path(), &["a", "b"], dim, 0);
    let mut c = EmbeddingCache::open(dir.path(), "m").unwrap();
    let path = c.path().to_path_buf();
    write(dir.path(), &["x"], dim, 7);
    let d = c.key("d");
    c.insert_all(vec![(d, vector(3, dim))]).unwrap();
    assert_eq!(bits(&c.get(&d).unwrap().unwrap()), bits(&vector(3, dim)));
    assert_eq!(
        bits(&c.get(&c.key("b")).unwrap().unwrap()),
        bits(&vector(1, dim))
    );
    // Flip one byte of the data of "a" (the first record).
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[HEADER + 32] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = c.get(&c.key("a")).unwrap_err().to_string();
    assert!(err.contains("no longer verifies"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    let err = c
        .vectors(&[c.key("b"), c.key("a")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("byte 24"), "{err}");
    assert!(c.get(&c.key("never")).unwrap().is_none());
}
