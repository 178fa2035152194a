//! The OpenAI-compatible embeddings backend. End to end: a run through `--embed-url` against
//! `chunkbench serve` (the same local all-MiniLM-L6-v2, installed by `make models`) writes the
//! same `summary.csv` as the run on the local model — metrics and the index columns, the latter
//! because `--embed-tokenizer` and `--max-length` tell the endpoint run how the model counts.
//! The failure modes (vectors of changing dimension, malformed replies, a server error) come from
//! a tiny scripted server inside the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chunkbench::embed::http::{HttpEmbedConfig, HttpEmbedder};
use chunkbench::embed::{Embedder, Prefixes};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny")
}

/// The installed models directory, found as the binary finds it.
fn models() -> PathBuf {
    chunkbench::paths::models_dir(None)
}

fn run(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .current_dir(dir)
        .args(["run", "--dataset", fixture().to_str().unwrap()])
        .args([
            "--strategies",
            "fixed:size=48",
            "recursive:size=64,splitter=markdown",
        ])
        .args([
            "--k",
            "2",
            "--out",
            out,
            "--cache-dir",
            &format!("{out}-cache"),
        ])
        .args(extra)
        .output()
        .expect("runs");
    common::succeeded(o, "chunkbench run")
}

#[test]
fn a_run_through_the_endpoint_equals_the_run_on_the_local_model() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::serve(1000);
    let url = format!("http://127.0.0.1:{}/v1", server.1);
    run(tmp.path(), "local", &[]);
    let tokenizer = models().join("all-MiniLM-L6-v2/tokenizer.json");
    let o = run(
        tmp.path(),
        "endpoint",
        &[
            "--embed-url",
            &url,
            "--embed-model-name",
            "all-MiniLM-L6-v2",
            "--embed-tokenizer",
            tokenizer.to_str().unwrap(),
            "--max-length",
            "256",
        ],
    );
    let read = |d: &str| std::fs::read_to_string(tmp.path().join(d).join("summary.csv")).unwrap();
    assert_eq!(read("local"), read("endpoint"));
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("endpoint/results.json")).unwrap())
            .unwrap();
    let e = &results["embedder"];
    assert_eq!(e["backend"], "openai", "{e}");
    assert_eq!(
        e["id"],
        format!("openai:{url}:all-MiniLM-L6-v2/max256"),
        "{e}"
    );
    assert_eq!(e["dimension"], 384, "{e}");
    // The id differs from the local model's, so `compare` refuses to mix them.
    let c = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .current_dir(tmp.path())
        .args(["compare", "local/results.json", "endpoint/results.json"])
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&c.stderr).contains("embedder"));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("Index (all-MiniLM-L6-v2 (openai"),
        "{stdout}"
    );
}

/// A scripted server: request `n` gets `reply(n)` = (status, body).
fn double(reply: impl Fn(usize) -> (u16, String) + Send + 'static) -> u16 {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut n = 0;
        while n < 20 && started.elapsed() < Duration::from_secs(30) {
            let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            let (status, body) = reply(n);
            n += 1;
            let _ = req.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    port
}

fn embedder(port: u16) -> HttpEmbedder {
    let mut http = chunkbench::http::Config::new(&format!("http://127.0.0.1:{port}/v1"));
    http.retries = 1;
    http.backoff = Duration::from_millis(10);
    http.timeout = Duration::from_secs(5);
    HttpEmbedder::new(HttpEmbedConfig {
        http,
        model: "m".into(),
        counter: None,
        batch: 1,
        batch_tokens: 1000,
        max_tokens: None,
        prefixes: Prefixes::default(),
    })
    .unwrap()
}

fn vectors(dims: &[usize]) -> String {
    let data: Vec<serde_json::Value> = dims
        .iter()
        .enumerate()
        .map(|(i, d)| serde_json::json!({"index": i, "embedding": vec![0.5f32; *d]}))
        .collect();
    serde_json::json!({"data": data, "usage": {"prompt_tokens": 3}}).to_string()
}

#[test]
fn a_vector_of_another_dimension_is_an_error() {
    let port = double(|n| (200, vectors(&[if n == 0 { 4 } else { 8 }])));
    let mut e = embedder(port);
    // One text a request, sent in parallel: whichever the server answers second has the other
    // dimension.
    let err = e.embed(&["a", "b"]).unwrap_err().to_string();
    assert!(
        err.contains("8 dimensions after vectors of 4")
            || err.contains("4 dimensions after vectors of 8"),
        "{err}"
    );
}

#[test]
fn replies_are_normalised_and_usage_is_counted() {
    let port = double(|_| (200, vectors(&[4])));
    let mut e = embedder(port);
    let v = e.embed(&["a", "b", "c"]).unwrap();
    assert_eq!(v.len(), 3);
    assert!(v
        .iter()
        .all(|v| (v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6));
    let u = e.usage();
    assert_eq!((u.requests, u.prompt_tokens), (3, 9), "{u:?}");
}

#[test]
fn malformed_replies_and_server_errors_are_clear_errors() {
    let port = double(|_| (200, r#"{"data": [{"index": 0}]}"#.to_string()));
    let err = embedder(port).embed(&["a"]).unwrap_err().to_string();
    assert!(
        err.contains("/embeddings: malformed reply") && err.contains("no `embedding`"),
        "{err}"
    );
    let port = double(|_| (200, "not json".to_string()));
    let err = embedder(port).embed(&["a"]).unwrap_err().to_string();
    assert!(err.contains("not JSON"), "{err}");
    let port = double(|_| (500, "overloaded".to_string()));
    let err = embedder(port).embed(&["a"]).unwrap_err().to_string();
    assert!(
        err.contains("HTTP 500") && err.contains("after 2 attempts"),
        "{err}"
    );
}
