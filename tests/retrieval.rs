//! Retrievers as a sweep dimension, end to end on the tiny fixture: a BM25-only run that loads
//! no embedding model, token budgets that hand over exactly the budget, dense/BM25/hybrid rows
//! that are deterministic whatever the thread count, `compare` refusing another retrieval, and
//! the rerank stage against `chunkbench serve`'s `/v1/rerank` (the embedded SmolLM2), cached.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use chunkbench::chunk::sizer::cl100k_tokens;
use serde_json::Value;

fn chunkbench(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chunkbench"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("runs")
}

fn run(out: &Path, cache: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = common::tiny_run(out, cache);
    args.extend(
        [
            "--strategies",
            "fixed:size=48",
            "recursive:size=96,splitter=markdown",
            "--k",
            "2",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string()),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    chunkbench(&args, env)
}

fn ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn results(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap()
}

/// The text of a retrieved span (code-point offsets) of a fixture document.
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
fn a_bm25_run_loads_no_model_and_a_budget_hands_over_exactly_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // No models directory at all: a lexical run must not need one.
    let o = run(
        &out,
        &tmp.path().join("cache"),
        &[
            "--retrievers",
            "bm25:stem=english,stop=english",
            "--budget",
            "top-k,40",
        ],
        &[("CHUNKBENCH_MODELS", "/nonexistent/models")],
    );
    ok(&o);
    let r = results(&out);
    assert_eq!(r["embedder"]["id"], "none", "{}", r["embedder"]);
    let names: Vec<&str> = r["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "fixed:size=48 @ bm25:stem=english,stop=english, top-2",
            "recursive:size=96,splitter=markdown @ bm25:stem=english,stop=english, top-2",
            "fixed:size=48 @ bm25:stem=english,stop=english, 40 tokens",
            "recursive:size=96,splitter=markdown @ bm25:stem=english,stop=english, 40 tokens",
        ]
    );
    for s in &r["strategies"].as_array().unwrap()[2..] {
        for q in s["questions"].as_array().unwrap() {
            let handed: Vec<(String, usize, usize)> = q["retrieved"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["doc"].as_str().unwrap().to_string(),
                        c["start"].as_u64().unwrap() as usize,
                        c["end"].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            // Whole chunks, then a prefix of the last: 40 tokens counted chunk by chunk (a cut
            // prefix may re-tokenise one token differently at its end).
            let tokens: usize = handed
                .iter()
                .map(|(d, a, b)| cl100k_tokens(&span_text(d, *a, *b)))
                .sum();
            assert!(
                (38..=41).contains(&tokens),
                "{} handed {tokens} tokens: {handed:?}",
                s["name"]
            );
        }
    }
    assert_eq!(r["retrieval"]["budget_unit"], "cl100k tokens");
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .ends_with(",chunking,retriever,handover"));
    assert!(
        csv.lines().any(
            |l| l.ends_with(",fixed:size=48,bm25:stem=english,stop=english,40 tokens")
                || l.ends_with(",fixed:size=48,\"bm25:stem=english,stop=english\",40 tokens")
        ),
        "{csv}"
    );
    let t: Value =
        serde_json::from_slice(&std::fs::read(out.join("timings.json")).unwrap()).unwrap();
    let row = &t["strategies"][0]["retrieval"];
    assert!(row["index_bytes"].as_u64().unwrap() > 0, "{row}");
    assert_eq!(row["queries"], 6, "{row}");
}

