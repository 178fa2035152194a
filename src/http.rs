//! One HTTP client for every JSON endpoint chunkbench talks to (OpenAI-compatible chat and
//! completions today; embedding and rerank endpoints reuse it).
//!
//! - Every request has a timeout.
//! - 429, 5xx, timeouts and failed connections are retried with exponential backoff (bounded:
//!   `retries` extra attempts; a `Retry-After` header in seconds is honoured, capped at 30 s).
//! - At most `concurrency` requests are in flight at once, whatever the number of threads.
//! - The API key comes from an environment variable and is only ever sent in the `Authorization`
//!   header: it is never logged nor part of an error.
//! - [`Usage`] counts requests, retries and the token usage that replies report in `usage`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How to reach an endpoint and how hard to try.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL, e.g. `http://127.0.0.1:8080/v1` (a trailing `/` is dropped).
    pub base_url: String,
    /// The environment variable holding the API key (unset or empty: no key is sent).
    pub key_env: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Extra attempts after a retryable failure.
    pub retries: u32,
    /// The first backoff; doubled after each retry (capped at [`MAX_BACKOFF`]).
    pub backoff: Duration,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Appended to the message of a 404 reply, e.g. ` (the URL should end in /v1)`.
    pub not_found_hint: String,
    /// The flag that sets `timeout`, named when a request times out (e.g. `--llm-timeout`).
    pub timeout_flag: String,
}

impl Config {
    /// Defaults: key from `OPENAI_API_KEY`, 120 s timeout, 3 retries from 500 ms, 4 in flight.
    pub fn new(base_url: &str) -> Self {
        Config {
            base_url: base_url.trim_end_matches('/').to_string(),
            key_env: "OPENAI_API_KEY".into(),
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_millis(500),
            concurrency: 4,
            not_found_hint: String::new(),
            timeout_flag: "the timeout".into(),
        }
    }
}

/// What a client has sent and received so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Attempts sent (retries included).
    pub requests: usize,
    /// Attempts that were retries of a failed one.
    pub retries: usize,
    /// `usage.prompt_tokens` summed over the successful replies that report it.
    pub prompt_tokens: usize,
    /// `usage.completion_tokens` summed likewise.
    pub completion_tokens: usize,
}

/// A JSON-over-HTTP client with timeouts, retries, bounded concurrency and usage accounting.
pub struct Client {
    config: Config,
    key: Option<String>,
    agent: ureq::Agent,
    slots: Semaphore,
    requests: AtomicUsize,
    retries: AtomicUsize,
    prompt_tokens: AtomicUsize,
    completion_tokens: AtomicUsize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url)
            .field("has_key", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// Whether a reply with this status is worth another attempt.
pub fn is_retryable(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The backoff after `current`: doubled, capped at [`MAX_BACKOFF`].
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// The wait a `Retry-After` header asks for (seconds only; capped at [`MAX_BACKOFF`]).
pub fn retry_after(header: Option<&str>) -> Option<Duration> {
    header
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(MAX_BACKOFF.as_secs_f64())))
}

/// The first 200 characters of `text`, with `…` when cut.
pub fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// A request that failed for good: whether the server replied (with an error status or a reply
/// that is not JSON) and what to say.
#[derive(Debug)]
pub struct PostFailure {
    pub replied: bool,
    pub message: String,
}

/// One failed attempt: whether to retry, whether the server replied, what to say, and a wait the
/// server asked for.
struct Failure {
    retryable: bool,
    replied: bool,
    message: String,
    wait: Option<Duration>,
}

impl Client {
    /// A client for `config`; the key is read from `config.key_env` now.
    pub fn new(mut config: Config) -> Result<Self> {
        config.base_url = config.base_url.trim_end_matches('/').to_string();
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(Error::Usage(format!(
                "endpoint URL {:?} must start with http:// or https:// (e.g. http://127.0.0.1:8080/v1)",
                config.base_url
            )));
        }
        let key = std::env::var(&config.key_env)
            .ok()
            .filter(|k| !k.is_empty());
        let agent = ureq::AgentBuilder::new().timeout(config.timeout).build();
        Ok(Client {
            slots: Semaphore::new(config.concurrency.max(1)),
            key,
            agent,
            config,
            requests: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
            prompt_tokens: AtomicUsize::new(0),
            completion_tokens: AtomicUsize::new(0),
        })
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The settings the client was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the client has done so far.
    pub fn usage(&self) -> Usage {
        Usage {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            prompt_tokens: self.prompt_tokens.load(Ordering::Relaxed),
            completion_tokens: self.completion_tokens.load(Ordering::Relaxed),
        }
    }

