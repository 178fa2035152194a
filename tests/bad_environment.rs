//! The bad-input catalogue, second part: a broken environment rather than a broken dataset —
//! output and cache directories that are files or not writable, a model file that is not a model,
//! an endpoint nobody answers on, an unreadable document — each one `error:` line naming the path
//! or URL and what to do, exit code 2, no table. Then the two cases whose defined answer is not an
//! error: a corrupt cache file (reported, recomputed, the same table) and `k` at least the number
//! of chunks (allowed, with a warning). Cases that load the embedding model need `make models`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny")
}

/// The installed models directory, found as the binary finds it.
fn models() -> PathBuf {
    chunkbench::paths::models_dir(None)
}

fn chunkbench(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

fn run_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let data = Box::leak(fixture().to_string_lossy().into_owned().into_boxed_str());
    let mut a = vec!["run", "--dataset", data, "--strategies", "fixed:size=64"];
    a.extend_from_slice(extra);
    a
}

/// Exit 2, one `error:` line holding every needle, no panic, no `summary.csv` under `dir`.
fn fails(dir: &Path, args: &[&str], needles: &[&str]) {
    let o = chunkbench(dir, args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{args:?}: one error line: {stderr}");
    for n in needles {
        assert!(errors[0].contains(n), "{args:?}: {n:?} not in {stderr}");
    }
    let written = walk(dir).into_iter().any(|p| p.ends_with("summary.csv"));
    assert!(!written, "{args:?}: a table was written");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            all.extend(walk(&p));
        }
        all.push(p);
    }
    all
}

#[test]
fn output_and_cache_directories_that_are_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("file"), "not a directory").unwrap();
    for (flag, needle) in [
        ("--out", "give --out a directory"),
        ("--cache-dir", "give --cache-dir"),
    ] {
        let mut args = run_args(&[flag, "file"]);
        if flag != "--out" {
            args.extend(["--out", "out"]);
        }
        fails(tmp.path(), &args, &["file: is a file", needle]);
    }
    let args = run_args(&["--out", "out", "--llm-cache-dir", "file"]);
    let mut args: Vec<&str> = args;
    args[4] = "llm";
    fails(
        tmp.path(),
        &args,
        &["file: is a file", "give --llm-cache-dir"],
    );
}

#[test]
fn an_output_directory_that_cannot_be_written() {
    // Even root cannot create files in /proc: the one unwritable directory every Linux has.
    let tmp = tempfile::tempdir().unwrap();
    fails(
        tmp.path(),
        &run_args(&["--out", "/proc"]),
        &["/proc: cannot write in it", "give --out a directory"],
    );
}

#[test]
fn a_model_file_that_is_not_a_model() {
    let installed = models();
    if !installed.join("onnxruntime").is_dir() {
        panic!("models are not installed in {installed:?}: run `make models`");
    }
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("models");
    let model = m.join("all-MiniLM-L6-v2");
    std::fs::create_dir_all(&model).unwrap();
    std::os::unix::fs::symlink(installed.join("onnxruntime"), m.join("onnxruntime")).unwrap();
    for f in [
        "tokenizer.json",
        "config.json",
        "special_tokens_map.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(installed.join("all-MiniLM-L6-v2").join(f), model.join(f)).unwrap();
    }
    std::fs::write(model.join("model.onnx"), "this is not an ONNX graph").unwrap();
    let models_dir = m.to_str().unwrap();
    fails(
        tmp.path(),
        &run_args(&[
            "--out",
            "out",
            "--cache-dir",
            "c",
            "--models-dir",
            models_dir,
        ]),
        &[
            "cannot load the embedding model",
            "model.onnx",
            "fetch-models.sh --force",
        ],
    );
}

#[test]
fn an_endpoint_that_refuses_connections() {
    let tmp = tempfile::tempdir().unwrap();
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    for strategy in ["llm", "llm:method=prompted"] {
        let mut args = run_args(&["--out", "out", "--llm-url", &url, "--llm-retries", "0"]);
        args[4] = strategy;
        args.extend(["--llm-cache-dir", "llm-cache", "--cache-dir", "c"]);
        fails(
            tmp.path(),
            &args,
            &[
                &url,
                "cannot reach the endpoint",
                "check that the server is running",
            ],
        );
    }
}

#[test]
fn a_document_that_cannot_be_read() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
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
    // A broken link: the document is listed but cannot be read (root reads every mode, so a
    // permission case would pass vacuously when tests run as root).
    std::os::unix::fs::symlink(tmp.path().join("gone.md"), data.join("documents/ghost.md"))
        .unwrap();
    fails(
        tmp.path(),
        &["dataset", "validate", "data"],
        &["ghost.md", "cannot read it", "broken link"],
    );
}

/// `chunkbench run` on the tiny fixture with `extra`, expecting success; returns stderr.
fn succeeds(dir: &Path, extra: &[&str]) -> String {
    let o = chunkbench(dir, &run_args(extra));
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "models installed? {stderr}");
    stderr
}

#[test]
fn a_corrupt_cache_record_is_reported_and_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    succeeds(tmp.path(), &["--out", "a", "--cache-dir", "c", "--quiet"]);
    let file = walk(&tmp.path().join("c"))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with(".v2.bin"))
        .expect("a cache file");
    let mut bytes = std::fs::read(&file).unwrap();
    // Inside the second record's vector (header 24 bytes, records of 32 + 4 * 384 + 8 bytes).
    let at = 24 + (32 + 4 * 384 + 8) + 100;
    bytes[at..at + 8].copy_from_slice(b"XXXXXXXX");
    std::fs::write(&file, bytes).unwrap();
    let stderr = succeeds(tmp.path(), &["--out", "b", "--cache-dir", "c"]);
    assert!(
        stderr.contains("fails its checksum") && stderr.contains("embedded again"),
        "{stderr}"
    );
    assert!(stderr.contains("1 to embed"), "{stderr}");
    let read = |d: &str| std::fs::read(tmp.path().join(d).join("summary.csv")).unwrap();
    assert_eq!(
        read("a"),
        read("b"),
        "the recomputed run gives the same table"
    );
}

#[test]
fn k_not_smaller_than_the_number_of_chunks_is_allowed_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let stderr = succeeds(tmp.path(), &["--out", "a", "--cache-dir", "c", "--k", "50"]);
    assert!(
        stderr.contains("warning: strategy \"fixed:size=64\" made 9 chunks, not more than k = 50"),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(tmp.path().join("a/summary.csv")).unwrap();
    assert!(summary.lines().count() >= 2, "{summary}");
}
