//! The model-based answer metrics end to end: `chunkbench run --utility --judge URL` against a
//! real local model server speaking the OpenAI API (`chunkbench serve`, the embedded SmolLM2 —
//! installed by `make models`; a weak judge, but a real one). The answer generator and the judge
//! are both that server. A second run, with the server stopped, is answered by the response
//! cache alone and writes a byte-identical `summary.csv`. A judge that answers garbage is
//! provoked with a test double (the only way to get one on demand) and must be counted, not
//! scored.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chunkbench::answers::faithfulness;
use chunkbench::llm::{CachedLlm, ChatRequest, Completion, Llm, Scored};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny")
}

fn run(tmp: &Path, out: &str, url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(["run", "--dataset", fixture().to_str().unwrap()])
        .args(["--out", tmp.join(out).to_str().unwrap()])
        .args(["--cache-dir", tmp.join("emb").to_str().unwrap()])
        .args(["--llm-cache-dir", tmp.join("llm").to_str().unwrap()])
        .args([
            "--strategies",
            "fixed:size=48",
            "recursive:size=64,splitter=markdown",
        ])
        .args(["--k", "2", "--utility", "--judge", url])
        .args(["--llm-url", url, "--llm-model-name", "smollm2"])
        .args(["--judge-model-name", "smollm2", "--llm-retries", "0"])
        .output()
        .expect("runs")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn utility_and_faithfulness_against_a_served_model() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::serve(2000);
    let url = format!("http://127.0.0.1:{}/v1", server.1);
    let first = run(tmp.path(), "a", &url);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("Answer quality"), "{stdout}");

    let r = json(&tmp.path().join("a/results.json"));
    let models = &r["answer_models"];
    assert_eq!(models["judge"], format!("openai:{url}:smollm2"), "{models}");
    assert_eq!(models["generator"], models["judge"]);
    assert_eq!(models["utility"], models["judge"]);
    let mut judged = 0;
    for st in r["strategies"].as_array().unwrap() {
        for q in st["questions"].as_array().unwrap() {
            let u = q["context_utility"]
                .as_f64()
                .expect("every fixture question has an answer");
            assert!(u.is_finite() && u.abs() < 20.0, "utility {u}");
            let g = &q["generated"];
            assert!(!g["answer"].as_str().unwrap().is_empty(), "{g}");
            let kp = g["k_precision"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&kp), "{g}");
            let f1 = g["f1"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&f1), "{g}");
            if let Some(f) = g["faithfulness"].as_f64() {
                assert!((0.0..=1.0).contains(&f), "{g}");
                judged += 1;
            }
        }
    }
    assert!(judged > 0, "no answer was judged: {r}");

    // The tables carry the new metrics with intervals and name the models.
    let csv = std::fs::read_to_string(tmp.path().join("a/summary.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let all_row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("fixed:size=48,all,"))
        .unwrap()
        .split(',')
        .collect();
    for col in [
        "context_utility_lo",
        "faithfulness_mean",
        "k_precision_hi",
        "answer_f1_mean",
    ] {
        let i = header.iter().position(|h| *h == col).unwrap();
        assert!(
            all_row[i].parse::<f64>().is_ok(),
            "{col} = {:?}",
            all_row[i]
        );
    }
    let md = std::fs::read_to_string(tmp.path().join("a/summary.md")).unwrap();
    assert!(
        md.contains("## Answer quality") && md.contains("judged by `openai:"),
        "{md}"
    );
    let t = json(&tmp.path().join("a/timings.json"));
    let cost = &t["strategies"][0]["answer"];
    assert!(cost["judge"]["calls"].as_u64().unwrap() > 0, "{cost}");
    assert!(cost["generator"]["calls"].as_u64().unwrap() > 0, "{cost}");
    assert!(t["utility_baseline"]["calls"].as_u64().unwrap() > 0, "{t}");

    // Stop the server: the re-run is answered from the response cache, tables identical.
    drop(server);
    let second = run(tmp.path(), "b", &url);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let t = json(&tmp.path().join("b/timings.json"));
    for st in t["strategies"].as_array().unwrap() {
        for who in ["utility", "generator", "judge"] {
            assert_eq!(st["answer"][who]["calls"], 0, "{who}: {st}");
        }
    }
    for f in ["summary.csv", "comparisons.csv", "summary.md"] {
        assert_eq!(
            std::fs::read(tmp.path().join("a").join(f)).unwrap(),
            std::fs::read(tmp.path().join("b").join(f)).unwrap(),
            "{f} differs"
        );
    }

    // With the server gone and a cold cache, the run stops with one clear error, exit 2.
    let out = Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(["run", "--dataset", fixture().to_str().unwrap()])
        .args(["--out", tmp.path().join("c").to_str().unwrap()])
        .args(["--cache-dir", tmp.path().join("emb").to_str().unwrap()])
        .args([
            "--no-llm-cache",
            "--strategies",
            "fixed:size=48",
            "--judge",
            &url,
        ])
        .args(["--llm-url", &url, "--llm-retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("127.0.0.1") && !err.contains("panicked"),
        "{err}"
    );
}

/// A judge that never says yes or no.
struct Rambler;

impl Llm for Rambler {
    fn id(&self) -> &str {
        "rambler"
    }
    fn complete(&self, r: &ChatRequest) -> chunkbench::Result<Completion> {
        let text = if r.max_tokens > 100 && r.messages[0].content.contains("statements") {
            "- The hub listens on port 7443.\n- It needs TLS."
        } else if r.max_tokens > 100 {
            "Port 7443, with TLS."
        } else {
            "Well, it depends."
        };
        Ok(Completion {
            text: text.into(),
            prompt_tokens: 10,
            completion_tokens: 5,
        })
    }
    fn score(&self, _: &str, _: &str) -> chunkbench::Result<Scored> {
        unreachable!("not scored")
    }
}

#[test]
fn a_judge_without_verdicts_is_counted_not_scored() {
    let judge = CachedLlm::new(std::sync::Arc::new(Rambler), None);
    let g = faithfulness::evaluate(
        &Rambler,
        &judge,
        "Which port?",
        Some("7443"),
        &["The hub listens on port 7443."],
    )
    .unwrap();
    assert_eq!(g.answer, "Port 7443, with TLS.");
    assert_eq!(g.statements.len(), 2);
    assert!(g.statements.iter().all(|(_, v)| v.is_none()));
    assert_eq!(g.faithfulness, None);
    // Two statements, each asked twice, both misses counted once.
    assert_eq!(judge.cost().calls, 1 + 2 * 2);
    assert_eq!(judge.cost().fallbacks, 2);
    // Model-free companions still score the answer: 2 of 4 tokens grounded; F1 vs "7443" = 2/5.
    assert_eq!(g.k_precision, Some(0.5));
    assert_eq!(g.f1, Some(0.4));
}
