//! `chunkbench serve`: the embedded language model as an OpenAI-compatible API.

use crate::cli::ServeArgs;
use crate::error::Result;
use crate::llm::local::{default_model_path, LocalLlm};
use crate::setup::given_dir;

pub fn serve(args: ServeArgs) -> Result<i32> {
    let models_dir = crate::paths::models_dir(given_dir(&args.models_dir));
    let path = match &args.llm_model {
        Some(p) => p.clone(),
        None => default_model_path(&models_dir)?,
    };
    let llm = LocalLlm::load(&path, args.llm_threads)?;
    let embedder = match args.no_embeddings {
        true => None,
        false => {
            let spec = crate::embed::EmbedderSpec {
                backend: crate::embed::open::Backend::Local(args.embed_model.clone()),
                pooling: None,
                max_tokens: None,
                prefixes: Default::default(),
                threads: 0,
                sessions: 0,
            };
            Some(crate::embed::open(&spec, &models_dir)?)
        }
    };
    crate::serve::serve(llm, embedder, args.port, args.max_requests, |port| {
        use std::io::Write;
        println!(
            "chunkbench serve: listening on http://127.0.0.1:{port}/v1 ({})",
            path.display()
        );
        let _ = std::io::stdout().flush();
    })?;
    Ok(0)
}