#[test]
fn dense_bm25_and_hybrid_rows_are_deterministic_and_compare_refuses_another_retrieval() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (a, b, base) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("base"),
    );
    let sweep = [
        "--retrievers",
        "dense,bm25,hybrid:fusion=weighted,alpha=0.3",
    ];
    ok(&run(&a, &cache, &sweep, &[("RAYON_NUM_THREADS", "2")]));
    ok(&run(&b, &cache, &sweep, &[("RAYON_NUM_THREADS", "1")]));
    for f in [
        "summary.csv",
        "summary.md",
        "comparisons.csv",
        "results.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    let r = results(&a);
    assert_eq!(r["strategies"].as_array().unwrap().len(), 6);
    // Paired comparisons only within a setup or within a strategy: 6 rows give 3 pairs within
    // the setups and 2 × 3 within the strategies.
    let pairs: std::collections::BTreeSet<(String, String)> = r["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["a"].as_str().unwrap().into(),
                c["b"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 9, "{pairs:?}");
    let md = std::fs::read_to_string(a.join("summary.md")).unwrap();
    assert!(
        md.contains("## The best strategy under each retrieval setup"),
        "{md}"
    );
    assert!(a.join("figures/metric-vs-size-by-retriever.svg").is_file());
    // The default run (dense top-k) against the sweep: refused, naming both.
    ok(&run(&base, &cache, &[], &[]));
    let o = chunkbench(
        &[
            "compare",
            base.join("results.json").to_str().unwrap(),
            a.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("retrieval: baseline dense top-2, current dense, top-2; bm25, top-2;"),
        "{err}"
    );
}

#[test]
fn reranking_through_a_served_model_is_cached_and_costed() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::serve(200);
    let url = format!("http://127.0.0.1:{}/v1", server.1);
    let llm_cache = tmp.path().join("llm-cache");
    let args = [
        "--retrievers",
        "bm25,bm25+rerank",
        "--reranker",
        url.as_str(),
        "--rerank-depth",
        "4",
        "--llm-cache-dir",
        llm_cache.to_str().unwrap(),
    ];
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ok(&run(
        &a,
        &tmp.path().join("cache"),
        &args,
        &[("CHUNKBENCH_MODELS", "/nonexistent")],
    ));
    let t: Value = serde_json::from_slice(&std::fs::read(a.join("timings.json")).unwrap()).unwrap();
    let reranked = &t["strategies"][2]["retrieval"]["rerank"];
    assert_eq!(reranked["calls"], 6, "one call per question: {reranked}");
    assert!(reranked["prompt_tokens"].as_u64().unwrap() > 0);
    let r = results(&a);
    assert!(r["retrieval"]["reranker"]
        .as_str()
        .unwrap()
        .starts_with("rerank:http://127.0.0.1"));
    assert_eq!(r["retrieval"]["rerank_depth"], 4);
    assert_eq!(
        r["strategies"][2]["questions"][0]["retrieved"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // With the server stopped, the same run is answered from the cache, tables identical.
    drop(server);
    ok(&run(
        &b,
        &tmp.path().join("cache"),
        &args,
        &[("CHUNKBENCH_MODELS", "/nonexistent")],
    ));
    assert_eq!(
        std::fs::read(a.join("summary.csv")).unwrap(),
        std::fs::read(b.join("summary.csv")).unwrap()
    );
    let t: Value = serde_json::from_slice(&std::fs::read(b.join("timings.json")).unwrap()).unwrap();
    assert_eq!(t["strategies"][2]["retrieval"]["rerank"]["calls"], 0);
    // The embedded model in-process (`--reranker local`) ranks as the served one does.
    let c = tmp.path().join("c");
    let local = [
        "--retrievers",
        "bm25,bm25+rerank",
        "--reranker",
        "local",
        "--rerank-depth",
        "4",
        "--no-llm-cache",
    ];
    ok(&run(&c, &tmp.path().join("cache"), &local, &[]));
    let t: Value = serde_json::from_slice(&std::fs::read(c.join("timings.json")).unwrap()).unwrap();
    assert_eq!(t["strategies"][3]["retrieval"]["rerank"]["calls"], 6);
    let spans = |dir: &Path| -> Vec<Value> {
        results(dir)["strategies"].as_array().unwrap()[2..]
            .iter()
            .flat_map(|s| s["questions"].as_array().unwrap().clone())
            .map(|q| q["retrieved"].clone())
            .collect()
    };
    let (served, local) = (spans(&a), spans(&c));
    let order = |v: &[Value]| -> Vec<Vec<(Value, Value)>> {
        v.iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c["start"].clone(), c["end"].clone()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(order(&served), order(&local));
}

#[test]
fn rerank_flags_that_cannot_work_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let cache = tmp.path().join("c");
    for (args, says) in [
        (
            vec!["--retrievers", "dense+rerank"],
            "--reranker is not given",
        ),
        (vec!["--reranker", "local"], "no retriever ends in +rerank"),
        (
            vec!["--retrievers", "bm25+rerank", "--reranker", "cohere"],
            "give `local`",
        ),
        (vec!["--retrievers", "bm25,bm25"], "given twice"),
        (vec!["--retrievers", "bm52"], "unknown retriever \"bm52\""),
        (
            vec!["--retrievers", "hybrid:alpha=2,fusion=weighted"],
            "`alpha` must be between 0 and 1",
        ),
        (vec!["--budget", "0"], "--budget \"0\""),
    ] {
        let o = run(
            &out,
            &cache,
            &args,
            &[("CHUNKBENCH_MODELS", "/nonexistent")],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
