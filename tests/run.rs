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

    // Second run, one thread: nothing embedded again, identical tables.
    run(&b, &cache, "1", &strategies);
    let t2 = timings(&b);
    assert_eq!(t2["embedded_texts"].as_u64(), Some(0), "{t2}");
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
    // 3 corpora + 2 question kinds + `all`, for each of the 4 strategies
    assert_eq!(csv.lines().count(), 1 + 4 * (3 + 2 + 1));

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
