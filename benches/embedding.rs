//! Embedding throughput: the pipeline's embedder against bare ONNX Runtime on the same texts.
//!
//! `cargo bench --bench embedding` (needs `make models`). The texts are the bundled dataset's
//! documents cut by `recursive:size=256` (what a default run embeds most of). Both sides read
//! the same model file with the same tokenizer (truncated at 256 word pieces, padded to the
//! longest text of each batch), in batches of the same texts sorted by length, and both count
//! the same tokens: the model tokens after truncation. Rows:
//!
//! - `bare ORT`: the `tokenizers` crate and one ONNX Runtime session, mean pooling by hand —
//!   the floor of what the hardware does with this model;
//! - `chunkbench, 1 session × N threads`: `LocalModel::embed` as `run --sessions 1` calls it
//!   (fastembed's session, pooling, normalisation);
//! - `chunkbench, N sessions × 1 thread`: the same with one session per core, each batch split
//!   between them (the default of `run`, `--sessions`/`--threads`).
//!
//! Each configuration runs `CHUNKBENCH_EMBED_ROUNDS` times (default 3), round-robin with the
//! order rotating from round to round, best kept; batch sizes `CHUNKBENCH_EMBED_BATCHES`
//! (default `16,32,64`); `CHUNKBENCH_EMBED_TEXTS=N` takes N of the texts, spread over the lengths.

use std::path::Path;
use std::time::Instant;

use chunkbench::chunk::{self, NoEmbeddings};
use chunkbench::embed::local::{runtime, LocalModel, LocalOptions, MINILM};
use chunkbench::embed::{normalise, Embedder};
use chunkbench::paths;
use chunkbench::strategy::Strategy;
use ort::session::{builder::GraphOptimizationLevel, Session};
use ort::value::Tensor;

fn texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/larkspur/documents");
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .expect("the bundled dataset")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let chunker = chunk::build(&Strategy::parse("recursive:size=256").unwrap()).unwrap();
    let mut out = Vec::new();
    for p in paths {
        let doc = std::fs::read_to_string(&p).unwrap();
        for c in chunker.chunk(&doc, &NoEmbeddings).unwrap() {
            out.push(doc[c.start..c.end].to_string());
        }
    }
    out.sort_by_key(|t| t.len());
    // `CHUNKBENCH_EMBED_TEXTS=N`: N of them, evenly spread over the lengths.
    match std::env::var("CHUNKBENCH_EMBED_TEXTS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(n) if n > 0 && n < out.len() => {
            let step = out.len() as f64 / n as f64;
            (0..n)
                .map(|i| out[(i as f64 * step) as usize].clone())
                .collect()
        }
        _ => out,
    }
}

/// One ONNX Runtime session and the tokenizer, nothing else.
struct Bare {
    session: Session,
    tokenizer: tokenizers::Tokenizer,
}

