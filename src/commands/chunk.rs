//! `chunkbench chunk`: the chunks a strategy makes of one file, as JSON lines.

use std::io::Write;

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
    let text = read_document(&args.file)?;
    let id = args
        .file
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let doc = Doc {
        id: &id,
        text: &text,
    };
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
    let (units, seconds) = if chunker.needs_embeddings() {
        let (mut embedder, mut cache) = open_embedder(&args.model)?;
        let batch = crate::setup::embed_batch(&args.model);
        let env = crate::embed::SharedEmbedder::new(&mut *embedder, &mut cache, batch);
        chunk_with(&*chunker, doc, &env, llm.as_ref())?
    } else {
        chunk_with(&*chunker, doc, &chunk::NoEmbeddings, llm.as_ref())?
    };
    if let Some(l) = &llm {
        eprintln!("language model: {}", l.cost());
    }
    if args.timing {
        eprintln!(
            "chunking: {} bytes into {} chunks in {seconds:.6} s ({:.2} MB/s)",
            text.len(),
            units.len(),
            text.len() as f64 / 1e6 / seconds.max(1e-9)
        );
    }
    print_units(&text, &units);
    Ok(0)
}

/// Chunks `doc`, handing LLM chunkers their model (metered) on top of `env`; with the seconds
/// the chunking call took.
fn chunk_with(
    chunker: &dyn Chunker,
    doc: Doc,
    env: &dyn ChunkEnv,
    llm: Option<&CachedLlm>,
) -> Result<(Vec<Chunk>, f64)> {
    let started = std::time::Instant::now();
    let units = match llm {
        Some(l) => {
            let env = WithLlm {
                base: env,
                llm: Some(l.clone()),
            };
            chunker.units(doc, &env)
        }
        None => chunker.units(doc, env),
    }?;
    Ok((units, started.elapsed().as_secs_f64()))
}

/// One JSON line per unit: code-point offsets, cl100k tokens, characters and the text; with the
/// context embedded before it and the span handed over for it, when a wrapper family sets them.
fn print_units(text: &str, units: &[Chunk]) {
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
        if let Some(c) = &unit.context {
            line["context"] = c.as_ref().into();
        }
        if let Some(r) = unit.returned {
            line["returned_start"] = index.byte_to_char(r.start).into();
            line["returned_end"] = index.byte_to_char(r.end).into();
        }
        if writeln!(out, "{line}").is_err() {
            return; // stdout closed (e.g. piped into head)
        }
    }
    let _ = out.flush();
}
