//! An OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server, Ollama, `chunkbench serve`).
//!
//! - `complete` posts to `{base}/chat/completions` (temperature 0, `max_tokens`, `stop`). Grammars
//!   are not sent (most servers reject unknown fields); answers are parsed strictly instead.
//! - `score` posts to `{base}/completions` with `echo: true, logprobs: 1, max_tokens: 0` and keeps
//!   the tokens that start at or after the end of the context (OpenAI's `text_offset`, in
//!   characters). An endpoint without that (OpenAI's chat models, most hosted APIs) gives a clear
//!   "does not return log-probabilities" error.
//! - Every request has a timeout; 429, 5xx, timeouts and refused connections are retried with
//!   exponential backoff (bounded: `retries` extra attempts); at most `concurrency` requests are in
//!   flight at once; token usage is read from each response's `usage`.
//! - The key comes from an environment variable and is only ever sent in the `Authorization`
//!   header: it is never logged nor part of the model id.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::{ChatRequest, Completion, Llm, Scored};
use crate::error::{Error, Result};

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
        HttpConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            key_env: "OPENAI_API_KEY".into(),
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_millis(500),
            concurrency: 4,
        }
    }
}

/// A model behind an OpenAI-compatible endpoint.
pub struct HttpLlm {
    config: HttpConfig,
    id: String,
    key: Option<String>,
    agent: ureq::Agent,
    slots: Mutex<usize>,
    freed: Condvar,
}

impl HttpLlm {
    pub fn new(config: HttpConfig) -> Result<Self> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(Error::Usage(format!(
                "--llm-url {:?} must start with http:// or https:// (e.g. http://127.0.0.1:8080/v1)",
                config.base_url
            )));
        }
        if config.model.is_empty() {
            return Err(Error::Usage(
                "--llm-model-name is empty; name the model the endpoint serves".into(),
            ));
        }
        let key = std::env::var(&config.key_env)
            .ok()
            .filter(|k| !k.is_empty());
        let agent = ureq::AgentBuilder::new().timeout(config.timeout).build();
        Ok(HttpLlm {
            id: format!("openai:{}:{}", config.base_url, config.model),
            slots: Mutex::new(config.concurrency.max(1)),
            freed: Condvar::new(),
            key,
            agent,
            config,
        })
    }

    /// Posts `body` to `{base}/{path}` with retries; returns the parsed JSON reply.
    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let url = format!("{}/{path}", self.config.base_url);
        let _slot = self.acquire();
        let mut backoff = self.config.backoff;
        let mut attempt = 0;
        loop {
            let mut req = self.agent.post(&url);
            if let Some(k) = &self.key {
                req = req.set("Authorization", &format!("Bearer {k}"));
            }
            let (retryable, message, wait) = match req.send_json(body.clone()) {
                Ok(resp) => {
                    let text = resp.into_string().map_err(|e| {
                        Error::Model(format!("{url}: reading the reply failed: {e}"))
                    })?;
                    return serde_json::from_str(&text).map_err(|e| {
                        Error::Model(format!(
                            "{url}: malformed reply, not JSON ({e}): {}",
                            excerpt(&text)
                        ))
                    });
                }
                Err(ureq::Error::Status(code, resp)) => {
                    let wait = resp
                        .header("retry-after")
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .map(|s| Duration::from_secs_f64(s.min(30.0)));
                    let text = resp.into_string().unwrap_or_default();
                    let hint = match code {
                        401 | 403 => format!(
                            " (check the key in ${}, --llm-key-env)",
                            self.config.key_env
                        ),
                        404 => " (check --llm-url: it should end in /v1)".into(),
                        _ => String::new(),
                    };
                    (
                        code == 429 || code >= 500,
                        format!("HTTP {code}{hint}: {}", excerpt(&text)),
                        wait,
                    )
                }
                Err(ureq::Error::Transport(t)) => (true, t.to_string(), None),
            };
            if !retryable || attempt >= self.config.retries {
                let tries = attempt + 1;
                return Err(Error::Model(format!(
                    "{url}: {message} (after {tries} attempt{}; timeout {:.0} s)",
                    if tries == 1 { "" } else { "s" },
                    self.config.timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(wait.unwrap_or(backoff));
            backoff = (backoff * 2).min(Duration::from_secs(30));
            attempt += 1;
        }
    }

    fn acquire(&self) -> Slot<'_> {
        let mut free = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

/// A concurrency slot, given back on drop.
struct Slot<'a>(&'a HttpLlm);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.slots.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

fn usage(reply: &Value, field: &str) -> usize {
    reply["usage"][field].as_u64().unwrap_or(0) as usize
}

impl Llm for HttpLlm {
    fn id(&self) -> &str {
        &self.id
    }

    fn complete(&self, request: &ChatRequest) -> Result<Completion> {
        let mut body = json!({
            "model": self.config.model,
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
                    "{}/chat/completions: malformed reply, no choices[0].message.content: {}",
                    self.config.base_url,
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
            "model": self.config.model,
            "prompt": format!("{context}{continuation}"),
            "max_tokens": 0,
            "echo": true,
            "logprobs": 1,
            "temperature": 0,
        });
        let no_logprobs = |why: &str| {
            Error::Model(format!(
                "{}: this endpoint does not return log-probabilities ({why}); method=likelihood \
                 needs them: use the embedded model (--llm-model, the default) or a server with \
                 /v1/completions echo+logprobs (llama.cpp server, vLLM, `chunkbench serve`), or \
                 method=prompted",
                self.config.base_url
            ))
        };
        let reply = self
            .post("completions", &body)
            .map_err(|e| no_logprobs(&e.to_string()))?;
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
