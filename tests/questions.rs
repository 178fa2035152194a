//! The answerability check of `questions generate` with the real embedded model (SmolLM2-135M,
//! installed by `make models`): a question that its excerpt answers raises the excerpt's
//! likelihood by more than the default threshold, a question about something else does not.
//!
//! `cargo test --release --test questions -- --ignored --nocapture` also prints the measurement
//! behind the default threshold: the gains of the bundled dataset's hand-written questions with
//! their own excerpt and with the excerpt of another question of another document.

use std::path::Path;
use std::sync::Arc;

use chunkbench::dataset::RawDataset;
use chunkbench::llm::local::{default_model_path, LocalLlm};
use chunkbench::llm::{CachedLlm, Llm, LlmCache};
use chunkbench::questions::answerability::{gain, DEFAULT_MIN_GAIN};

fn model(cache: Option<&Path>) -> CachedLlm {
    let dir = chunkbench::paths::models_dir(None);
    let path = default_model_path(&dir).expect("the models are installed: `make models`");
    let llm: Arc<dyn Llm> = LocalLlm::load(&path, 1).expect("the model loads");
    let cache = cache.map(|c| Arc::new(LlmCache::open(c, llm.id()).unwrap()));
    CachedLlm::new(llm, cache)
}

fn larkspur() -> RawDataset {
    RawDataset::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/larkspur")).unwrap()
}

#[test]
fn a_matching_question_raises_its_excerpts_likelihood_and_an_unrelated_one_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let llm = model(Some(tmp.path()));
    let excerpt = "Raft itself is light, but the leader must write its log with low latency: keep \
                   `/var/lib/kestrel/raft` on a disk with an fsync latency below 10 ms.";
    let good = gain(
        &llm,
        "What disk latency does a Kestrel hub node need for its Raft log?",
        excerpt,
    )
    .unwrap();
    let unrelated = gain(
        &llm,
        "How many days after a trip must travel expenses be submitted?",
        excerpt,
    )
    .unwrap();
    eprintln!("gain: matching {good:.3}, unrelated {unrelated:.3} nats/token");
    assert!(good >= DEFAULT_MIN_GAIN, "matching question: {good}");
    assert!(
        unrelated < DEFAULT_MIN_GAIN,
        "unrelated question: {unrelated}"
    );
    // Scores are deterministic and cached: the same again, without a model call.
    let calls = llm.cost().calls;
    assert_eq!(
        gain(
            &llm,
            "What disk latency does a Kestrel hub node need for its Raft log?",
            excerpt
        )
        .unwrap(),
        good
    );
    assert_eq!(llm.cost().calls, calls);
}

fn quantiles(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "n={} min {:.3} p10 {:.3} p25 {:.3} median {:.3} p75 {:.3} p90 {:.3} max {:.3}",
        v.len(),
        q(0.0),
        q(0.1),
        q(0.25),
        q(0.5),
        q(0.75),
        q(0.9),
        q(1.0)
    )
}

/// The measurement behind [`DEFAULT_MIN_GAIN`] (slow: two model reads per pair).
#[test]
#[ignore]
fn measure_gains_of_written_and_mismatched_questions() {
    let llm = model(Some(&chunkbench::paths::llm_cache_dir()));
    let ds = larkspur();
    let qs: Vec<_> = ds
        .questions
        .iter()
        .filter(|q| q.excerpts.len() == 1)
        .collect();
    let n = qs.len();
    let (mut matched, mut mismatched) = (Vec::new(), Vec::new());
    for (i, q) in qs.iter().enumerate() {
        matched.push(gain(&llm, &q.text, &q.excerpts[0].text).unwrap());
        // The excerpt of the question half the set away, from another document.
        let other = (0..n)
            .map(|k| qs[(i + n / 2 + k) % n])
            .find(|o| o.excerpts[0].doc != q.excerpts[0].doc)
            .unwrap();
        mismatched.push(gain(&llm, &q.text, &other.excerpts[0].text).unwrap());
    }
    for t in [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
        let kept = matched.iter().filter(|&&g| g >= t).count();
        let wrong = mismatched.iter().filter(|&&g| g >= t).count();
        eprintln!(
            "threshold {t:.2}: keeps {kept}/{n} written questions with their excerpt, \
             {wrong}/{n} with another document's excerpt"
        );
    }
    eprintln!("matched:    {}", quantiles(matched));
    eprintln!("mismatched: {}", quantiles(mismatched));
    eprintln!("{}", llm.cost());
}
