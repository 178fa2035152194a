//! Command-line arguments (declarations only; `commands` does the work). Every range an option
//! must respect is checked here, by its value parser, so a bad value is a usage error (exit 2)
//! that names the flag, before anything runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod parsers;
mod run;

use parsers::*;
pub use run::{AnswerArgs, RetrievalArgs, RunArgs};

const RUN_EXAMPLES: &str = "\
Examples:
  chunkbench run
      the bundled dataset with strategies/default.toml, results in results/<dataset>-default/
  chunkbench run --strategies fixed:size=256 recursive:size=256,splitter=markdown --k 10
  chunkbench run --strategies llm:method=likelihood recursive:size=256,splitter=chroma
  chunkbench run --strategies strategies/default.toml strategies/families.toml
      the default grid beside sentence, paragraph, contextual, parent and late strategies
  chunkbench run --retrievers dense,bm25,hybrid --budget top-k,1000
      every strategy under dense, BM25 and hybrid retrieval, top-5 and at a 1,000-token budget
  chunkbench run --retrievers hybrid,hybrid+rerank --reranker http://127.0.0.1:7997/v1
  chunkbench run --dataset path/to/chunking_evaluation/general_evaluation_data \\
      --strategies strategies/chroma.toml --out results/chroma
  chunkbench run --shard \"$JOB_COMPLETION_INDEX/8\" --cache-dir cache/embeddings --out shard
      one of 8 machines: chunk and embed its share of the documents into the caches only; then
      `chunkbench cache merge` and the same command without --shard retrieve and score";

/// `run --help`'s epilogue: the examples, every family of [`crate::chunk::FAMILIES`], exit codes.
fn run_after_help() -> String {
    format!(
        "{RUN_EXAMPLES}\n\nStrategy families (write as family:key=value,...; in TOML grids, arrays sweep; a wrapper's base\nwith several parameters in parentheses: contextual:base=(recursive:size=256,splitter=markdown)):\n{}\nRetrievers (write as kind:key=value,...; a trailing +rerank adds the rerank stage):\n{}\nExit codes: 0 success, 2 bad input (the message names the file, line or parameter).",
        crate::chunk::families_help(),
        crate::retrieve::retrievers_help()
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "chunkbench",
    version,
    about = "Benchmark chunking strategies for retrieval-augmented generation",
    long_about = "Benchmark chunking strategies for retrieval-augmented generation.\n\nChunks a corpus with each strategy, embeds the chunks with a local model, retrieves the top-k chunks for every gold question by exact cosine search, and scores retrieval on character spans (recall, precision, IoU, precision_Ω, as Chroma's chunking_evaluation defines them).",
    after_help = "Start with `chunkbench run --help`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Parsed once per process, so the size of `RunArgs` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a benchmark: chunk, embed, retrieve, score and write tables.
    #[command(after_help = run_after_help())]
    Run(RunArgs),
    /// Draw the figures and the HTML report of a finished run.
    #[command(after_help = PLOT_HELP)]
    Plot(PlotArgs),
    /// Print the chunks a strategy makes of a file, as JSON lines.
    #[command(
        after_help = "Each line: {\"start\", \"end\" (Unicode code-point offsets, end exclusive), \"tokens\" (cl100k), \"chars\", \"text\"}.\n\nExample:\n  chunkbench chunk --strategy recursive:size=128,splitter=markdown README.md"
    )]
    Chunk(ChunkArgs),
    /// Inspect a dataset.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Compare a run against a baseline: exit 1 on a real regression, 0 otherwise.
    #[command(after_help = COMPARE_HELP)]
    Compare(CompareArgs),
    /// Manage the baseline that `compare` gates against.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Generate gold questions for your own corpus with a language model.
    #[command(subcommand)]
    Questions(QuestionsCommand),
    /// Serve the embedded language model as an OpenAI-compatible API on 127.0.0.1.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Combine the caches of shard runs (`run --shard I/N`) into one.
    #[command(subcommand)]
    Cache(CacheCommand),
}

