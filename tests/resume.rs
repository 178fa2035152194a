//! A run killed (SIGKILL) while it embeds, then started again with the same arguments, reuses the
//! vectors already written and writes tables byte-identical to an uninterrupted run. Needs the
//! real local model (`make models`). `--batch 1` embeds every text on its own, so no vector depends
//! on which texts shared its batch.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bytes of one cache record of a 384-dimensional model: key, data, checksum.
const RECORD: u64 = 32 + 4 * 384 + 8;

fn command(out: &Path, cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chunkbench"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--strategies", "fixed:size=128"])
        .args(["--batch", "1", "--out", out.to_str().unwrap()])
        .args(["--cache-dir", cache.to_str().unwrap()]);
    c
}

fn run(out: &Path, cache: &Path) -> String {
    let o = command(out, cache).output().expect("runs");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "run failed (models installed? `make models`): {stderr}"
    );
    stderr
}

fn cache_file(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".v2.bin"))
}

#[test]
fn a_run_killed_while_embedding_resumes_to_identical_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let (ref_out, ref_cache) = (tmp.path().join("ref"), tmp.path().join("ref-cache"));
    run(&ref_out, &ref_cache);

    // Start the same run on an empty cache and kill it once 100 vectors are on disk.
    let (out, cache) = (tmp.path().join("out"), tmp.path().join("cache"));
    let mut child = command(&out, &cache)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let started = Instant::now();
    loop {
        let len = cache_file(&cache)
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len());
        if len >= 24 + 100 * RECORD {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
    assert!(
        !out.join("summary.csv").exists(),
        "a killed run wrote a table"
    );

    // Started again: the vectors written before the kill are reused.
    let stderr = run(&out, &cache);
    let reused: usize = stderr
        .split(" already in the cache")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cache line in: {stderr}"));
    assert!(reused >= 100, "only {reused} reused: {stderr}");
    eprintln!("resumed with {reused} vectors from the cache");
    for f in [
        "summary.csv",
        "summary.md",
        "comparisons.csv",
        "results.json",
    ] {
        let (a, b) = (ref_out.join(f), out.join(f));
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "{f} differs after the resume"
        );
    }
}

#[test]
fn ctrl_c_stops_with_one_line_saying_what_was_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, cache) = (tmp.path().join("out"), tmp.path().join("cache"));
    let child = command(&out, &cache)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let started = Instant::now();
    while cache_file(&cache)
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len())
        < 24 + 20 * RECORD
    {
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("interrupted: the embeddings computed so far are kept in "),
        "{stderr}"
    );
    assert!(
        last.contains("run the same command again to resume"),
        "{last}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.join("summary.csv").exists());
}

/// The tiny fixture chunked by the embedded language model (`llm`, likelihood method) and scored
/// with context utility (answer metrics on the same model): both phases write model answers to
/// the response cache one by one.
fn model_command(dir: &Path, out: &str) -> Command {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny");
    let mut c = Command::new(env!("CARGO_BIN_EXE_chunkbench"));
    c.current_dir(dir)
        .args(["run", "--dataset", fixture.to_str().unwrap()])
        .args([
            "--strategies",
            "llm",
            "--utility",
            "--k",
            "1",
            "--batch",
            "1",
        ])
        .args(["--out", out, "--cache-dir", "emb", "--llm-cache-dir", "llm"]);
    c
}

/// Lines (answers) in the response cache under `dir/llm`.
fn answers_cached(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("llm"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().to_string_lossy().ends_with(".v2.jsonl"))
        .map(|e| std::fs::read(e.path()).unwrap_or_default())
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .sum()
}

/// Starts the model run in `dir` and kills it (SIGKILL) once `ready(answers cached, chunking
/// done)` holds.
fn kill_model_run_when(dir: &Path, ready: impl Fn(usize, bool) -> bool) {
    use std::io::BufRead;
    let mut child = model_command(dir, "out")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let chunked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = chunked.clone();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(|l| l.ok())
        {
            if line.starts_with("chunked:") {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    let started = Instant::now();
    while !ready(
        answers_cached(dir),
        chunked.load(std::sync::atomic::Ordering::SeqCst),
    ) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(600), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    reader.join().unwrap();
    assert!(
        !dir.join("out/summary.csv").exists(),
        "a killed run wrote a table"
    );
}

#[test]
fn a_run_killed_while_a_model_chunks_or_answers_resumes_to_identical_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    std::fs::create_dir_all(&reference).unwrap();
    let o = model_command(&reference, "out").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let total = answers_cached(&reference);

    let dir = tmp.path().join("killed");
    std::fs::create_dir_all(&dir).unwrap();
    // Killed while the model chunks: a few answers cached, chunking not finished.
    kill_model_run_when(&dir, |n, chunked| {
        assert!(!chunked, "chunking finished before 3 answers were seen");
        n >= 3
    });
    let during_chunking = answers_cached(&dir);
    // Restarted and killed again while the answer metrics run (after chunking, 2 answers more).
    let at_chunked = std::sync::Mutex::new(None);
    kill_model_run_when(&dir, |n, chunked| {
        let mut at = at_chunked.lock().unwrap();
        if chunked && at.is_none() {
            *at = Some(n);
        }
        at.is_some_and(|a| n >= a + 2)
    });
    let during_answers = answers_cached(&dir);
    assert!(during_chunking < during_answers && during_answers < total);

    // Finished: every answer computed before either kill is reused, none is asked twice.
    let o = model_command(&dir, "out").output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(
        answers_cached(&dir),
        total,
        "an answer was computed twice: {stderr}"
    );
    for f in [
        "summary.csv",
        "summary.md",
        "comparisons.csv",
        "results.json",
    ] {
        let (a, b) = (reference.join("out").join(f), dir.join("out").join(f));
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "{f} differs after two kills and a resume"
        );
    }
}
