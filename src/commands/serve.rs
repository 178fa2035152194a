//! `chunkbench serve`: the embedded language model as an OpenAI-compatible API.

use crate::cli::ServeArgs;
use crate::error::Result;
use crate::llm::local::{default_model_path, LocalLlm};
use crate::setup::given_dir;

pub fn serve(args: ServeArgs) -> Result<i32> {
    let path = match &args.llm_model {
        Some(p) => p.clone(),
        None => default_model_path(&crate::paths::models_dir(given_dir(&args.models_dir)))?,
    };
    let llm = LocalLlm::load(&path, args.llm_threads)?;
    crate::llm::serve::serve(llm, args.port, args.max_requests, |port| {
        use std::io::Write;
        println!(
            "chunkbench serve: listening on http://127.0.0.1:{port}/v1 ({})",
            path.display()
        );
        let _ = std::io::stdout().flush();
    })?;
    Ok(0)
}
