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
//! - `chunkbench`: `LocalModel::embed`, as `run` calls it (fastembed's session, pooling,
//!   normalisation);
//! - `chunkbench, N sessions`: the pipeline's parallel path, one session of 1 intra-op thread per
//!   core with batches spread over them.
//!
//! Each configuration runs `CHUNKBENCH_EMBED_ROUNDS` times (default 3), round-robin, best kept;
//! batch sizes `CHUNKBENCH_EMBED_BATCHES` (default `16,32,64`).

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
    out
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
    let texts = texts();
    let refs: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rounds: usize = std::env::var("CHUNKBENCH_EMBED_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let batches: Vec<usize> = std::env::var("CHUNKBENCH_EMBED_BATCHES")
        .unwrap_or_else(|_| "16,32,64".into())
        .split(',')
        .filter_map(|b| b.trim().parse().ok())
        .collect();
    let mut bare = Bare::new(&models_dir, cores);
    let tokens: usize = refs.chunks(64).map(|b| bare.embed(b)).sum(); // warm-up, and the count
    let options = |threads| LocalOptions {
        threads,
        ..Default::default()
    };
    let mut pipeline = LocalModel::bundled(&models_dir, options(cores)).unwrap();
    let mut parallel: Vec<LocalModel> = (0..cores)
        .map(|_| LocalModel::bundled(&models_dir, options(1)).unwrap())
        .collect();
    println!(
        "{} texts, {tokens} model tokens (after truncation at 256), {cores} cores, best of {rounds}",
        refs.len()
    );
    println!("| batch | bare ORT ({cores} threads) | chunkbench ({cores} threads) | chunkbench ({cores} sessions × 1 thread) | chunkbench ÷ bare |");
    println!("|---:|---:|---:|---:|---:|");
    for &batch in &batches {
        let mut best = [f64::INFINITY; 3];
        for _ in 0..rounds {
            let t = Instant::now();
            refs.chunks(batch).for_each(|b| {
                bare.embed(b);
            });
            best[0] = best[0].min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            refs.chunks(batch).for_each(|b| {
                pipeline.embed(b).unwrap();
            });
            best[1] = best[1].min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let groups: Vec<&[&str]> = refs.chunks(batch).collect();
            std::thread::scope(|s| {
                for (i, m) in parallel.iter_mut().enumerate() {
                    let mine: Vec<&[&str]> =
                        groups.iter().skip(i).step_by(cores).copied().collect();
                    s.spawn(move || mine.iter().for_each(|b| drop(m.embed(b).unwrap())));
                }
            });
            best[2] = best[2].min(t.elapsed().as_secs_f64());
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