    /// Posts `body` to `{base}/{path}`, retrying as the config says; returns the parsed JSON reply.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.post_json_or_why(path, body)
            .map_err(|f| Error::Model(f.message))
    }

    /// As [`Client::post_json`], but a failure says whether the server was reached at all (a reply
    /// with an HTTP error status) or not (refused, timed out, cut off).
    pub fn post_json_or_why(&self, path: &str, body: &Value) -> Result<Value, PostFailure> {
        let url = format!("{}/{path}", self.config.base_url);
        let _slot = self.slots.acquire();
        let mut backoff = self.config.backoff;
        let mut attempt = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let failure = match self.attempt(&url, body) {
                Ok(text) => {
                    return self.parse(&url, &text).map_err(|e| PostFailure {
                        replied: true,
                        message: e.to_string(),
                    })
                }
                Err(f) => f,
            };
            if !failure.retryable || attempt >= self.config.retries {
                let tries = attempt + 1;
                return Err(PostFailure {
                    replied: failure.replied,
                    message: format!(
                        "{url}: {} (after {tries} attempt{}; timeout {:.0} s)",
                        failure.message,
                        if tries == 1 { "" } else { "s" },
                        self.config.timeout.as_secs_f64()
                    ),
                });
            }
            std::thread::sleep(failure.wait.unwrap_or(backoff));
            backoff = next_backoff(backoff);
            attempt += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One attempt: the reply's text, or why it failed.
    fn attempt(&self, url: &str, body: &Value) -> Result<String, Failure> {
        let mut req = self.agent.post(url);
        if let Some(k) = &self.key {
            req = req.set("Authorization", &format!("Bearer {k}"));
        }
        match req.send_json(body.clone()) {
            // A reply cut off midway is a connection error: worth another attempt.
            Ok(resp) => resp.into_string().map_err(|e| Failure {
                retryable: true,
                replied: false,
                message: format!("reading the reply failed: {e}"),
                wait: None,
            }),
            Err(ureq::Error::Status(code, resp)) => {
                let wait = retry_after(resp.header("retry-after"));
                let text = resp.into_string().unwrap_or_default();
                let hint = match code {
                    401 | 403 => format!(" (check the key in ${})", self.config.key_env),
                    404 => self.config.not_found_hint.clone(),
                    429 => " (rate limited; lower the concurrency or retry later)".into(),
                    c if c >= 500 => " (the server failed; see its log)".into(),
                    _ => String::new(),
                };
                Err(Failure {
                    retryable: is_retryable(code),
                    replied: true,
                    message: format!("HTTP {code}{hint}: {}", excerpt(&text)),
                    wait,
                })
            }
            Err(ureq::Error::Transport(t)) => Err(Failure {
                retryable: true,
                replied: false,
                message: match t.to_string().contains("timed out") {
                    true => format!(
                        "no answer within the timeout ({t}); raise {} or check the server's load",
                        self.config.timeout_flag
                    ),
                    false => format!(
                        "cannot reach the endpoint ({t}); check that the server is running and the URL is right"
                    ),
                },
                wait: None,
            }),
        }
    }

    /// Parses a successful reply and adds its `usage` to the counters.
    fn parse(&self, url: &str, text: &str) -> Result<Value> {
        let reply: Value = serde_json::from_str(text).map_err(|e| {
            Error::Model(format!(
                "{url}: malformed reply, not JSON ({e}): {}; is this an OpenAI-compatible endpoint?",
                excerpt(text)
            ))
        })?;
        self.prompt_tokens
            .fetch_add(usage(&reply, "prompt_tokens"), Ordering::Relaxed);
        self.completion_tokens
            .fetch_add(usage(&reply, "completion_tokens"), Ordering::Relaxed);
        Ok(reply)
    }
}

/// `reply.usage.<field>`, 0 when absent.
pub fn usage(reply: &Value, field: &str) -> usize {
    reply["usage"][field].as_u64().unwrap_or(0) as usize
}

