//! `chunkbench chunk`: the chunks a strategy makes of one file, as JSON lines.

use std::io::Write;

use crate::chunk::WithLlm;
use crate::chunk::{self, sizer::cl100k_tokens, ChunkEnv, Chunker, Span};
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
    let llm = if chunker.needs_llm() {
        Some(open_llm(&args.llm, given_dir(&args.model.models_dir))?.handle())
    } else {
        None
    };
    let spans = if chunker.needs_embeddings() {
        let (mut embedder, mut cache) = open_embedder(&args.model)?;
        let batch = crate::setup::embed_batch(&args.model);
        let env = crate::embed::SharedEmbedder::new(&mut *embedder, &mut cache, batch);
        chunk_with(&*chunker, &text, &env, llm.as_ref())?
    } else {
        chunk_with(&*chunker, &text, &chunk::NoEmbeddings, llm.as_ref())?
    };
    if let Some(l) = &llm {
        eprintln!("language model: {}", l.cost());
    }
    print_spans(&text, &spans);
    Ok(0)
}

/// Chunks `text`, handing LLM chunkers their model (metered) on top of `env`.
fn chunk_with(
    chunker: &dyn Chunker,
    text: &str,
    env: &dyn ChunkEnv,
    llm: Option<&CachedLlm>,
) -> Result<Vec<Span>> {
    match llm {
        Some(l) => {
            let env = WithLlm {
                base: env,
                llm: Some(l.clone()),
            };
            chunker.chunk(text, &env)
        }
        None => chunker.chunk(text, env),
    }
}

/// One JSON line per span: code-point offsets, cl100k tokens, characters and the text.
fn print_spans(text: &str, spans: &[Span]) {
    let index = crate::text::CharIndex::new(text);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for span in spans {
        let piece = &text[span.start..span.end];
        let line = serde_json::json!({
            "start": index.byte_to_char(span.start),
            "end": index.byte_to_char(span.end),
            "tokens": cl100k_tokens(piece),
            "chars": piece.chars().count(),
            "text": piece,
        });
        if writeln!(out, "{line}").is_err() {
            return; // stdout closed (e.g. piped into head)
        }
    }
    let _ = out.flush();
}