impl Bare {
    fn new(models_dir: &Path, threads: usize) -> Bare {
        let dir = models_dir.join(MINILM);
        let env = runtime(models_dir).expect("ONNX Runtime");
        let session = Session::builder(&env)
            .unwrap()
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .unwrap()
            .with_intra_threads(threads)
            .unwrap()
            .commit_from_file(dir.join("model.onnx"))
            .unwrap();
        let mut tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: 256,
                ..Default::default()
            }))
            .unwrap();
        tokenizer.with_padding(Some(tokenizers::PaddingParams::default()));
        Bare { session, tokenizer }
    }

    /// Embeds one batch; returns the model tokens it read.
    fn embed(&mut self, batch: &[&str]) -> usize {
        let enc = self.tokenizer.encode_batch(batch.to_vec(), true).unwrap();
        let (b, s) = (enc.len(), enc[0].get_ids().len());
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> Vec<i64>| -> Vec<i64> {
            enc.iter().flat_map(f).collect()
        };
        let ids = flat(&|e| e.get_ids().iter().map(|&x| x as i64).collect());
        let mask = flat(&|e| e.get_attention_mask().iter().map(|&x| x as i64).collect());
        let types = flat(&|e| e.get_type_ids().iter().map(|&x| x as i64).collect());
        let tokens = mask.iter().filter(|&&m| m != 0).count();
        let outputs = self
            .session
            .run(ort::inputs![
                "input_ids" => Tensor::from_array(([b, s], ids)).unwrap(),
                "attention_mask" => Tensor::from_array(([b, s], mask.clone())).unwrap(),
                "token_type_ids" => Tensor::from_array(([b, s], types)).unwrap(),
            ])
            .unwrap();
        let (_, data) = outputs[0].try_extract_tensor::<f32>().unwrap();
        let dim = data.len() / (b * s);
        for r in 0..b {
            let mut v = vec![0f32; dim];
            let mut n = 0;
            for t in (0..s).filter(|&t| mask[r * s + t] != 0) {
                let row = &data[(r * s + t) * dim..(r * s + t + 1) * dim];
                v.iter_mut().zip(row).for_each(|(a, x)| *a += x);
                n += 1;
            }
            v.iter_mut().for_each(|a| *a /= n as f32);
            normalise(&mut v);
            std::hint::black_box(&v);
        }
        tokens
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("embedding: bench");
        return;
    }
    let models_dir = paths::models_dir(None);
    if !models_dir.join(MINILM).join("model.onnx").exists() {
        println!(
            "embedding bench skipped: no models in {} (`make models`)",
            models_dir.display()
        );
        return;
    }
    // `cargo test --all-targets` runs bench targets without `--bench`: a smoke run of a few
    // texts then.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let mut texts = texts();
    if smoke {
        texts.truncate(6);
    }
    let refs: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rounds: usize = match smoke {
        true => 1,
        false => std::env::var("CHUNKBENCH_EMBED_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3),
    };
    let batches: Vec<usize> = std::env::var("CHUNKBENCH_EMBED_BATCHES")
        .ok()
        .filter(|_| !smoke)
        .unwrap_or_else(|| "16,32,64".into())
        .split(',')
        .filter_map(|b| b.trim().parse().ok())
        .collect();
    let mut bare = Bare::new(&models_dir, cores);
    let tokens: usize = refs.chunks(64).map(|b| bare.embed(b)).sum(); // warm-up, and the count
    let options = |threads, sessions| LocalOptions {
        threads,
        sessions,
        ..Default::default()
    };
    let mut pipeline = LocalModel::bundled(&models_dir, options(cores, 1)).unwrap();
    let mut parallel = LocalModel::bundled(&models_dir, options(1, cores)).unwrap();
    println!(
        "{} texts, {tokens} model tokens (after truncation at 256), {cores} cores, best of {rounds}",
        refs.len()
    );
    println!("| batch | bare ORT (1 session × {cores} threads) | chunkbench (1 session × {cores} threads) | chunkbench ({cores} sessions × 1 thread) | best chunkbench ÷ bare (tokens/s) |");
    println!("|---:|---:|---:|---:|---:|");
    for &batch in &batches {
        let mut best = [f64::INFINITY; 3];
        for round in 0..rounds {
            for k in 0..3 {
                let which = (k + round) % 3;
                let t = Instant::now();
                match which {
                    0 => refs.chunks(batch).for_each(|b| {
                        bare.embed(b);
                    }),
                    1 => refs
                        .chunks(batch)
                        .for_each(|b| drop(pipeline.embed(b).unwrap())),
                    _ => refs
                        .chunks(batch)
                        .for_each(|b| drop(parallel.embed(b).unwrap())),
                }
                best[which] = best[which].min(t.elapsed().as_secs_f64());
            }
        }
        let rate = |s: f64| tokens as f64 / s;
        println!(
            "| {batch} | {:.0} tokens/s | {:.0} tokens/s | {:.0} tokens/s | {:.2} |",
            rate(best[0]),
            rate(best[1]),
            rate(best[2]),
            best[0] / best[1].min(best[2])
        );
    }
}