#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Merge cache directories (embeddings, model answers) into one, for the final run.
    #[command(after_help = CACHE_MERGE_HELP)]
    Merge(CacheMergeArgs),
}

const CACHE_MERGE_HELP: &str = "\
Every cache file under each source directory (*.v2.bin embeddings, *.v2.jsonl model answers, at any
depth) is merged into the file of the same relative path under --into: records it lacks are
appended in key order, records that fail their checksum are left out and reported. Sources are only
read; merging the same sources again adds nothing.

Example (three shard runs, then the final run over the merged caches):
  chunkbench run --shard 0/3 --cache-dir shard-0/embeddings --llm-cache-dir shard-0/llm --out shard-0
  ... (1/3 and 2/3 on other machines)
  chunkbench cache merge --into merged shard-0 shard-1 shard-2
  chunkbench run --cache-dir merged/embeddings --llm-cache-dir merged/llm";

#[derive(Args, Debug)]
pub struct CacheMergeArgs {
    /// The directory to merge into (created when missing)
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// The cache directories to merge
    #[arg(required = true, value_name = "DIR")]
    pub sources: Vec<PathBuf>,
    /// Print nothing but errors and warnings
    #[arg(long, short)]
    pub quiet: bool,
}

const COMPARE_HELP: &str = "\
For every strategy of the baseline and every metric: the paired difference current − baseline over
the same questions, with its 95% bootstrap interval. A regression is a drop whose whole interval lies
below −tolerance. Default tolerances: recall 0.02, precision 0.005, iou 0.005, precision_omega 0.01,
hit 0.02, excerpt_recall 0.02, mrr 0.02, ndcg 0.02, answer_support 0.02.

Exit codes: 0 no regression, 1 regression, 2 bad input (including runs of a different dataset,
embedder, k or retrieval setups, which are refused).

Examples:
  chunkbench compare results/baseline.json results/larkspur-default
  chunkbench compare base.json results/run --tolerance iou=0.01 --markdown \"$GITHUB_STEP_SUMMARY\"";

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The baseline: a results.json or a run directory
    pub baseline: PathBuf,
    /// The current run: a results.json or a run directory
    pub current: PathBuf,
    /// Override a metric's tolerance, e.g. --tolerance iou=0.01 (repeatable)
    #[arg(long, value_name = "METRIC=VALUE")]
    pub tolerance: Vec<String>,
    /// Gate only these metrics (default: all)
    #[arg(long, value_delimiter = ',', value_name = "METRIC,...")]
    pub metrics: Vec<String>,
    /// Also write a Markdown summary to this file (appended; e.g. $GITHUB_STEP_SUMMARY)
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Bootstrap resamples
    #[arg(long, default_value_t = crate::score::bootstrap::DEFAULT_RESAMPLES, value_name = "N", value_parser = at_least_one)]
    pub bootstrap: usize,
    /// Bootstrap seed
    #[arg(long, default_value_t = crate::score::bootstrap::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,
}

