//! Conformance of the span metrics with Chroma's reference implementation, without embeddings:
//! fed the reference's own chunk spans and retrieved chunk ids, the metric functions must reproduce
//! its per-question recall, precision and IoU to 1e-9 for all 472 questions.
//!
//! Needs the shared reference data: set CHUNKBENCH_SHARED to the directory that holds
//! `datasets/chroma-general` and `reference/chroma-minilm` (`.ci/run` does). Without it the test
//! says it was skipped.

use std::path::PathBuf;

use chunkbench::dataset::Dataset;
use chunkbench::score::ranges::Range;
use chunkbench::score::span::retrieval_scores;

fn shared() -> Option<PathBuf> {
    match std::env::var_os("CHUNKBENCH_SHARED") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!(
                "skipped: CHUNKBENCH_SHARED is not set (point it at the shared reference data)"
            );
            None
        }
    }
}

fn parse_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn metrics_reproduce_reference_per_question() {
    let Some(shared) = shared() else { return };
    let dataset = Dataset::load(&shared.join("datasets/chroma-general")).unwrap();
    assert_eq!(dataset.questions.len(), 472);
    let doc_of = |corpus: &str| {
        dataset
            .documents
            .iter()
            .position(|d| d.id == corpus)
            .unwrap()
    };
    let reference = shared.join("reference/chroma-minilm");
    for config in ["fixed_200_0", "recursive_tok_200_0", "cluster_200"] {
        let chunks: Vec<Range> = parse_lines(&reference.join(format!("{config}.chunks.jsonl")))
            .iter()
            .enumerate()
            .map(|(i, c)| {
                assert_eq!(c["id"].as_u64().unwrap() as usize, i);
                Range::new(
                    doc_of(c["corpus_id"].as_str().unwrap()),
                    c["start_index"].as_u64().unwrap() as usize,
                    c["end_index"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let retrievals = parse_lines(&reference.join(format!("{config}.retrievals.jsonl")));
        assert_eq!(retrievals.len(), 472);
        let mut checked = 0;
        for r in &retrievals {
            let q = &dataset.questions[r["q"].as_u64().unwrap() as usize];
            let gold: Vec<Range> = q
                .gold
                .iter()
                .map(|g| {
                    let c = &dataset.documents[g.doc].chars;
                    Range::new(
                        g.doc,
                        c.byte_to_char(g.start).unwrap(),
                        c.byte_to_char(g.end).unwrap(),
                    )
                })
                .collect();
            let retrieved: Vec<Range> = r["hnsw_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| chunks[id.as_u64().unwrap() as usize])
                .collect();
            let got = retrieval_scores(&gold, &retrieved);
            for (name, ours) in [
                ("recall", got.recall),
                ("precision", got.precision),
                ("iou", got.iou),
            ] {
                let theirs = r[name].as_f64().unwrap();
                assert!(
                    (ours - theirs).abs() < 1e-9,
                    "{config} q{}: {name} {ours} != reference {theirs}",
                    q.id
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 472);
    }
}
