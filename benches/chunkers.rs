//! Chunking throughput (MB/s) of each chunker family on a fixed text: the bundled dataset's
//! documents concatenated (the tiny test fixture when the dataset is absent).
//!
//! The `pretokenize` group times `cl100k_base` pre-tokenization alone: bpe-openai's regex split
//! against the hand-written [`chunkbench::chunk::pretoken::Cl100kPieces`] (the same pieces).
//!
//! The `semantic` group times the embedding-based chunkers with their embeddings served from
//! memory — the chunking step alone, as in a sweep whose embeddings are cached. It embeds the
//! pieces once with the real model (through the persistent cache in the default directory, so
//! only the first bench run pays for it) and is skipped when the models are not installed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use chunkbench::chunk::pretoken::Cl100kPieces;
use chunkbench::chunk::{self, ChunkEnv, NoEmbeddings};
use chunkbench::embed::{local::LocalModel, Embedder, EmbeddingCache, SharedEmbedder};
use chunkbench::paths;
use chunkbench::strategy::Strategy;
use chunkbench::{Error, Result};

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
        "sentence:size=256",
        "paragraph:size=256",
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

/// The same chunkers on their first pass over the text, as a new process chunks it: the memo of
/// token counts is emptied before every call (outside the timer), so every distinct piece is
/// encoded once inside it.
fn chunkers_cold(c: &mut Criterion) {
    let text = corpus();
    let mut group = c.benchmark_group("chunk_cold");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    for spec in [
        "fixed:size=256",
        "recursive:size=256,splitter=chroma",
        "sentence:size=256",
    ] {
        let chunker = chunk::build(&Strategy::parse(spec).unwrap()).unwrap();
        let _ = chunk::Unit::Cl100k.bpe();
        group.bench_function(spec, |b| {
            b.iter_batched(
                chunk::sizer::forget_memo,
                |()| {
                    chunker
                        .chunk(std::hint::black_box(&text), &NoEmbeddings)
                        .unwrap()
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn pretokenize(c: &mut Criterion) {
    let text = corpus();
    let bpe = bpe_openai::cl100k_base();
    assert!(
        Cl100kPieces::new(&text).eq(bpe.split(&text)),
        "the same pieces"
    );
    let mut group = c.benchmark_group("pretokenize");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("bpe-openai split", |b| {
        b.iter(|| bpe.split(std::hint::black_box(&text)).count())
    });
    group.bench_function("Cl100kPieces", |b| {
        b.iter(|| Cl100kPieces::new(std::hint::black_box(&text)).count())
    });
    group.finish();
}

/// Passes embedding requests to another environment and keeps every vector it returns.
struct Recording<'a> {
    inner: &'a dyn ChunkEnv,
    seen: Mutex<HashMap<String, Arc<[f32]>>>,
}

impl ChunkEnv for Recording<'_> {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        let vectors = self.inner.embed(texts)?;
        let mut seen = self.seen.lock().unwrap();
        for (t, v) in texts.iter().zip(&vectors) {
            seen.insert(t.to_string(), v.clone());
        }
        Ok(vectors)
    }
}

/// Serves precomputed embeddings by text.
struct Precomputed(HashMap<String, Arc<[f32]>>);

impl ChunkEnv for Precomputed {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Arc<[f32]>>> {
        texts
            .iter()
            .map(|t| {
                self.0
                    .get(*t)
                    .cloned()
                    .ok_or_else(|| Error::Usage(format!("no precomputed vector for {t:?}")))
            })
            .collect()
    }
}

/// The first `bytes` of the bench corpus (cut at a char boundary).
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn semantic(c: &mut Criterion) {
    const SPECS: [&str; 4] = [
        "semantic:method=percentile,amount=95,max=512",
        "semantic:method=gradient,max=256,min=32",
        "cluster:max=200",
        "kamradt:avg=300",
    ];
    let models_dir = paths::models_dir(None);
    let mut model = match LocalModel::bundled(&models_dir, Default::default()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("skipping the semantic chunker benches (no local model): {e}");
            return;
        }
    };
    let mut cache = EmbeddingCache::open(&paths::embeddings_dir(None), model.id())
        .expect("opens the embedding cache");
    let corpus = corpus();
    let text = prefix(&corpus, 64 * 1024);
    let chunkers: Vec<_> = SPECS
        .iter()
        .map(|spec| chunk::build(&Strategy::parse(spec).unwrap()).unwrap())
        .collect();
    let shared = SharedEmbedder::new(&mut model, &mut cache, 64);
    let recording = Recording {
        inner: &shared,
        seen: Mutex::new(HashMap::new()),
    };
    for chunker in &chunkers {
        chunker
            .chunk(text, &recording)
            .expect("embeds the bench text");
    }
    let env = Precomputed(recording.seen.into_inner().unwrap());

    let mut group = c.benchmark_group("semantic");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    for (spec, chunker) in SPECS.iter().zip(&chunkers) {
        group.bench_function(*spec, |b| {
            b.iter(|| chunker.chunk(std::hint::black_box(text), &env).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, pretokenize, chunkers, chunkers_cold, semantic);
criterion_main!(benches);