#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Save a run's results as the baseline (per-question scores only; retrieved spans and generated answers dropped).
    Save {
        /// A results.json or a run directory
        run: PathBuf,
        /// Where to write the baseline
        #[arg(long, default_value = "results/baseline.json", value_name = "FILE")]
        to: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Directory of local models [default: ~/.cache/chunkbench/models]
    #[arg(long, value_name = "DIR", env = "CHUNKBENCH_MODELS")]
    pub models_dir: Option<PathBuf>,
    /// Embedding cache directory [default: ~/.cache/chunkbench/embeddings]
    #[arg(long, value_name = "DIR", env = "CHUNKBENCH_CACHE")]
    pub cache_dir: Option<PathBuf>,
    /// ONNX Runtime intra-op threads per session [default: cores / sessions]
    #[arg(long, default_value_t = 0, value_name = "N", hide_default_value = true)]
    pub threads: usize,
    /// ONNX Runtime sessions that embed parts of each batch in parallel [default: cores /
    /// threads; one per core when neither is given]
    #[arg(long, default_value_t = 0, value_name = "N", hide_default_value = true)]
    pub sessions: usize,
    /// Texts per embedding batch (16 measured fastest, and lightest, on 2 cores)
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub batch: u64,
    /// Embedding model: a sentence-transformers model directory exported to ONNX (model.onnx +
    /// tokenizer files), or a model name under the models directory [default: all-MiniLM-L6-v2]
    #[arg(long, value_name = "DIR_OR_NAME", conflicts_with = "embed_url")]
    pub embed_model: Option<PathBuf>,
    /// Pooling of a local model: mean, cls or last [default: its 1_Pooling/config.json, else mean]
    #[arg(long, value_name = "POOLING")]
    pub pooling: Option<String>,
    /// Input limit in the model's tokens [default: the model's sentence_bert_config.json, tokenizer
    /// or config; unknown for an endpoint]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_length: Option<u64>,
    /// Text put before every question, e.g. "query: " (e5), "search_query: " (nomic), bge's
    /// "Represent this sentence for searching relevant passages: "
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub query_prefix: String,
    /// Text put before every chunk, e.g. "passage: " (e5), "search_document: " (nomic)
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub document_prefix: String,
    /// An OpenAI-compatible embeddings endpoint instead of a local model, e.g.
    /// http://127.0.0.1:8080/v1 (TEI, vLLM, Ollama, Infinity, llama.cpp, `chunkbench serve`)
    #[arg(long, value_name = "URL", value_parser = http_url)]
    pub embed_url: Option<String>,
    /// The model name sent to the endpoint
    #[arg(long, default_value = "default", value_name = "NAME", value_parser = model_name)]
    pub embed_model_name: String,
    /// The endpoint model's tokenizer.json, to count tokens (truncation, cost) as the model does
    /// [default: cl100k, OpenAI's embedding models' tokenizer]
    #[arg(long, value_name = "FILE", requires = "embed_url")]
    pub embed_tokenizer: Option<PathBuf>,
    /// Environment variable holding the endpoint's API key (sent as a bearer token, never logged)
    #[arg(long, default_value = "OPENAI_API_KEY", value_name = "VAR")]
    pub embed_key_env: String,
    /// Texts per request to the endpoint (TEI's default client batch is 32)
    #[arg(long, default_value_t = 32, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub embed_batch: u64,
    /// cl100k tokens per request to the endpoint (a request holds at least one text)
    #[arg(long, default_value_t = 65536, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub embed_batch_tokens: u64,
    /// Requests to the endpoint in flight at once
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub embed_concurrency: u64,
    /// Seconds before a request to the endpoint times out
    #[arg(long, default_value_t = 120.0, value_name = "SECS", value_parser = seconds)]
    pub embed_timeout: f64,
    /// Extra attempts after a failed request to the endpoint (429, 5xx, timeouts), with backoff
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub embed_retries: u32,
}

