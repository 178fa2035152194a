//! The OpenAI-compatible backend. Real completions and log-probabilities come from a real server
//! process, `chunkbench serve`, running the embedded SmolLM2 model (installed by `make models`).
//! The failure modes (a timeout, a 500, a malformed reply, a 429, an endpoint without
//! log-probabilities, unusable answers) come from a tiny scripted server inside the test, on
//! 127.0.0.1, that stops by itself after a bounded number of requests or seconds.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chunkbench::chunk::WithLlm;
use chunkbench::chunk::{self, NoEmbeddings};
use chunkbench::llm::http::{HttpConfig, HttpLlm};
use chunkbench::llm::{CachedLlm, ChatRequest, Llm, Message};
use chunkbench::strategy::Strategy;

fn client(port: u16, timeout_ms: u64, retries: u32) -> HttpLlm {
    let mut c = HttpConfig::new(&format!("http://127.0.0.1:{port}/v1"), "smollm2");
    c.timeout = Duration::from_millis(timeout_ms);
    c.retries = retries;
    c.backoff = Duration::from_millis(20);
    HttpLlm::new(c).unwrap()
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        messages: vec![Message::user(text)],
        max_tokens: 24,
        stop: vec![],
        grammar: None,
    }
}

#[test]
fn real_server_completes_and_scores() {
    let server = common::serve(50);
    let llm = client(server.1, 120_000, 0);
    let c = llm
        .complete(&ask("What is the capital of France?"))
        .unwrap();
    assert!(!c.text.trim().is_empty());
    assert!(c.prompt_tokens > 5 && c.completion_tokens > 0, "{c:?}");

    let s = llm.score("The capital of France is", " Paris").unwrap();
    assert!(!s.logprobs.is_empty() && s.logprobs.iter().all(|x| x.is_finite() && *x <= 0.0));
    let odd = llm.score("The capital of France is", " spoon").unwrap();
    assert!(s.logprobs[0] > odd.logprobs[0], "{s:?} vs {odd:?}");

    // The prompted chunker end to end through the endpoint: a clean run, fallbacks counted.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/llm/three-topics.txt"
    ))
    .unwrap();
    let text = &text[..1200];
    let chunker =
        chunk::build(&Strategy::parse("llm:method=prompted,piece=30,window=200").unwrap()).unwrap();
    let handle = CachedLlm::new(Arc::new(llm), None);
    let env = WithLlm {
        base: &NoEmbeddings,
        llm: Some(handle.clone()),
    };
    let spans = chunker.chunk(text, &env).unwrap();
    assert!(!spans.is_empty());
    let cost = handle.cost();
    assert!(cost.calls >= 1 && cost.prompt_tokens > 0, "{cost:?}");
    eprintln!("prompted over HTTP: {cost:?}");
}

/// A scripted server: `reply(n)` answers request `n` (0-based) with (delay, status, body).
fn double(
    reply: impl Fn(usize) -> (u64, u16, &'static str) + Send + 'static,
) -> (u16, Arc<AtomicUsize>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let started = Instant::now();
        // Bounded: at most 20 requests or 30 seconds, then the thread ends and the port closes.
        while seen.load(Ordering::SeqCst) < 20 && started.elapsed() < Duration::from_secs(30) {
            let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let mut body = String::new();
            let _ = req.as_reader().read_to_string(&mut body);
            let (delay, status, text) = reply(n);
            std::thread::sleep(Duration::from_millis(delay));
            let _ = req.respond(tiny_http::Response::from_string(text).with_status_code(status));
        }
    });
    (port, count)
}

const OK: &str = r#"{"choices":[{"message":{"role":"assistant","content":"fine"}}],"usage":{"prompt_tokens":7,"completion_tokens":1}}"#;

#[test]
fn timeout_is_retried_then_a_clear_error() {
    let (port, _) = double(|_| (1500, 200, OK));
    let started = Instant::now();
    let err = client(port, 300, 1)
        .complete(&ask("hi"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("timed out") || err.contains("timeout"),
        "{err}"
    );
    assert!(err.contains("after 2 attempts"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn server_error_is_retried_then_a_clear_error() {
    let (port, count) = double(|_| (0, 500, "upstream exploded"));
    let err = client(port, 5000, 2)
        .complete(&ask("hi"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 500") && err.contains("upstream exploded"),
        "{err}"
    );
    assert!(err.contains("after 3 attempts"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn rate_limit_is_retried_until_it_succeeds() {
    let (port, count) = double(|n| {
        if n == 0 {
            (0, 429, "slow down")
        } else {
            (0, 200, OK)
        }
    });
    let c = client(port, 5000, 3).complete(&ask("hi")).unwrap();
    assert_eq!(c.text, "fine");
    assert_eq!((c.prompt_tokens, c.completion_tokens), (7, 1));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn malformed_replies_are_clear_errors() {
    let (port, _) = double(|n| match n {
        0 => (0, 200, "<html>not json</html>"),
        _ => (0, 200, r#"{"choices":[]}"#),
    });
    let llm = client(port, 5000, 0);
    let err = llm.complete(&ask("hi")).unwrap_err().to_string();
    assert!(err.contains("malformed reply"), "{err}");
    let err = llm.complete(&ask("hi")).unwrap_err().to_string();
    assert!(
        err.contains("malformed reply") && err.contains("content"),
        "{err}"
    );
}

#[test]
fn endpoint_without_logprobs_says_so() {
    let (port, _) = double(|_| (0, 404, r#"{"error":"no such route"}"#));
    let err = client(port, 5000, 0)
        .score("a", "b")
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not return log-probabilities"), "{err}");
}

#[test]
fn unusable_answers_become_counted_fallbacks() {
    // Every answer is prose, never `split_after: ...`: each window is retried once, then falls back.
    let (port, count) = double(|_| {
        (
            0,
            200,
            r#"{"choices":[{"message":{"content":"I think the topic changes somewhere."}}]}"#,
        )
    });
    let text = "Bees make honey in the hive all summer long. ".repeat(12);
    let chunker =
        chunk::build(&Strategy::parse("llm:method=prompted,piece=20,window=120").unwrap()).unwrap();
    let handle = CachedLlm::new(Arc::new(client(port, 5000, 0)), None);
    let env = WithLlm {
        base: &NoEmbeddings,
        llm: Some(handle.clone()),
    };
    let spans = chunker.chunk(&text, &env).unwrap();
    assert!(!spans.is_empty());
    let cost = handle.cost();
    assert!(cost.fallbacks >= 1, "{cost:?}");
    assert_eq!(
        cost.calls,
        2 * cost.fallbacks,
        "one retry per window: {cost:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), cost.calls);
}
