//! `chunkbench run` end to end on the tiny fixture with the real local model (installed by
//! `make models`): tables are written, a second run is served from the embedding cache, and the
//! tables are byte-identical whatever the thread count.

mod common;

use std::path::Path;
use std::process::Command;

use common::fixture;

fn run(out: &Path, cache: &Path, threads: &str, extra: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args([
            "run",
            "--dataset",
            fixture().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--cache-dir", cache.to_str().unwrap()])
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("runs");
    common::succeeded(output, "chunkbench run")
}

fn timings(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("timings.json")).unwrap()).unwrap()
}

#[test]
fn run_writes_tables_uses_cache_and_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let strategies = [
        "--strategies",
        "fixed:size=48",
        "sliding:size=48,overlap=16",
        "recursive:size=48,splitter=markdown",
        "recursive:size=200,splitter=chroma,unit=chars",
        "cluster:max=64,piece=16",
        "--k",
        "2",
    ];
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let first = run(&a, &cache, "2", &strategies);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("recall") && stdout.contains("fixed:size=48"),
        "{stdout}"
    );
    let t1 = timings(&a);
    assert!(t1["embedded_texts"].as_u64().unwrap() > 10, "{t1}");
    // The cluster chunker embedded its pieces while chunking, and says so.
    let pieces = &t1["chunk_embedding"];
    assert!(pieces["texts"].as_u64().unwrap() > 10, "{t1}");
    assert!(
        pieces["model_tokens"].as_u64().unwrap() > pieces["texts"].as_u64().unwrap(),
        "{t1}"
    );

    // Second run, one thread: nothing embedded again, identical tables.
    run(&b, &cache, "1", &strategies);
    let t2 = timings(&b);
    assert_eq!(t2["embedded_texts"].as_u64(), Some(0), "{t2}");
    assert_eq!(t2["chunk_embedding"]["texts"].as_u64(), Some(0), "{t2}");
    for f in [
        "summary.csv",
        "comparisons.csv",
        "summary.md",
        "results.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }

    // The table has the documented columns and one row per strategy × corpus plus `all`.
    let csv = std::fs::read_to_string(a.join("summary.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "strategy,corpus,questions,recall_mean,recall_std,recall_lo,recall_hi,recall_n,precision_mean",
        "iou_mean,iou_std",
        "precision_omega_mean,precision_omega_std",
        "mrr_mean",
        "answer_support_mean",
        "chunks,mean_chunk_tokens",
    ] {
        assert!(header.contains(col), "{col} missing from {header}");
    }
    // 3 corpora + 2 question kinds + `all`, for each of the 5 strategies
    assert_eq!(csv.lines().count(), 1 + 5 * (3 + 2 + 1));

    // Real embeddings find the right document: questions about three unrelated topics.
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("results.json")).unwrap()).unwrap();
    let fixed = &results["strategies"][0];
    let all = fixed["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["corpus"] == "all")
        .unwrap();
    let metric = |name: &str| {
        all["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap()
            .clone()
    };
    assert!(metric("recall")["mean"].as_f64().unwrap() >= 0.6, "{all}");
    let hit = metric("hit");
    assert!(hit["lo"].as_f64().unwrap() <= hit["mean"].as_f64().unwrap());
    assert!(hit["mean"].as_f64().unwrap() <= hit["hi"].as_f64().unwrap());
    for q in fixed["questions"].as_array().unwrap() {
        let top = &q["retrieved"][0]["doc"];
        let corpus = &q["corpus"];
        assert_eq!(
            top, corpus,
            "question {} retrieved the wrong document first",
            q["id"]
        );
    }
    assert_eq!(results["k"], 2);
    assert_eq!(results["embedder"]["name"], "all-MiniLM-L6-v2");
}

/// Chunkers that embed while other documents are being chunked, on more rayon threads than
/// cores: a chunker waiting for the embedder's lock must never block the one holding it. Before
/// the fix, 8 of 32 such runs hung for good with 8 or 16 threads (the lock holder split its
/// token counting onto rayon's pool, and the worker that took a part of it was waiting for the
/// lock). `parent` with a semantic child embeds from inside the chunking tasks, as every
/// semantic chunker did before the run embedded their texts ahead.
#[test]
fn embedding_chunkers_on_many_threads_finish() {
    let mut strategies: Vec<String> = [100, 120, 140, 160, 180, 200, 220, 240]
        .iter()
        .map(|p| format!("parent:child=(semantic:max=60),parent=(fixed:size={p})"))
        .collect();
    strategies.push("cluster:max=48,piece=12".into());
    for attempt in 0..8 {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
            .args(["run", "--quiet", "--dataset", fixture().to_str().unwrap()])
            .args(["--out", tmp.path().join("out").to_str().unwrap()])
            .args(["--cache-dir", tmp.path().join("cache").to_str().unwrap()])
            .arg("--strategies")
            .args(&strategies)
            .env("RAYON_NUM_THREADS", "16")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("runs");
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > std::time::Duration::from_secs(120) {
                child.kill().unwrap();
                panic!("run {attempt} did not finish in 120 s: deadlocked");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(status.success(), "run {attempt}: {status}");
    }
}