#[derive(Args, Debug)]
pub struct ChunkArgs {
    /// The strategy, e.g. fixed:size=200 or recursive:size=256,splitter=markdown
    #[arg(long, short)]
    pub strategy: String,
    /// The text files to chunk (UTF-8), each a document of its own; with more than one, each
    /// line names its file
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Also print, on stderr, how long the chunking calls took (tokenizer already loaded; reading
    /// the files and writing the chunks not included) and their throughput in MB/s
    #[arg(long)]
    pub timing: bool,
    /// Files chunked at once, each on a thread of its own (0 = one per core)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub jobs: usize,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

#[derive(Subcommand, Debug)]
pub enum DatasetCommand {
    /// Check every gold excerpt against the document text; list each mismatch.
    Validate {
        /// Dataset directory
        path: PathBuf,
    },
    /// Print documents, tokens, questions by kind and excerpt lengths.
    Stats {
        /// Dataset directory
        path: PathBuf,
    },
}

const PLOT_HELP: &str = "\
Writes figures/<name>.svg and .png (metric vs chunk size, precision vs recall, per corpus, quality
vs cost) and report.html (metadata, tables, figures, chunk-size histograms; one self-contained
file) from a run's results.json, using timings.json beside it when present. `chunkbench run` writes
them too; use `plot` to redraw them, or to draw a run kept elsewhere.

Examples:
  chunkbench plot results/larkspur-default
  chunkbench plot results/larkspur-default/results.json --out /tmp/larkspur-figures";

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A run directory, or its results.json
    pub results: PathBuf,
    /// Where to write figures/ and report.html [default: the run's directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The language model of `llm:` strategies and `questions generate`: the embedded GGUF model by
/// default, or an OpenAI-compatible endpoint with --llm-url.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Language model (llm: strategies, questions, answer metrics)")]
pub struct LlmArgs {
    /// GGUF file of the embedded model [default: <models dir>/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf]
    #[arg(long, value_name = "PATH")]
    pub llm_model: Option<PathBuf>,
    /// CPU threads per call of the embedded model (0 = all cores); it keeps one context per N cores
    /// for parallel calls. On a busy machine 1 is much faster than 2
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub llm_threads: usize,
    /// Use an OpenAI-compatible endpoint instead, e.g. http://127.0.0.1:8080/v1
    #[arg(long, value_name = "URL", value_parser = http_url)]
    pub llm_url: Option<String>,
    /// Model name sent to the endpoint
    #[arg(long, default_value = "default", value_name = "NAME", value_parser = model_name)]
    pub llm_model_name: String,
    /// Environment variable holding the endpoint's API key (never logged)
    #[arg(long, default_value = "OPENAI_API_KEY", value_name = "VAR")]
    pub llm_key_env: String,
    /// Endpoint request timeout, seconds
    #[arg(long, default_value_t = 120.0, value_name = "SECS", value_parser = seconds)]
    pub llm_timeout: f64,
    /// Endpoint retries on 429, 5xx and timeouts (exponential backoff)
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub llm_retries: u32,
    /// Endpoint requests in flight at once
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub llm_concurrency: u64,
    /// Response cache directory [default: ~/.cache/chunkbench/llm]
    #[arg(long, value_name = "DIR")]
    pub llm_cache_dir: Option<PathBuf>,
    /// Do not read or write the response cache
    #[arg(long)]
    pub no_llm_cache: bool,
}

#[derive(Subcommand, Debug)]
pub enum QuestionsCommand {
    /// Generate questions with verified gold excerpts and write a native dataset.
    #[command(after_help = QUESTIONS_HELP)]
    Generate(QuestionsArgs),
}

const QUESTIONS_HELP: &str = "\
For each document, passages evenly spread over it: the model picks the sentence of a passage that
states the most specific fact (the gold excerpt, an exact span), then writes a question that the
sentence answers. Filters, in order, the first failing one drops the question:
  unusable, ungrounded   no '?', under 4 words, or no content word shared with the excerpt
  self_reference         points at an unnamed document (\"this study\", \"the text\", \"the author\")
  quotes_excerpt         most of the excerpt verbatim; not_single: not one question
  answerability          reading the question raises the model's per-token log-probability of the
                         excerpt by less than --min-gain nats/token
  specificity            the excerpt is not in the --top N of a BM25 search over the whole corpus
                         (the documents written, cut by recursive:size=256,splitter=markdown);
                         --no-specificity turns it off
  duplicate              cosine >= --dedup to an earlier kept question (all-MiniLM-L6-v2)
Writes OUT/documents/, OUT/questions.jsonl (code-point offsets), OUT/generation.json (counts per
filter, cost, and every attempt with its scores and the filter that decided) and OUT/review.md (the
kept questions with their excerpts and a sample of the dropped ones, to skim).

Examples:
  chunkbench questions generate my-docs/ --out my-dataset
  chunkbench questions generate datasets/larkspur --doc kestrel-manual --doc oncall-faq --out /tmp/gen
  chunkbench questions generate my-docs/ --llm-url http://127.0.0.1:8080/v1 --out my-dataset";

/// `--prompt` of `questions generate`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionPrompt {
    FewShot,
    Plain,
}

#[derive(Args, Debug)]
pub struct QuestionsArgs {
    /// A directory of text files (.md, .txt, .rst), a dataset directory, or one file
    pub corpus: PathBuf,
    /// Output dataset directory (must not hold a questions.jsonl yet)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only these documents (by id, repeatable) [default: all]
    #[arg(long, value_name = "ID")]
    pub doc: Vec<String>,
    /// Questions attempted per document
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = at_least_one)]
    pub per_doc: usize,
    /// Drop a question at least this similar (cosine) to an earlier one
    #[arg(long, default_value_t = 0.9, value_name = "COSINE", value_parser = cosine)]
    pub dedup: f64,
    /// Keep a question only if reading it raises the model's mean log-probability of its excerpt
    /// by at least this much (nats per token)
    #[arg(long, default_value_t = crate::questions::answerability::DEFAULT_MIN_GAIN, value_name = "NATS", value_parser = nats)]
    pub min_gain: f64,
    /// Keep a question only if its excerpt is in the top N of a BM25 search over the whole corpus
    #[arg(long, default_value_t = crate::questions::specificity::DEFAULT_TOP, value_name = "N", value_parser = at_least_one)]
    pub top: usize,
    /// Skip the specificity check (--top)
    #[arg(long)]
    pub no_specificity: bool,
    /// How the question is asked for: after worked examples of good questions, or the instruction alone
    #[arg(long, value_enum, default_value_t = QuestionPrompt::FewShot, value_name = "PROMPT")]
    pub prompt: QuestionPrompt,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

