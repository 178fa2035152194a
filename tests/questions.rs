//! The answerability check of `questions generate` with the real embedded model (SmolLM2-135M,
//! installed by `make models`): a question that its excerpt answers raises the excerpt's
//! likelihood by more than the default threshold, a question about something else does not.
//!
//! The measurement behind the default threshold is `cargo bench --bench answerability`.

use std::path::Path;
use std::sync::Arc;

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