/// A counting semaphore: at most `n` holders of a [`Slot`] at once.
struct Semaphore {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Semaphore {
    fn new(n: usize) -> Self {
        Semaphore {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

/// A concurrency slot, given back on drop.
struct Slot<'a>(&'a Semaphore);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    /// A server on 127.0.0.1 that answers request `n` with `reply(n)` = (delay ms, status, body);
    /// it stops after `max` requests or 20 seconds.
    fn server(
        max: usize,
        reply: impl Fn(usize) -> (u64, u16, &'static str) + Send + 'static,
    ) -> (String, Arc<AtomicUsize>) {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            while seen.load(Ordering::SeqCst) < max && started.elapsed() < Duration::from_secs(20) {
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(50)) else {
                    continue;
                };
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let (delay, status, body) = reply(n);
                std::thread::sleep(Duration::from_millis(delay));
                let _ =
                    req.respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
        });
        (format!("http://127.0.0.1:{port}/v1/"), count)
    }

    fn config(url: &str, timeout_ms: u64, retries: u32) -> Config {
        let mut c = Config::new(url);
        c.timeout = Duration::from_millis(timeout_ms);
        c.retries = retries;
        c.backoff = Duration::from_millis(10);
        c.key_env = "CHUNKBENCH_TEST_KEY_THAT_IS_NOT_SET".into();
        c
    }

    #[test]
    fn retry_rule() {
        assert!(is_retryable(429) && is_retryable(500) && is_retryable(503));
        assert!(!is_retryable(400) && !is_retryable(401) && !is_retryable(404));
        assert_eq!(
            next_backoff(Duration::from_millis(500)),
            Duration::from_secs(1)
        );
        assert_eq!(next_backoff(Duration::from_secs(20)), MAX_BACKOFF);
        assert_eq!(retry_after(Some(" 2 ")), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(Some("3600")), Some(MAX_BACKOFF));
        assert_eq!(retry_after(Some("-1")), None);
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(None), None);
    }

    #[test]
    fn unavailable_then_ok_is_retried_and_counted() {
        let (url, count) = server(2, |n| match n {
            0 => (0, 503, "busy"),
            _ => (
                0,
                200,
                r#"{"ok":1,"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
            ),
        });
        let client = Client::new(config(&url, 5000, 2)).unwrap();
        let reply = client.post_json("x", &serde_json::json!({})).unwrap();
        assert_eq!(reply["ok"], 1);
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert_eq!(
            client.usage(),
            Usage {
                requests: 2,
                retries: 1,
                prompt_tokens: 5,
                completion_tokens: 2
            }
        );
    }

    #[test]
    fn client_errors_are_not_retried() {
        let (url, count) = server(3, |_| (0, 400, "bad request"));
        let client = Client::new(config(&url, 5000, 2)).unwrap();
        let err = client
            .post_json("x", &serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("HTTP 400: bad request"), "{err}");
        assert!(err.contains("after 1 attempt;"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert_eq!(client.usage().retries, 0);
    }

    #[test]
    fn a_server_that_never_answers_in_time_is_a_timeout() {
        let (url, _) = server(3, |_| (1000, 200, "{}"));
        let client = Client::new(config(&url, 150, 1)).unwrap();
        let started = Instant::now();
        let err = client
            .post_json("x", &serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("timed out") || err.contains("timeout"),
            "{err}"
        );
        assert!(err.contains("after 2 attempts"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(client.usage().requests, 2);
    }

    #[test]
    fn refused_connections_are_retried() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = Client::new(config(&format!("http://127.0.0.1:{port}"), 500, 2)).unwrap();
        let err = client.post_json("x", &serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("after 3 attempts"), "{err}");
        assert_eq!(client.usage().retries, 2);
    }

    #[test]
    fn bad_urls_are_refused_and_the_key_is_never_shown() {
        let err = Client::new(Config::new("localhost:8080")).unwrap_err();
        assert!(err.to_string().contains("must start with http://"), "{err}");
        let mut c = Config::new("http://127.0.0.1:1/v1");
        c.key_env = "PATH".into(); // any variable that is set
        let client = Client::new(c).unwrap();
        let shown = format!("{client:?}");
        assert!(
            shown.contains("has_key: true") && !shown.contains("/usr"),
            "{shown}"
        );
    }
}