const SERVE_HELP: &str = "\
Endpoints: POST /v1/chat/completions (messages, max_tokens, stop; llama.cpp's `grammar` extension),
POST /v1/completions with echo: true, logprobs: 1, max_tokens: 0 (per-token log-probabilities of the
prompt), POST /v1/embeddings (input: a string or a list; the local embedding model, L2-normalised),
GET /v1/models. Decoding is greedy. Listens on 127.0.0.1 only; prints the URL when ready.

Example:
  chunkbench serve --port 8091 &
  chunkbench run --strategies llm:method=prompted --llm-url http://127.0.0.1:8091/v1
  chunkbench run --embed-url http://127.0.0.1:8091/v1 --embed-model-name all-MiniLM-L6-v2";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 = any free port)
    #[arg(long, default_value_t = 8091, value_name = "PORT")]
    pub port: u16,
    /// Stop after this many requests [default: never]
    #[arg(long, value_name = "N")]
    pub max_requests: Option<usize>,
    /// Directory of local models [default: ~/.cache/chunkbench/models]
    #[arg(long, value_name = "DIR", env = "CHUNKBENCH_MODELS")]
    pub models_dir: Option<PathBuf>,
    /// GGUF file to serve [default: the installed SmolLM2-135M-Instruct]
    #[arg(long, value_name = "PATH")]
    pub llm_model: Option<PathBuf>,
    /// CPU threads per request (0 = all cores)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub llm_threads: usize,
    /// Embedding model served at /v1/embeddings: a sentence-transformers ONNX directory or a
    /// name under the models directory [default: all-MiniLM-L6-v2]
    #[arg(long, value_name = "DIR_OR_NAME")]
    pub embed_model: Option<PathBuf>,
    /// Serve no embedding model (/v1/embeddings answers 404)
    #[arg(long)]
    pub no_embeddings: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declarations_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
