//! The bad-input catalogue: each case damages a copy of the tiny fixture (or passes an impossible
//! argument) and asserts exit code 2, one `error:` line that names the file, line or parameter and
//! what to do, no panic, and no table written. No model is needed: every case fails before one
//! loads (the models directory points nowhere, so a case that got that far would fail on it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny")
}

/// A writable copy of the tiny fixture.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("documents")).unwrap();
    for e in std::fs::read_dir(fixture().join("documents")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, data.join("documents").join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        fixture().join("questions.jsonl"),
        data.join("questions.jsonl"),
    )
    .unwrap();
    dir
}

fn questions(dir: &Path) -> PathBuf {
    dir.join("data/questions.jsonl")
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

/// Runs `chunkbench` in `dir` with `args` (`DATA` stands for the damaged dataset, `OUT` for an
/// output directory inside `dir`) and checks the error.
fn check(dir: &Path, args: &[&str], needles: &[&str]) {
    let data = dir.join("data");
    let out = dir.join("out");
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("DATA", data.to_str().unwrap())
                .replace("OUT", out.to_str().unwrap())
        })
        .collect();
    let o: Output = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .current_dir(dir)
        .args(&args)
        .env("CHUNKBENCH_MODELS", dir.join("no-models"))
        .env("CHUNKBENCH_CACHE", dir.join("cache"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}: exit code; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: panic: {stderr}");
    assert!(
        stderr.starts_with("error: "),
        "{args:?}: one error line: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: expected {n:?} in: {stderr}");
    }
    assert!(
        !out.join("summary.csv").exists(),
        "{args:?}: a table was written"
    );
}

const RUN: &[&str] = &[
    "run",
    "--dataset",
    "DATA",
    "--out",
    "OUT",
    "--strategies",
    "fixed:size=64",
];

fn run_with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = RUN.to_vec();
    a.extend_from_slice(extra);
    a
}

#[test]
fn an_empty_dataset_directory() {
    let d = copy();
    std::fs::remove_file(questions(d.path())).unwrap();
    std::fs::remove_dir_all(d.path().join("data/documents")).unwrap();
    check(d.path(), RUN, &["questions.jsonl"]);
}

#[test]
fn a_dataset_path_that_is_a_file() {
    let d = copy();
    check(
        d.path(),
        &[
            "run",
            "--dataset",
            "DATA/questions.jsonl",
            "--strategies",
            "fixed:size=64",
        ],
        &["questions.jsonl"],
    );
}

#[test]
fn duplicate_question_ids() {
    let d = copy();
    edit(&questions(d.path()), |t| {
        t.replace("\"id\": \"t2\"", "\"id\": \"t1\"")
    });
    check(d.path(), RUN, &["questions.jsonl", "t1"]);
}

#[test]
fn a_question_without_an_excerpt() {
    let d = copy();
    edit(&questions(d.path()), |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let mut q: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        q["excerpts"] = serde_json::json!([]);
        lines[1] = q.to_string();
        lines.join("\n") + "\n"
    });
    check(d.path(), RUN, &["questions.jsonl:2"]);
}

#[test]
fn an_excerpt_out_of_range_or_reversed() {
    for (start, end) in [(202, 99999), (222, 202)] {
        let d = copy();
        edit(&questions(d.path()), |t| {
            t.replacen(
                "\"start\": 202, \"end\": 222",
                &format!("\"start\": {start}, \"end\": {end}"),
                1,
            )
        });
        check(d.path(), RUN, &["questions.jsonl:1"]);
    }
}

#[test]
fn an_excerpt_of_an_unknown_document() {
    let d = copy();
    edit(&questions(d.path()), |t| {
        t.replacen("\"doc\": \"apiary-log\"", "\"doc\": \"no-such-doc\"", 1)
    });
    check(d.path(), RUN, &["questions.jsonl:1", "no-such-doc"]);
}

#[test]
fn a_question_line_that_is_not_an_object() {
    let d = copy();
    edit(&questions(d.path()), |t| t + "[1, 2, 3]\n");
    check(d.path(), RUN, &["questions.jsonl:"]);
}

