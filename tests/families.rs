//! The wrapper families end to end on the tiny fixture, with the real bundled model: adding
//! `contextual`, `parent` and `late` strategies leaves the other strategies' rows byte for byte
//! as they were; `contextual` keeps its base's chunks; `parent` hands over whole parents, each
//! once, `k` of them; `late` is costed in the timings and cached; and the run is deterministic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chunkbench::chunk::sizer::cl100k_tokens;
use serde_json::Value;

const OLD: [&str; 2] = ["fixed:size=48", "recursive:size=96,splitter=markdown"];
const CONTEXTUAL: &str = "contextual:base=fixed:size=48,context=headings";
const PARENT: &str = "parent:child=fixed:size=24,parent=fixed:size=96";
const LATE: &str = "late:base=fixed:size=48,overlap=32";

fn run(out: &Path, cache: &Path, strategies: &[&str]) {
    let mut args = common::tiny_run(out, cache);
    args.extend(["--k", "2", "--strategies"].map(String::from));
    args.extend(strategies.iter().map(|s| s.to_string()));
    let o = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn json(path: PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn row<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

/// The late strategy's pooling cost in a run's timings.
fn late_cost(out: &Path) -> Value {
    let timings = json(out.join("timings.json"));
    let row = timings["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == LATE)
        .cloned()
        .unwrap();
    row["late"].clone()
}

fn span_text(doc: &str, start: usize, end: usize) -> String {
    let text = std::fs::read_to_string(
        common::fixture()
            .join("documents")
            .join(format!("{doc}.md")),
    )
    .unwrap();
    text.chars().skip(start).take(end - start).collect()
}

#[test]
fn wrappers_change_retrieval_not_spans_and_leave_other_rows_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let old = tmp.path().join("old");
    run(&old, &cache, &OLD);
    let new = tmp.path().join("new");
    let mut all = OLD.to_vec();
    all.extend([CONTEXTUAL, PARENT, LATE]);
    run(&new, &cache, &all);
    let (before, after) = (
        json(old.join("results.json")),
        json(new.join("results.json")),
    );
    for name in OLD {
        assert_eq!(row(&before, name), row(&after, name), "{name} changed");
    }

    // contextual: the base's chunks exactly, but retrieved by another text.
    let (base, ctx) = (row(&after, OLD[0]), row(&after, CONTEXTUAL));
    assert_eq!(base["chunks"], ctx["chunks"]);
    assert_ne!(
        base["questions"], ctx["questions"],
        "a context changes the retrieval scores"
    );

    // parent: k distinct parents per question, each a whole 96-token window.
    let parent = row(&after, PARENT);
    for q in parent["questions"].as_array().unwrap() {
        let got = q["retrieved"].as_array().unwrap();
        assert_eq!(got.len(), 2, "k counts parents: {q}");
        assert_ne!(got[0], got[1], "a parent is handed over once");
        for c in got {
            let t = span_text(
                c["doc"].as_str().unwrap(),
                c["start"].as_u64().unwrap() as usize,
                c["end"].as_u64().unwrap() as usize,
            );
            assert!(cl100k_tokens(&t) <= 96, "{t:?}");
        }
    }
    assert!(parent["index"]["vectors"].as_u64() > parent["chunks"]["count"].as_u64());

    // late: costed on the first run, read from the cache on the second, same results.
    let late = late_cost(&new);
    assert_eq!(late["documents"], 3, "{late}");
    let again = tmp.path().join("again");
    run(&again, &cache, &all);
    assert_eq!(
        std::fs::read(new.join("results.json")).unwrap(),
        std::fs::read(again.join("results.json")).unwrap(),
        "not deterministic"
    );
    let late = late_cost(&again);
    assert_eq!(late["documents"], 0, "{late}");
}
