//! Exact dense retrieval at scale, run once (not criterion: one pass takes minutes).
//!
//! `cargo bench --bench retrieval_scale` ranks 10,000 questions against 1,000,000 chunk vectors of
//! 384 dimensions (top 10, exact, blocked and parallel: what a run uses) and prints the wall time,
//! the pairs scored per second and the peak resident memory. It then ranks the first 64 questions
//! one at a time (the unblocked path), checks they get the same results bit for bit, and prints the
//! speed-up. Sizes: `CHUNKBENCH_SCALE=CHUNKSxQUESTIONSxDIM` (e.g. `100000x1000x384`).

mod common;

use std::time::Instant;

use common::unit_vectors;

use chunkbench::retrieve::dense::DenseIndex;

fn sizes() -> (usize, usize, usize) {
    let spec = std::env::var("CHUNKBENCH_SCALE").unwrap_or_else(|_| "1000000x10000x384".into());
    let parts: Vec<usize> = spec.split('x').filter_map(|p| p.parse().ok()).collect();
    match parts[..] {
        [c, q, d] if c > 0 && q > 0 && d > 0 => (c, q, d),
        _ => panic!("CHUNKBENCH_SCALE={spec:?}: write CHUNKSxQUESTIONSxDIM, e.g. 100000x1000x384"),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("retrieval_scale: bench");
        return;
    }
    // `cargo test --all-targets` runs bench targets without `--bench`: a small smoke run then.
    let (chunks, questions, dim) = match std::env::args().any(|a| a == "--bench") {
        true => sizes(),
        false => (5_003, 70, 384),
    };
    let threads = rayon::current_num_threads();
    println!("dense retrieval: {chunks} chunks x {questions} questions x {dim} dimensions, top 10, {threads} threads");
    let t = Instant::now();
    let index = {
        // Made in slices of 100,000 so the vectors are never held twice.
        let mut rows = Vec::with_capacity(chunks * dim);
        for (i, start) in (0..chunks).step_by(100_000).enumerate() {
            for r in unit_vectors((chunks - start).min(100_000), dim, 1 + i as u64) {
                rows.extend_from_slice(&r);
            }
        }
        DenseIndex::from_rows(dim, rows)
    };
    let qs = unit_vectors(questions, dim, 99);
    println!("vectors made in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let blocked = index.top_k_many(&qs, 10);
    let secs = t.elapsed().as_secs_f64();
    let pairs = chunks as f64 * questions as f64;
    println!(
        "blocked: {secs:.1} s, {:.2e} pairs/s, {:.1} GFLOP/s",
        pairs / secs,
        2.0 * pairs * dim as f64 / secs / 1e9
    );
    let sample = questions.min(64);
    let t = Instant::now();
    for (q, got) in qs[..sample].iter().zip(&blocked) {
        let want = index.top_k(q, 10);
        assert!(
            got.iter()
                .zip(&want)
                .all(|(g, w)| g.0 == w.0 && g.1.to_bits() == w.1.to_bits()),
            "blocked and one-at-a-time rankings differ"
        );
    }
    let single = t.elapsed().as_secs_f64() / sample as f64 * questions as f64;
    println!(
        "one question at a time (first {sample} questions, extrapolated to {questions}): {single:.1} s; same results; blocked is {:.1}x faster",
        single / secs
    );
    let rss = chunkbench::results::timings::peak_rss_bytes().unwrap_or(0);
    println!(
        "peak RSS {:.2} GB (the index alone: {:.2} GB)",
        rss as f64 / 1e9,
        (chunks * dim * 4) as f64 / 1e9
    );
}
