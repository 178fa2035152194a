//! The command line as a user meets it: bad input gives one clear error and exit code 2 (never a
//! panic), and `chunk` prints exact spans. These tests need no model.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chunkbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(args)
        .env("CHUNKBENCH_MODELS", "/nonexistent-models-dir-for-tests")
        .output()
        .expect("runs")
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny")
}

/// A copy of the tiny fixture that a test may damage.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("documents")).unwrap();
    for e in std::fs::read_dir(fixture().join("documents")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(
            &p,
            dir.path().join("documents").join(p.file_name().unwrap()),
        )
        .unwrap();
    }
    std::fs::copy(
        fixture().join("questions.jsonl"),
        dir.path().join("questions.jsonl"),
    )
    .unwrap();
    dir
}

fn assert_error(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        stderr.starts_with("error: "),
        "one clear error line: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "expected {n:?} in: {stderr}");
    }
}

#[test]
fn missing_dataset_path() {
    let out = chunkbench(&[
        "run",
        "--dataset",
        "no/such/dataset",
        "--strategies",
        "fixed:size=64",
    ]);
    assert_error(&out, &["no/such/dataset", "no such dataset directory"]);
}

#[test]
fn malformed_questions_line() {
    let d = fixture_copy();
    let q = d.path().join("questions.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&q)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = "{\"id\": \"t3\", \"question\": \"unterminated".into();
    std::fs::write(&q, lines.join("\n")).unwrap();
    let out = chunkbench(&[
        "run",
        "--dataset",
        d.path().to_str().unwrap(),
        "--strategies",
        "fixed:size=64",
    ]);
    assert_error(&out, &["questions.jsonl:3", "malformed question line"]);
}

#[test]
fn gold_span_that_does_not_match_the_text() {
    let d = fixture_copy();
    let q = d.path().join("questions.jsonl");
    let text = std::fs::read_to_string(&q).unwrap();
    let mut v: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let start = v[1]["excerpts"][0]["start"].as_u64().unwrap();
    v[1]["excerpts"][0]["start"] = (start + 3).into();
    v[1]["excerpts"][0]["end"] = (v[1]["excerpts"][0]["end"].as_u64().unwrap() + 3).into();
    let body: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    std::fs::write(&q, body.join("\n")).unwrap();
    let ds = d.path().to_str().unwrap();
    let out = chunkbench(&["run", "--dataset", ds, "--strategies", "fixed:size=64"]);
    assert_error(
        &out,
        &[
            "questions.jsonl:2",
            "question t2",
            "does not match",
            "first occurs at",
        ],
    );
    // validate lists the mismatch with the question and offsets, and exits 2.
    let out = chunkbench(&["dataset", "validate", ds]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "question t2: excerpt 0 does not match document \"apiary-log\" at {}..",
            start + 3
        )),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn non_utf8_and_empty_documents() {
    let d = fixture_copy();
    std::fs::write(d.path().join("documents/apiary-log.md"), b"caf\xe9 au lait").unwrap();
    let out = chunkbench(&["dataset", "validate", d.path().to_str().unwrap()]);
    assert_error(&out, &["apiary-log.md", "not valid UTF-8", "offset 3"]);
    std::fs::write(d.path().join("documents/apiary-log.md"), b"  \n").unwrap();
    let out = chunkbench(&["dataset", "validate", d.path().to_str().unwrap()]);
    assert_error(&out, &["apiary-log.md", "empty"]);
}

#[test]
fn unknown_strategy_family_and_parameter() {
    let ds = fixture();
    let ds = ds.to_str().unwrap();
    let out = chunkbench(&["run", "--dataset", ds, "--strategies", "fixd:size=64"]);
    assert_error(
        &out,
        &[
            "unknown strategy family \"fixd\"",
            "fixed, sliding, recursive",
        ],
    );
    let out = chunkbench(&[
        "run",
        "--dataset",
        ds,
        "--strategies",
        "fixed:size=64,overlpa=2",
    ]);
    assert_error(&out, &["unknown parameter `overlpa`"]);
}

#[test]
fn overlap_not_smaller_than_size() {
    let out = chunkbench(&[
        "run",
        "--dataset",
        fixture().to_str().unwrap(),
        "--strategies",
        "sliding:size=100,overlap=100",
    ]);
    assert_error(
        &out,
        &[
            "overlap (100) must be smaller than size (100)",
            "sliding:size=100,overlap=100",
        ],
    );
}

#[test]
fn malformed_grid_file_names_the_line() {
    let d = tempfile::tempdir().unwrap();
    let grid = d.path().join("grid.toml");
    std::fs::write(
        &grid,
        "[[strategy]]\nfamily = \"fixed\"\nsize = [128, 256\n",
    )
    .unwrap();
    let out = chunkbench(&[
        "run",
        "--dataset",
        fixture().to_str().unwrap(),
        "--strategies",
        grid.to_str().unwrap(),
    ]);
    assert_error(&out, &["grid.toml:"]);
}

#[test]
fn missing_models_say_how_to_install_them() {
    let out = chunkbench(&[
        "run",
        "--dataset",
        fixture().to_str().unwrap(),
        "--strategies",
        "fixed:size=64",
    ]);
    assert_error(&out, &["/nonexistent-models-dir-for-tests", "make models"]);
}

#[test]
fn chunk_timing_reports_the_call_on_stderr_and_leaves_stdout_alone() {
    let file = fixture().join("documents/sourdough-notes.md");
    let bytes = std::fs::metadata(&file).unwrap().len();
    let path = file.to_str().unwrap();
    let plain = chunkbench(&["chunk", "--strategy", "fixed:size=20", path]);
    let timed = chunkbench(&["chunk", "--timing", "--strategy", "fixed:size=20", path]);
    assert_eq!(timed.status.code(), Some(0));
    assert_eq!(
        plain.stdout, timed.stdout,
        "--timing changes nothing on stdout"
    );
    let chunks = String::from_utf8_lossy(&timed.stdout).lines().count();
    let stderr = String::from_utf8_lossy(&timed.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("chunking: "))
        .unwrap_or_else(|| panic!("no timing line in {stderr:?}"));
    assert!(
        line.starts_with(&format!("chunking: {bytes} bytes into {chunks} chunks in ")),
        "{line}"
    );
    let seconds: f64 = line
        .split(" in ")
        .nth(1)
        .unwrap()
        .split(" s")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds > 0.0 && seconds < 60.0, "{line}");
    assert!(
        plain.stderr.is_empty() || !String::from_utf8_lossy(&plain.stderr).contains("chunking: ")
    );
}

/// Several files are several documents: each is chunked on its own (the same chunks as alone),
/// every line names its file, the timing line covers them all, and the output is the same
/// whatever the number of threads.
#[test]
fn chunk_takes_several_files_each_a_document() {
    let dir = fixture().join("documents");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "the fixture has several documents");
    let paths: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let mut args = vec!["chunk", "--timing", "--strategy", "recursive:size=30"];
    args.extend(&paths);
    let all = chunkbench(&args);
    assert_eq!(
        all.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(all.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut bytes = 0;
    for path in &paths {
        bytes += std::fs::metadata(path).unwrap().len();
        let alone = chunkbench(&["chunk", "--strategy", "recursive:size=30", path]);
        let alone: Vec<serde_json::Value> = String::from_utf8(alone.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(
            alone.iter().all(|l| l.get("file").is_none()),
            "one file: no file field"
        );
        let mine: Vec<serde_json::Value> = lines
            .iter()
            .filter(|l| l["file"] == *path)
            .map(|l| {
                let mut l = l.clone();
                l.as_object_mut().unwrap().remove("file");
                l
            })
            .collect();
        assert!(!mine.is_empty(), "{path} has chunks");
        assert_eq!(mine, alone, "{path}: the same chunks as alone");
    }
    let stderr = String::from_utf8_lossy(&all.stderr);
    let want = format!(
        "chunking: {bytes} bytes of {} files into {} chunks in ",
        paths.len(),
        lines.len()
    );
    assert!(stderr.lines().any(|l| l.starts_with(&want)), "{stderr}");
    let mut one = vec!["chunk", "--jobs", "1", "--strategy", "recursive:size=30"];
    one.extend(&paths);
    let mut many = vec!["chunk", "--jobs", "3", "--strategy", "recursive:size=30"];
    many.extend(&paths);
    let (one, many) = (chunkbench(&one).stdout, chunkbench(&many).stdout);
    assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), lines.len());
    assert_eq!(one, many);
}

#[test]
fn chunk_prints_code_point_spans() {
    let file = fixture().join("documents/sourdough-notes.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let chars: Vec<char> = text.chars().collect();
    for spec in [
        "fixed:size=20",
        "sliding:size=20,overlap=5,unit=chars",
        "recursive:size=30,splitter=markdown",
    ] {
        let out = chunkbench(&["chunk", "--strategy", spec, file.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(lines.len() > 2, "{spec}");
        for l in &lines {
            let (s, e) = (
                l["start"].as_u64().unwrap() as usize,
                l["end"].as_u64().unwrap() as usize,
            );
            let expected: String = chars[s..e].iter().collect();
            assert_eq!(
                l["text"].as_str().unwrap(),
                expected,
                "{spec}: code-point offsets"
            );
        }
    }
}

#[test]
fn impossible_answer_metric_settings() {
    let ds = fixture();
    let ds = ds.to_str().unwrap();
    let out = chunkbench(&["run", "--dataset", ds, "--utility", "--answer-sample", "0"]);
    assert_error(
        &out,
        &[
            "invalid value '0' for '--answer-sample <N>'",
            "must be at least 1",
        ],
    );
    // Context utility without a single gold answer.
    let bare = fixture_copy();
    let q = bare.path().join("questions.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&q)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("answer");
            v.to_string()
        })
        .collect();
    std::fs::write(&q, lines.join("\n") + "\n").unwrap();
    let out = chunkbench(&[
        "run",
        "--dataset",
        bare.path().to_str().unwrap(),
        "--utility",
    ]);
    assert_error(
        &out,
        &["--utility scores the gold answers", "add an \"answer\""],
    );
    let out = chunkbench(&["run", "--dataset", ds, "--answer-sample", "5"]);
    assert_error(&out, &["add --utility and/or --judge"]);
    let out = chunkbench(&["run", "--dataset", ds, "--judge", "/no/such/judge.gguf"]);
    assert_error(
        &out,
        &["--judge /no/such/judge.gguf", "http://HOST:PORT/v1"],
    );
}

#[test]
fn compare_and_plot_refuse_another_tools_file_and_another_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"{"benchmark": "x", "results": []}"#).unwrap();
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/baseline.json");
    let b = baseline.to_str().unwrap();
    let out = chunkbench(&["compare", b, other.to_str().unwrap()]);
    assert_error(
        &out,
        &[
            "other.json",
            "not a chunkbench results.json",
            "\"benchmark\"",
        ],
    );
    let out = chunkbench(&["plot", other.to_str().unwrap()]);
    assert_error(&out, &["not a chunkbench results.json"]);

    // The committed baseline with its schema version changed.
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&baseline).unwrap()).unwrap();
    v["schema_version"] = 99.into();
    let old = dir.path().join("old.json");
    std::fs::write(&old, v.to_string()).unwrap();
    let out = chunkbench(&["compare", old.to_str().unwrap(), b]);
    assert_error(&out, &["old.json", "schema version 99", "reads version 1"]);
}
