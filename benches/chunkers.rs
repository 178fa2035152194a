//! Chunking throughput (MB/s) of each chunker family on a fixed text: the bundled dataset's
//! documents concatenated (the tiny test fixture when the dataset is absent).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use chunkbench::chunk::{self, NoEmbeddings};
use chunkbench::strategy::Strategy;

fn corpus() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [
        "datasets/larkspur/documents",
        "tests/fixtures/tiny/documents",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            let text: String = paths
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .collect::<Vec<_>>()
                .join("\n\n");
            if !text.is_empty() {
                return text;
            }
        }
    }
    panic!("no bench corpus found")
}

fn chunkers(c: &mut Criterion) {
    let text = corpus();
    let mut group = c.benchmark_group("chunk");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    for spec in [
        "fixed:size=256",
        "fixed:size=1024,unit=chars",
        "sliding:size=256,overlap=64",
        "recursive:size=256",
        "recursive:size=256,splitter=markdown",
        "recursive:size=256,splitter=chroma",
        "recursive:size=800,splitter=chroma,unit=chars",
    ] {
        let chunker = chunk::build(&Strategy::parse(spec).unwrap()).unwrap();
        group.bench_function(spec, |b| {
            b.iter(|| {
                chunker
                    .chunk(std::hint::black_box(&text), &NoEmbeddings)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, chunkers);
criterion_main!(benches);
