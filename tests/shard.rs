//! Sharded runs end to end on the tiny fixture with the real local model: three `run --shard I/3`
//! fill their own caches, `cache merge` combines them, and the run over the merged caches embeds
//! nothing and writes tables byte-identical to an unsharded run with a cache of its own.

use std::path::Path;
mod common;

use common::{chunkbench, refused};
use std::process::Output;

const GRID: [&str; 6] = [
    "--strategies",
    "fixed:size=48",
    "recursive:size=64,splitter=markdown",
    "semantic:max=96",
    "--k",
    "2",
];

fn run(dir: &Path, cache: &Path, extra: &[&str]) -> Output {
    let mut args = common::tiny_run(dir, cache);
    args.extend(GRID.iter().chain(extra).map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
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
    let into = tmp.path().join("m");
    let merge = |src: &Path| {
        refused(&[
            "cache".as_ref(),
            "merge".as_ref(),
            "--into".as_ref(),
            into.as_os_str(),
            src.as_os_str(),
        ])
    };
    let err = merge(&tmp.path().join("nope"));
    assert!(
        err.contains("nope") && err.contains("not a directory"),
        "{err}"
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(merge(&empty).contains("no cache files"));
    assert!(refused(&["run", "--shard", "3/3"]).contains("0 <= I < N"));
}
