//! The measurement behind `questions generate`'s default `--min-gain` (answerability.rs's
//! `DEFAULT_MIN_GAIN`), with the real embedded model: the likelihood gain of the bundled dataset's
//! hand-written single-excerpt questions read with their own excerpt, and with the excerpt of a
//! question about another document, and how many of each every threshold keeps.
//!
//! `cargo bench --bench answerability` (slow: two model reads per pair; answers go through the
//! response cache, so a second run is fast).

use std::path::Path;
use std::sync::Arc;

use chunkbench::dataset::RawDataset;
use chunkbench::llm::local::{default_model_path, LocalLlm};
use chunkbench::llm::{CachedLlm, Llm, LlmCache};
use chunkbench::questions::answerability::gain;

fn larkspur() -> RawDataset {
    RawDataset::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/larkspur")).unwrap()
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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("answerability: bench");
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets without `--bench`; this one reads the
        // model ~370 times, so it only runs under `cargo bench`.
        println!("answerability: a measurement; run it with `cargo bench --bench answerability`");
        return;
    }
    let dir = chunkbench::paths::models_dir(None);
    let Ok(path) = default_model_path(&dir) else {
        println!(
            "answerability bench skipped: no language model in {} (`make models`)",
            dir.display()
        );
        return;
    };
    let llm: Arc<dyn Llm> = LocalLlm::load(&path, 1).expect("the model loads");
    let cache = LlmCache::open(&chunkbench::paths::llm_cache_dir(), llm.id()).unwrap();
    let llm = CachedLlm::new(llm, Some(Arc::new(cache)));
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
