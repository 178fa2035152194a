//! The `llm` chunkers and question generation with the real embedded model (SmolLM2-135M, installed
//! by `make models`), through the CLI: topic changes found in a document of three unrelated
//! topics, the response cache making a re-run free, the prompted method's fallbacks reported,
//! cost accounting in a run, and a generated dataset that `dataset validate` accepts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One model-heavy test at a time: two llama.cpp processes on two cores would only slow each other.
static MODEL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    MODEL.lock().unwrap_or_else(|p| p.into_inner())
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chunkbench"))
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn topics() -> PathBuf {
    manifest().join("tests/fixtures/llm/three-topics.txt")
}

fn ok(output: Output) -> Output {
    assert_eq!(
        output.status.code(),
        Some(0),
        "failed (are the models installed? `make models`):\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// (start, end) code-point offsets of every chunk printed by `chunkbench chunk`.
fn chunk(strategy: &str, file: &Path, cache: &Path) -> (Vec<(usize, usize)>, String) {
    let out = ok(bin()
        .args(["chunk", "--strategy", strategy])
        .arg(file)
        .arg("--llm-cache-dir")
        .arg(cache)
        .args(["--llm-threads", "2"])
        .output()
        .unwrap());
    let spans = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["start"].as_u64().unwrap() as usize,
                v["end"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    (spans, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The number just before `suffix` in the cost line, e.g. `count(stderr, " fallbacks")`.
fn count(stderr: &str, suffix: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("language model:"))
        .unwrap_or_else(|| panic!("no cost line in {stderr}"));
    let before = &line[..line
        .find(suffix)
        .unwrap_or_else(|| panic!("no {suffix:?} in {line}"))];
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap()
}

#[test]
fn likelihood_finds_the_topic_changes_and_caches() {
    let _one = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(topics()).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let at = |needle: &str| text[..text.find(needle).unwrap()].chars().count();
    let truth = [at("Capital gains tax"), at("A satellite in orbit")];

    let (spans, stderr) = chunk("llm", &topics(), tmp.path());
    eprintln!("{stderr}");
    let starts: Vec<usize> = spans.iter().skip(1).map(|s| s.0).collect();
    for t in truth {
        let nearest = starts
            .iter()
            .map(|&s| s.abs_diff(t))
            .min()
            .unwrap_or(usize::MAX);
        let context: String = chars[t.saturating_sub(40)..t + 40].iter().collect();
        assert!(
            nearest <= 150,
            "no chunk starts near the topic change at {t} ({context:?}); starts: {starts:?}"
        );
    }
    assert!(spans.len() <= 8, "too many chunks: {spans:?}");
    assert!(count(&stderr, " model calls") > 0);

    // Again: every answer comes from the response cache.
    let (again, stderr) = chunk("llm", &topics(), tmp.path());
    assert_eq!(again, spans);
    assert_eq!(count(&stderr, " model calls"), 0, "{stderr}");
}

#[test]
fn prompted_runs_on_the_embedded_model_and_reports_fallbacks() {
    let _one = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let (spans, stderr) = chunk("llm:method=prompted,window=400", &topics(), tmp.path());
    eprintln!("{stderr}");
    assert!(spans.len() >= 2, "{spans:?}");
    let fallbacks = count(&stderr, " fallbacks");
    let calls = count(&stderr, " model calls");
    assert!(calls >= 1 && fallbacks <= calls, "{stderr}");
}

#[test]
fn contextual_llm_writes_a_context_per_chunk_on_the_base_spans_and_caches() {
    let _one = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let spec = "contextual:base=(recursive:size=400,splitter=text),context=llm,max-context=40";
    let run = || {
        let out = ok(bin()
            .args(["chunk", "--strategy", spec])
            .arg(topics())
            .arg("--llm-cache-dir")
            .arg(tmp.path())
            .args(["--llm-threads", "2"])
            .output()
            .unwrap());
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (units, stderr) = run();
    eprintln!("{stderr}");
    let (base, _) = chunk("recursive:size=400,splitter=text", &topics(), tmp.path());
    let spans: Vec<(usize, usize)> = units
        .iter()
        .map(|u| {
            (
                u["start"].as_u64().unwrap() as usize,
                u["end"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(spans, base, "the base's spans, unchanged");
    let calls = count(&stderr, " model calls");
    assert_eq!(calls, units.len(), "one call per chunk: {stderr}");
    let with_context = units.iter().filter(|u| u["context"].is_string()).count();
    assert_eq!(
        with_context + count(&stderr, " fallbacks"),
        units.len(),
        "{stderr}"
    );
    assert!(
        with_context > 0,
        "the model wrote no context at all: {stderr}"
    );
    for u in units.iter().filter(|u| u["context"].is_string()) {
        let c = u["context"].as_str().unwrap();
        assert!(c.ends_with("\n\n") && c.trim().len() > 3, "{c:?}");
    }
    // Again: every context from the response cache, the same.
    let (again, stderr) = run();
    assert_eq!(again, units);
    assert_eq!(count(&stderr, " model calls"), 0, "{stderr}");
}

#[test]
fn run_records_llm_cost_per_strategy() {
    let _one = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let output = ok(bin()
        .args(["run", "--dataset"])
        .arg(manifest().join("tests/fixtures/tiny"))
        .args([
            "--strategies",
            "llm:max=200",
            "fixed:size=64",
            "--k",
            "2",
            "--out",
        ])
        .arg(&out)
        .arg("--cache-dir")
        .arg(tmp.path().join("emb"))
        .arg("--llm-cache-dir")
        .arg(tmp.path().join("llm"))
        .output()
        .unwrap());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Language model for llm:max=200"),
        "{stdout}"
    );
    assert!(!stdout.contains("Language model for fixed"), "{stdout}");
    let t: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("timings.json")).unwrap()).unwrap();
    let llm = &t["strategies"][0]["llm"];
    assert!(llm["calls"].as_u64().unwrap() > 0, "{t}");
    assert!(llm["prompt_tokens"].as_u64().unwrap() > 0, "{t}");
    assert!(t["strategies"][1].get("llm").is_none(), "{t}");
}

#[test]
fn generated_questions_validate() {
    let _one = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let output = ok(bin()
        .args(["questions", "generate"])
        .arg(manifest().join("datasets/larkspur"))
        .args(["--doc", "oncall-faq", "--doc", "service-level-agreement"])
        .args(["--per-doc", "3", "--out"])
        .arg(&out)
        .arg("--cache-dir")
        .arg(tmp.path().join("emb"))
        .arg("--llm-cache-dir")
        .arg(tmp.path().join("llm"))
        .output()
        .unwrap());
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let lines = std::fs::read_to_string(out.join("questions.jsonl")).unwrap();
    eprintln!("{lines}");
    assert!(lines.lines().count() >= 1, "{lines}");
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["question"].as_str().unwrap().ends_with('?'), "{l}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("generation.json")).unwrap()).unwrap();
    assert_eq!(report["attempted"], 6, "{report}");
    // Every attempt is recorded, kept or dropped with the filter and reason that decided, and the
    // counts per filter add up.
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 6, "{report}");
    let min_gain = report["settings"]["min_gain"].as_f64().unwrap();
    let mut kept = 0;
    for a in attempts {
        if a["kept"].as_bool().unwrap() {
            kept += 1;
            assert!(a["answerability"].as_f64().unwrap() >= min_gain, "{a}");
            assert!(a["corpus_rank"].as_u64().unwrap() <= 20, "{a}");
        } else {
            assert!(a["filter"].is_string() && a["reason"].is_string(), "{a}");
        }
    }
    assert_eq!(kept, lines.lines().count());
    let dropped: u64 = report["dropped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(dropped as usize + kept, 6, "{report}");
    let review = std::fs::read_to_string(out.join("review.md")).unwrap();
    assert!(review.contains(&format!("## Kept ({kept})")), "{review}");
    ok(bin()
        .args(["dataset", "validate"])
        .arg(&out)
        .output()
        .unwrap());
}
