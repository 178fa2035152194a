//! Tests of the cache file format: torn tails, corrupt records, concurrent writers.
use super::*;
use std::fs::OpenOptions;

fn key(c: &LlmCache, i: usize) -> String {
    c.key("score", &("x", i))
}

fn put_all(dir: &Path, range: std::ops::Range<usize>) -> PathBuf {
    let c = LlmCache::open(dir, "m").unwrap();
    for i in range {
        c.put(key(&c, i), &vec![i as f32 + 0.5]).unwrap();
    }
    c.path().to_path_buf()
}

fn assert_holds(c: &LlmCache, present: &[usize], absent: &[usize]) {
    for &i in present {
        assert_eq!(
            c.get::<Vec<f32>>(&key(c, i)),
            Some(vec![i as f32 + 0.5]),
            "{i}"
        );
    }
    for &i in absent {
        assert_eq!(c.get::<Vec<f32>>(&key(c, i)), None, "{i}");
    }
}

/// The bug of issue 12: tear the last record, append after it, reopen.
#[test]
fn torn_tail_is_cut_before_appending() {
    let dir = tempfile::tempdir().unwrap();
    let path = put_all(dir.path(), 0..3);
    let len = std::fs::metadata(&path).unwrap().len();
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len - 3).unwrap();
    let c = LlmCache::open(dir.path(), "m").unwrap();
    assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
    assert!(c.warnings()[0].contains("torn or corrupt tail"));
    assert_holds(&c, &[0, 1], &[2]);
    drop(c);
    put_all(dir.path(), 3..5);
    let c = LlmCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.len(), 4);
    assert_holds(&c, &[0, 1, 3, 4], &[2]);
    let other = LlmCache::open(dir.path(), "other").unwrap();
    assert!(other.is_empty());
    assert_ne!(other.key("score", &("x", 0)), key(&c, 0));
}

/// Half a line written by another (killed) writer after this cache opened.
#[test]
fn torn_line_left_by_another_writer_is_cut_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let c = LlmCache::open(dir.path(), "m").unwrap();
    c.put(key(&c, 0), &vec![0.5f32]).unwrap();
    let mut other = OpenOptions::new().append(true).open(c.path()).unwrap();
    other.write_all(b"0123456789abcdef {\"k\":\"").unwrap();
    c.put(key(&c, 1), &vec![1.5f32]).unwrap();
    drop(c);
    let c = LlmCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_holds(&c, &[0, 1], &[]);
}

#[test]
fn corrupt_middle_line_is_reported_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = put_all(dir.path(), 0..3);
    let mut bytes = std::fs::read(&path).unwrap();
    let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let value = second
        + bytes[second..]
            .windows(3)
            .position(|w| w == b"1.5")
            .unwrap();
    bytes[value] = b'7'; // still valid JSON: only the checksum can tell
    std::fs::write(&path, &bytes).unwrap();
    let c = LlmCache::open(dir.path(), "m").unwrap();
    assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
    assert!(
        c.warnings()[0].contains(&format!("at byte {second} ")),
        "{}",
        c.warnings()[0]
    );
    assert_eq!(c.len(), 2);
    assert_holds(&c, &[0, 2], &[1]);
}

#[test]
fn old_format_file_is_ignored_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let digest = hex(&Sha256::digest(b"m"));
    let old = dir.path().join(format!("{}.jsonl", &digest[..16]));
    std::fs::write(&old, b"{\"k\":\"x\",\"v\":1}\n").unwrap();
    let c = LlmCache::open(dir.path(), "m").unwrap();
    assert!(c.is_empty());
    assert_eq!(c.warnings().len(), 1);
    assert!(old.exists());
}

/// Long enough that a write is not over before a racing reader looks.
fn long_answer(i: usize) -> String {
    format!("{i}:{}", "answer ".repeat(3000))
}

/// Several writers (each its own open file, as two processes would have) append at once while
/// a reader keeps opening the cache; afterwards every answer reads back.
#[test]
fn concurrent_writers_do_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (writers, each) = (4, 150);
    std::thread::scope(|s| {
        for w in 0..writers {
            let dir = dir.path();
            s.spawn(move || {
                let c = LlmCache::open(dir, "m").unwrap();
                for i in w * each..(w + 1) * each {
                    c.put(key(&c, i), &long_answer(i)).unwrap();
                }
            });
        }
        let dir = dir.path();
        s.spawn(move || {
            for _ in 0..30 {
                let c = LlmCache::open(dir, "m").unwrap();
                assert!(c.warnings().is_empty(), "{:?}", c.warnings());
            }
        });
    });
    let c = LlmCache::open(dir.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.len(), writers * each);
    for i in 0..writers * each {
        assert_eq!(c.get::<String>(&key(&c, i)), Some(long_answer(i)), "{i}");
    }
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

#[test]
fn merge_appends_missing_answers_and_drops_corrupt_lines() {
    let (a, b, into) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let src_a = put_all(a.path(), 0..3);
    let src_b = put_all(b.path(), 2..5);
    // Corrupt one line in the middle of b: it is left out and reported, the rest merges.
    let mut bytes = std::fs::read(&src_b).unwrap();
    let second = bytes.iter().position(|&c| c == b'\n').unwrap() + 1;
    bytes[second + 20] ^= 1;
    std::fs::write(&src_b, &bytes).unwrap();
    let dst = into.path().join(src_a.file_name().unwrap());
    let m = merge_file(&src_a, &dst).unwrap();
    assert_eq!((m.added, m.present), (3, 0));
    let m = merge_file(&src_b, &dst).unwrap();
    assert_eq!((m.added, m.present), (1, 1), "{:?}", m.warnings);
    assert_eq!(m.warnings.len(), 1);
    assert!(
        m.warnings[0].contains("fails its checksum"),
        "{:?}",
        m.warnings
    );
    assert_eq!(
        std::fs::read(&src_b).unwrap(),
        bytes,
        "the source is only read"
    );
    let c = LlmCache::open(into.path(), "m").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_holds(&c, &[0, 1, 2, 4], &[3]);
}
