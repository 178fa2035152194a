//! `chunkbench chunk`: the chunks a strategy makes of files, as JSON lines.

use std::io::Write;

use rayon::prelude::*;

use crate::chunk::WithLlm;
use crate::chunk::{self, sizer::cl100k_tokens, Chunk, ChunkEnv, Chunker, Doc};
use crate::cli::ChunkArgs;
use crate::dataset::read_document;
use crate::error::Result;
use crate::llm::CachedLlm;
use crate::setup::{given_dir, open_embedder, open_llm};
use crate::strategy::Strategy;

pub fn chunk(args: ChunkArgs) -> Result<i32> {
    let strategy = Strategy::parse(&args.strategy)?;
    let chunker = chunk::build(&strategy)?;
    let texts = args
        .files
        .iter()
        .map(|f| read_document(f))
        .collect::<Result<Vec<String>>>()?;
    let llm = if chunker.needs_llm() {
        Some(open_llm(&args.llm, given_dir(&args.model.models_dir))?.handle())
    } else {
        None
    };
    // Vocabularies load on first use: with --timing, load them before the clock starts, as the
    // Python tools in benches/peers load theirs in a warm-up call. cl100k always (each output
    // line counts its tokens); o200k only when the strategy (or a base inside it) names it.
    if args.timing {
        let _ = chunk::Unit::Cl100k.bpe();
        if args.strategy.contains("o200k") {
            let _ = chunk::Unit::O200k.bpe();
        }
    }
    let mut model = match chunker.needs_embeddings() {
        true => Some(open_embedder(&args.model)?),
        false => None,
    };
    let batch = crate::setup::embed_batch(&args.model);
    let shared = model
        .as_mut()
        .map(|(embedder, cache)| crate::embed::SharedEmbedder::new(&mut **embedder, cache, batch));
    let env: &dyn ChunkEnv = match &shared {
        Some(s) => s,
        None => &chunk::NoEmbeddings,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs)
        .build()
        .map_err(|e| {
            crate::error::Error::Usage(format!("cannot start {} threads: {e}", args.jobs))
        })?;
    let ids: Vec<String> = args
        .files
        .iter()
        .map(|f| {
            f.file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        })
        .collect();
    // Files are documents of their own: chunked in parallel, one per thread at a time, as `run`
    // chunks a corpus. The clock covers the whole parallel call.
    let started = std::time::Instant::now();
    let chunked = pool.install(|| {
        ids.par_iter()
            .zip(&texts)
            .map(|(id, text)| chunk_with(&*chunker, Doc { id, text }, env, llm.as_ref()))
            .collect::<Result<Vec<Vec<Chunk>>>>()
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let threads = pool.current_num_threads().min(texts.len());
    if let Some(l) = &llm {
        eprintln!("language model: {}", l.cost());
    }
    if args.timing {
        let bytes: usize = texts.iter().map(String::len).sum();
        let chunks: usize = chunked.iter().map(Vec::len).sum();
        let files = match texts.len() {
            1 => String::new(),
            n => format!(" of {n} files"),
        };
        eprintln!(
            "chunking: {bytes} bytes{files} into {chunks} chunks in {seconds:.6} s ({:.2} MB/s, {threads} thread{})",
            bytes as f64 / 1e6 / seconds.max(1e-9),
            if threads == 1 { "" } else { "s" }
        );
    }
    let named = args.files.len() > 1;
    for ((file, text), units) in args.files.iter().zip(&texts).zip(&chunked) {
        let file = named.then(|| file.display().to_string());
        if !print_units(text, units, file.as_deref()) {
            break;
        }
    }
    Ok(0)
}

/// Chunks `doc`, handing LLM chunkers their model (metered) on top of `env`.
fn chunk_with(
    chunker: &dyn Chunker,
    doc: Doc,
    env: &dyn ChunkEnv,
    llm: Option<&CachedLlm>,
) -> Result<Vec<Chunk>> {
    match llm {
        Some(l) => {
            let env = WithLlm {
                base: env,
                llm: Some(l.clone()),
            };
            chunker.units(doc, &env)
        }
        None => chunker.units(doc, env),
    }
}

/// One JSON line per unit: its file (when given), code-point offsets, cl100k tokens, characters
/// and the text; with the context embedded before it and the span handed over for it, when a
/// wrapper family sets them. False once stdout is closed (e.g. piped into head).
fn print_units(text: &str, units: &[Chunk], file: Option<&str>) -> bool {
    let index = crate::text::CharIndex::new(text);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for unit in units {
        let span = unit.span;
        let piece = &text[span.start..span.end];
        let mut line = serde_json::json!({
            "start": index.byte_to_char(span.start),
            "end": index.byte_to_char(span.end),
            "tokens": cl100k_tokens(piece),
            "chars": piece.chars().count(),
            "text": piece,
        });
        if let Some(f) = file {
            line["file"] = f.into();
        }
        if let Some(c) = &unit.context {
            line["context"] = c.as_ref().into();
        }
        if let Some(r) = unit.returned {
            line["returned_start"] = index.byte_to_char(r.start).into();
            line["returned_end"] = index.byte_to_char(r.end).into();
        }
        if writeln!(out, "{line}").is_err() {
            return false;
        }
    }
    out.flush().is_ok()
}
