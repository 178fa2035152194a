//! Sharded runs end to end on the tiny fixture with the real local model: three `run --shard I/3`
//! fill their own caches, `cache merge` combines them, and the run over the merged caches embeds
//! nothing and writes tables byte-identical to an unsharded run with a cache of its own.

use std::path::Path;
mod common;

use common::{chunkbench, fixture};
use std::process::{Command, Output};

const GRID: [&str; 6] = [
    "--strategies",
    "fixed:size=48",
    "recursive:size=64,splitter=markdown",
    "semantic:max=96",
    "--k",
    "2",
];

fn run(dir: &Path, cache: &Path, extra: &[&str]) -> Output {
    let fixture = fixture();
    let mut args = vec![
        "run",
        "--quiet",
        "--dataset",
        fixture.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    args.extend(GRID);
    args.extend(extra);
    chunkbench(&args)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn three_shards_merged_give_the_unsharded_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // Every document and question lands in exactly one shard.
    let (mut documents, mut questions) = (0, 0);
    for i in 0..3 {
        let shard = format!("{i}/3");
        let dir = t.join(format!("shard-{i}"));
        run(
            &dir.join("out"),
            &dir.join("cache/embeddings"),
            &["--shard", &shard],
        );
        let report = json(&dir.join("out/shard.json"));
        assert_eq!(report["shard"], shard.as_str());
        assert_eq!(report["dataset_documents"], 3);
        documents += report["documents"].as_u64().unwrap();
        questions += report["questions"].as_u64().unwrap();
        assert!(
            !dir.join("out/summary.csv").exists(),
            "a shard scores nothing"
        );
    }
    assert_eq!((documents, questions), (3, 6));

    let merged = t.join("merged");
    let shards: Vec<String> = (0..3)
        .map(|i| t.join(format!("shard-{i}/cache")).display().to_string())
        .collect();
    let mut args = vec!["cache", "merge", "--into", merged.to_str().unwrap()];
    args.extend(shards.iter().map(String::as_str));
    let said = String::from_utf8_lossy(&chunkbench(&args).stdout).into_owned();
    assert!(said.contains("records added"), "{said}");
    // Merging again adds nothing.
    let again = String::from_utf8_lossy(&chunkbench(&args).stdout).into_owned();
    assert!(again.contains(": 0 records added"), "{again}");

    let final_run = t.join("final");
    run(&final_run, &merged.join("embeddings"), &[]);
    let timings = json(&final_run.join("timings.json"));
    assert_eq!(
        timings["embedded_texts"], 0,
        "the merged caches hold every vector: {timings}"
    );

    let whole = t.join("whole");
    run(&whole, &t.join("whole-cache"), &[]);
    for f in [
        "summary.csv",
        "summary.md",
        "comparisons.csv",
        "results.json",
    ] {
        let (a, b) = (whole.join(f), final_run.join(f));
        let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
        assert!(
            a == b,
            "{f} differs between the unsharded run and the merged shards"
        );
    }
}

#[test]
fn merge_refuses_what_it_cannot_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let out = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(["cache", "merge", "--into"])
        .arg(tmp.path().join("m"))
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope") && err.contains("not a directory"),
        "{err}"
    );

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(["cache", "merge", "--into"])
        .arg(tmp.path().join("m"))
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cache files"));

    let out = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(["run", "--shard", "3/3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 <= I < N"));
}
