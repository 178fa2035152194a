//! The arguments of `chunkbench run`.

use std::path::PathBuf;

use clap::Args;

use super::parsers::*;
use super::{LlmArgs, ModelArgs};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Dataset directory (native layout, or Chroma's corpora/ + questions_df.csv)
    #[arg(long, default_value = "datasets/larkspur", value_name = "PATH")]
    pub dataset: PathBuf,
    /// Strategy grid files (.toml) and/or specs like fixed:size=200,overlap=0
    #[arg(long, num_args = 1.., default_value = "strategies/default.toml", value_name = "FILE_OR_SPEC")]
    pub strategies: Vec<String>,
    /// Chunks retrieved per question
    #[arg(long, short, default_value_t = 5, value_name = "N", value_parser = at_least_one)]
    pub k: usize,
    /// Output directory [default: results/<dataset>-<grid>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Share of a gold excerpt that must be retrieved for it to count as found (excerpt recall@k)
    #[arg(long, default_value_t = 0.5, value_name = "SHARE", value_parser = share)]
    pub found_share: f64,
    /// Price of the embedder in US dollars per million tokens: adds the money each strategy's
    /// index costs to the cost columns (e.g. 0.02 for OpenAI's text-embedding-3-small)
    #[arg(long, value_name = "USD_PER_MTOK", value_parser = price)]
    pub embed_price: Option<f64>,
    /// Bootstrap resamples for the 95% intervals
    #[arg(long, default_value_t = crate::score::bootstrap::DEFAULT_RESAMPLES, value_name = "N", value_parser = at_least_one)]
    pub bootstrap: usize,
    /// Seed of the bootstrap resampling
    #[arg(long, default_value_t = crate::score::bootstrap::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Do shard I of N (0-based) of the expensive part only: chunk and embed the documents and
    /// questions whose id hashes to I, filling the caches; then `cache merge` and a run without
    /// --shard retrieve and score. E.g. --shard "$JOB_COMPLETION_INDEX/3"
    #[arg(long, value_name = "I/N", value_parser = crate::run::shard::Shard::parse)]
    pub shard: Option<crate::run::shard::Shard>,
    #[command(flatten)]
    pub retrieval: RetrievalArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub answers: AnswerArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// How chunks are retrieved and handed over (every strategy runs under every setup).
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Retrieval")]
pub struct RetrievalArgs {
    /// Retrievers, each a spec like bm25:k1=1.5 (commas or spaces between them); end one in
    /// +rerank to rerank its candidates with --reranker. Listed under "Retrievers" below
    /// [default: dense, or the grid's [retrieval] table]
    #[arg(long, num_args = 1.., value_name = "SPEC")]
    pub retrievers: Vec<String>,
    /// Hand over chunks in rank order up to this many cl100k tokens instead of the top k, the
    /// last chunk cut to fit; `top-k` keeps the top-k rule, so `--budget top-k,1000` runs both
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "TOKENS")]
    pub budget: Vec<String>,
    /// The reranker of the +rerank retrievers: `local` (the embedded language model of --llm-*,
    /// relevance = log-probability of "yes") or a /rerank endpoint (http://HOST:PORT/v1: Cohere,
    /// Jina, Infinity, vLLM, TEI, `chunkbench serve`)
    #[arg(long, value_name = "local|URL")]
    pub reranker: Option<String>,
    /// How `--reranker local` scores a chunk: `yes`, log p(yes) (one model call), or `yes-vs-no`,
    /// log p(yes) − log(p(yes) + p(no)) (two calls)
    #[arg(long, default_value = "yes", value_name = "VERDICT", value_parser = verdict)]
    pub rerank_verdict: crate::rerank::local::Verdict,
    /// Candidates the reranker reorders per question
    #[arg(long, default_value_t = crate::rerank::DEFAULT_DEPTH, value_name = "N", value_parser = at_least_one)]
    pub rerank_depth: usize,
    /// The model name sent to the rerank endpoint
    #[arg(long, default_value = "default", value_name = "NAME", value_parser = model_name)]
    pub rerank_model_name: String,
    /// Environment variable holding the rerank endpoint's API key (never logged)
    #[arg(long, default_value = "OPENAI_API_KEY", value_name = "VAR")]
    pub rerank_key_env: String,
    /// Seconds before a request to the rerank endpoint times out
    #[arg(long, default_value_t = 120.0, value_name = "SECS", value_parser = seconds)]
    pub rerank_timeout: f64,
}

fn verdict(s: &str) -> Result<crate::rerank::local::Verdict, String> {
    crate::rerank::local::Verdict::parse(s).ok_or_else(|| "must be yes or yes-vs-no".into())
}

/// The model-based answer metrics of a run (off by default: they cost model calls).
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Answer metrics (model-based, opt-in)")]
pub struct AnswerArgs {
    /// Score context utility: how much the retrieved chunks raise the language model's
    /// (--llm-*; the embedded SmolLM2 by default) log-probability of the gold answer
    #[arg(long)]
    pub utility: bool,
    /// Score the faithfulness of generated answers: the language model (--llm-*) answers from the
    /// retrieved chunks and this judge checks each statement. An OpenAI-compatible endpoint
    /// (http://HOST:PORT/v1) or a local GGUF file; use a capable model
    #[arg(long, value_name = "URL_OR_GGUF")]
    pub judge: Option<String>,
    /// Model name sent to the judge endpoint
    #[arg(long, default_value = "default", value_name = "NAME", value_parser = model_name)]
    pub judge_model_name: String,
    /// Environment variable holding the judge endpoint's API key (never logged)
    #[arg(long, default_value = "OPENAI_API_KEY", value_name = "VAR")]
    pub judge_key_env: String,
    /// Compute the answer metrics on a deterministic sample of N questions only (the same for
    /// every strategy) [default: all questions]
    #[arg(long, value_name = "N", value_parser = sample_size)]
    pub answer_sample: Option<usize>,
}
