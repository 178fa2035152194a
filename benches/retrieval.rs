//! Retrieval and scoring throughput (criterion).
//!
//! - `dense`: exact top-10 of 20,000 chunk vectors (384 dimensions) for 256 questions, blocked
//!   (`top_k_many`, what a run uses) against one question at a time (`top_k`); throughput in
//!   (question, chunk) pairs.
//! - `bm25`: building the index over 5,000 chunks of prose and ranking 256 questions.
//! - `metrics`: the span and rank metrics of one question (Chroma's definitions), and a paired
//!   bootstrap of 2,000 resamples over 500 questions.
//!
//! `cargo bench --bench retrieval`. The 1M × 10k scale figure is `benches/retrieval_scale.rs`.

mod common;

use common::unit_vectors;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use chunkbench::retrieve::dense::DenseIndex;
use chunkbench::retrieve::{Corpus, Query};
use chunkbench::score::bootstrap::{paired, Resamples};
use chunkbench::score::ranges::Range;
use chunkbench::score::{rank::rank_scores, span::precision_omega, span::retrieval_scores};

fn dense(c: &mut Criterion) {
    // Under `cargo test` (no `--bench`, an unoptimised build) a tenth of the chunks.
    let chunks = match std::env::args().any(|a| a == "--bench") {
        true => 20_000,
        false => 2_000,
    };
    let (questions, dim) = (256, 384);
    let index = DenseIndex::new(&unit_vectors(chunks, dim, 1));
    let qs = unit_vectors(questions, dim, 2);
    let mut group = c.benchmark_group("dense");
    group.throughput(Throughput::Elements((chunks * questions) as u64));
    group.sample_size(10);
    group.bench_function("blocked top_k_many", |b| {
        b.iter(|| index.top_k_many(&qs, 10))
    });
    group.bench_function("one question at a time", |b| {
        b.iter(|| qs.iter().map(|q| index.top_k(q, 10)).collect::<Vec<_>>())
    });
    group.finish();
}

fn bm25(c: &mut Criterion) {
    let words = [
        "harbour", "lantern", "keeper", "tide", "signal", "beacon", "storm", "rock", "chart",
        "fog", "horn", "ledger", "night", "watch", "vessel", "current", "reef", "light",
    ];
    let text = |i: usize, n: usize| -> String {
        (0..n)
            .map(|j| words[(i * 7 + j * j + j) % words.len()])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let docs: Vec<String> = (0..5_000).map(|i| text(i, 120)).collect();
    let texts: Vec<&str> = docs.iter().map(|s| s.as_str()).collect();
    let questions: Vec<String> = (0..256).map(|i| text(i + 11, 9)).collect();
    let (_, retriever) = chunkbench::retrieve::parse("bm25").unwrap();
    let corpus = Corpus {
        texts: &texts,
        vectors: None,
    };
    let mut group = c.benchmark_group("bm25");
    group.sample_size(10);
    group.bench_function("index 5,000 chunks", |b| {
        b.iter(|| retriever.index(&corpus).unwrap())
    });
    let index = retriever.index(&corpus).unwrap();
    group.throughput(Throughput::Elements(questions.len() as u64));
    group.bench_function("rank 256 questions", |b| {
        b.iter(|| {
            questions
                .iter()
                .map(|q| {
                    index.rank(
                        &Query {
                            text: q,
                            vector: None,
                        },
                        10,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

fn metrics(c: &mut Criterion) {
    let gold = [Range::new(0, 1_000, 1_400), Range::new(0, 5_000, 5_100)];
    let chunks: Vec<Range> = (0..400)
        .map(|i| Range::new(i % 3, i * 50, i * 50 + 900))
        .collect();
    let retrieved = &chunks[10..20];
    let mut group = c.benchmark_group("metrics");
    group.bench_function("span scores, 10 retrieved", |b| {
        b.iter(|| retrieval_scores(&gold, retrieved))
    });
    group.bench_function("precision_omega, 400 chunks", |b| {
        b.iter(|| precision_omega(&gold, &chunks))
    });
    group.bench_function("rank scores, 10 retrieved", |b| {
        b.iter(|| rank_scores(&gold, retrieved, 4, 0.5))
    });
    let a: Vec<f64> = (0..500).map(|i| (i % 17) as f64 / 17.0).collect();
    let bb: Vec<f64> = (0..500).map(|i| (i % 13) as f64 / 13.0).collect();
    let resamples = Resamples::new(500, 2_000, 42);
    group.bench_function("paired bootstrap, 500 questions x 2,000", |b| {
        b.iter(|| paired(&a, &bb, &resamples))
    });
    group.finish();
}

criterion_group!(benches, dense, bm25, metrics);
criterion_main!(benches);
