//! An OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server, Ollama, `chunkbench serve`).
//!
//! - `complete` posts to `{base}/chat/completions` (temperature 0, `max_tokens`, `stop`). Grammars
//!   are not sent (most servers reject unknown fields); answers are parsed strictly instead.
//! - `score` posts to `{base}/completions` with `echo: true, logprobs: 1, max_tokens: 0` and keeps
//!   the tokens that start at or after the end of the context (OpenAI's `text_offset`, in
//!   characters). An endpoint without that (OpenAI's chat models, most hosted APIs) gives a clear
//!   "does not return log-probabilities" error.
//! - Timeouts, retries with backoff, bounded concurrency, the API key and usage accounting are
//!   [`crate::http::Client`]'s: this module only speaks the protocol.

use std::time::Duration;

use serde_json::{json, Value};

use super::{ChatRequest, Completion, Llm, Scored};
use crate::error::{Error, Result};
use crate::http::{excerpt, usage, Client};

/// How to reach an endpoint.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// The model name sent with every request.
    pub model: String,
    /// The environment variable holding the API key (unset or empty: no key is sent).
    pub key_env: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Extra attempts after a retryable failure.
    pub retries: u32,
    /// The first backoff; doubled after each retry (capped at 30 s).
    pub backoff: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl HttpConfig {
    pub fn new(base_url: &str, model: &str) -> Self {
        let http = crate::http::Config::new(base_url);
        HttpConfig {
            base_url: http.base_url,
            model: model.to_string(),
            key_env: http.key_env,
            timeout: http.timeout,
            retries: http.retries,
            backoff: http.backoff,
            concurrency: http.concurrency,
        }
    }
}

/// A model behind an OpenAI-compatible endpoint.
pub struct HttpLlm {
    model: String,
    id: String,
    client: Client,
}

impl HttpLlm {
    pub fn new(config: HttpConfig) -> Result<Self> {
        let client = Client::new(crate::http::Config {
            base_url: config.base_url,
            key_env: config.key_env,
            timeout: config.timeout,
            retries: config.retries,
            backoff: config.backoff,
            concurrency: config.concurrency,
            not_found_hint: " (check the endpoint URL: it should end in /v1)".into(),
            timeout_flag: "--llm-timeout".into(),
        })?;
        if config.model.is_empty() {
            return Err(Error::Usage(
                "the model name is empty; name the model the endpoint serves".into(),
            ));
        }
        Ok(HttpLlm {
            id: format!("openai:{}:{}", client.base_url(), config.model),
            model: config.model,
            client,
        })
    }

    /// Requests, retries and tokens so far.
    pub fn usage(&self) -> crate::http::Usage {
        self.client.usage()
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.client.post_json(path, body)
    }
}

impl Llm for HttpLlm {
    fn id(&self) -> &str {
        &self.id
    }

    fn complete(&self, request: &ChatRequest) -> Result<Completion> {
        let mut body = json!({
            "model": self.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": 0,
        });
        if !request.stop.is_empty() {
            body["stop"] = json!(request.stop);
        }
        let reply = self.post("chat/completions", &body)?;
        let text = reply["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| {
                Error::Model(format!(
                    "{}/chat/completions: malformed reply, no choices[0].message.content: {}; the endpoint must speak OpenAI's chat completions API",
                    self.client.base_url(),
                    excerpt(&reply.to_string())
                ))
            })?;
        Ok(Completion {
            text: text.to_string(),
            prompt_tokens: usage(&reply, "prompt_tokens"),
            completion_tokens: usage(&reply, "completion_tokens"),
        })
    }

    fn score(&self, context: &str, continuation: &str) -> Result<Scored> {
        let body = json!({
            "model": self.model,
            "prompt": format!("{context}{continuation}"),
            "max_tokens": 0,
            "echo": true,
            "logprobs": 1,
            "temperature": 0,
        });
        let no_logprobs = |why: &str| {
            Error::Model(format!(
                "{}: this endpoint does not return log-probabilities ({why}); method=likelihood \
                 needs them: use the embedded model (the default) or a server with \
                 /v1/completions echo+logprobs (llama.cpp server, vLLM, `chunkbench serve`), or \
                 method=prompted",
                self.client.base_url()
            ))
        };
        // A server that answers the echo request with an error has no log-probabilities; one that
        // cannot be reached is just that.
        let reply = self
            .client
            .post_json_or_why("completions", &body)
            .map_err(|f| match f.replied {
                true => no_logprobs(&f.message),
                false => Error::Model(f.message),
            })?;
        let lp = &reply["choices"][0]["logprobs"];
        let (Some(offsets), Some(values)) = (
            lp["text_offset"].as_array(),
            lp["token_logprobs"].as_array(),
        ) else {
            return Err(no_logprobs(
                "no choices[0].logprobs.text_offset/token_logprobs in the reply",
            ));
        };
        if offsets.len() != values.len() {
            return Err(no_logprobs(
                "text_offset and token_logprobs differ in length",
            ));
        }
        let boundary = context.chars().count() as u64;
        let logprobs = offsets
            .iter()
            .zip(values)
            .filter(|(o, _)| o.as_u64().is_some_and(|o| o >= boundary))
            .map(|(_, v)| v.as_f64().map_or(f32::NAN, |x| x as f32))
            .collect();
        Ok(Scored {
            logprobs,
            prompt_tokens: usage(&reply, "prompt_tokens").max(offsets.len()),
        })
    }
}