#[test]
fn a_utf8_bom_or_crlf_line_endings_in_the_questions_are_accepted_or_named() {
    // CRLF and a byte-order mark: the lines stay parseable JSON; the spans must still be right
    // (validated against the documents).
    let d = copy();
    edit(&questions(d.path()), |t| {
        format!("\u{feff}{}", t.replace('\n', "\r\n"))
    });
    let o = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args([
            "dataset",
            "validate",
            d.path().join("data").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "accepted: {all}");
    assert!(all.contains("every excerpt matches its text"), "{all}");
}

#[test]
fn impossible_strategy_parameters() {
    let cases: &[(&str, &str)] = &[
        ("fixed:size=0", "`size` must be at least 1"),
        ("fixed:size=abc", "`size` must be a non-negative integer"),
        ("sliding:size=10,overlap=0", "overlap >= 1"),
        (
            "recursive:size=10,splitter=html",
            "`splitter` must be one of",
        ),
        ("sentence:size=10,count=3", "not both"),
        ("semantic:max=2", "`max` must be at least"),
        (":size=3", "missing family"),
        ("fixed:size", "has no value"),
    ];
    for (spec, needle) in cases {
        let d = copy();
        check(
            d.path(),
            &["run", "--dataset", "DATA", "--strategies", spec],
            &[needle],
        );
    }
}

#[test]
fn a_toml_value_of_the_wrong_type_and_an_empty_sweep() {
    for (grid, needle) in [
        (
            "[[strategy]]\nfamily = 'fixed'\nsize = { a = 1 }\n",
            "must be a number, a string or a list",
        ),
        ("[[strategy]]\nfamily = 'fixed'\nsize = []\n", "empty list"),
        ("[[strategy]]\nfamily = 3\n", "missing `family"),
        ("strategy = 5\n", "grid.toml"),
    ] {
        let d = copy();
        std::fs::write(d.path().join("grid.toml"), grid).unwrap();
        check(
            d.path(),
            &["run", "--dataset", "DATA", "--strategies", "grid.toml"],
            &["grid.toml", needle],
        );
    }
}

#[test]
fn a_missing_grid_file_and_duplicate_strategy_names() {
    let d = copy();
    check(
        d.path(),
        &[
            "run",
            "--dataset",
            "DATA",
            "--strategies",
            "no-such-grid.toml",
        ],
        &["no-such-grid.toml", "no such strategy grid file"],
    );
    check(
        d.path(),
        &[
            "run",
            "--dataset",
            "DATA",
            "--strategies",
            "fixed:size=8",
            "fixed:size=8",
        ],
        &["already used"],
    );
}

#[test]
fn impossible_run_options() {
    for (flag, value, needle) in [
        ("--k", "0", "--k"),
        ("--bootstrap", "0", "--bootstrap"),
        ("--found-share", "1.5", "--found-share"),
        ("--found-share", "0", "--found-share"),
        ("--batch", "0", "--batch"),
    ] {
        let d = copy();
        check(d.path(), &run_with(&[flag, value]), &[needle]);
    }
}

#[test]
fn compare_given_missing_or_non_json_files() {
    let d = copy();
    std::fs::write(d.path().join("notjson.json"), "hello").unwrap();
    check(
        d.path(),
        &["compare", "no-such-baseline.json", "notjson.json"],
        &["no-such-baseline.json"],
    );
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/baseline.json");
    check(
        d.path(),
        &["compare", baseline.to_str().unwrap(), "notjson.json"],
        &["notjson.json", "not JSON"],
    );
}

#[test]
fn chunk_given_a_missing_or_non_utf8_file() {
    let d = copy();
    check(
        d.path(),
        &["chunk", "--strategy", "fixed:size=8", "no-such-file.md"],
        &["no-such-file.md"],
    );
    std::fs::write(d.path().join("latin1.txt"), b"caf\xe9 au lait").unwrap();
    check(
        d.path(),
        &["chunk", "--strategy", "fixed:size=8", "latin1.txt"],
        &["latin1.txt", "UTF-8"],
    );
}
