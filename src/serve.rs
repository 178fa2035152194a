//! `chunkbench serve`: the local models behind an OpenAI-compatible HTTP API, on 127.0.0.1 only.
//!
//! - `POST /v1/chat/completions`: `messages`, `max_tokens` (default 256), `stop` (string or list),
//!   and llama.cpp's `grammar` extension (GBNF); decoding is greedy whatever `temperature` says.
//! - `POST /v1/completions` with `echo: true` and `max_tokens: 0`: the log-probability of every
//!   token of `prompt` (`logprobs.tokens`, `token_logprobs`, `text_offset` in characters) — what
//!   [`super::http::HttpLlm::score`] reads. Generation from a raw prompt is not offered.
//! - `POST /v1/embeddings`: `input` (a string or a list of strings) embedded by the local
//!   embedding model in one batch, L2-normalised, with `usage.prompt_tokens` in its tokens.
//! - `POST /v1/rerank` (also `/rerank`): `query`, `documents` (strings, or objects with a
//!   `text`), optional `top_n` — answered as Cohere's API does, `results: [{index,
//!   relevance_score}]` best first, scored by the language model as [`crate::rerank::local`] does
//!   (the log-probability of a "yes" verdict).
//! - `GET /v1/models`: the models.
//!
//! Requests are answered one at a time (the model runs one at a time anyway).

use std::io::Read;
use std::sync::Arc;

use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::llm::local::LocalLlm;
use crate::llm::{ChatRequest, Llm, Message};
use crate::rerank::local::{LlmReranker, Verdict};
use crate::rerank::Reranker;

/// Largest request body accepted.
const MAX_BODY: u64 = 16 << 20;

/// Serves `llm` (and `embedder`, when given) on `127.0.0.1:port` (0: any free port). `ready` gets
/// the bound port before the first request is read. Stops after `max_requests` requests when
/// given, else never.
pub fn serve(
    llm: Arc<LocalLlm>,
    mut embedder: Option<Box<dyn Embedder>>,
    port: u16,
    max_requests: Option<usize>,
    ready: impl FnOnce(u16),
) -> Result<()> {
    let server = Server::http(("127.0.0.1", port)).map_err(|e| {
        Error::Usage(format!(
            "cannot listen on 127.0.0.1:{port}: {e}; choose another port (0 picks a free one)"
        ))
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or_else(|| Error::Usage("the server has no TCP address".into()))?;
    ready(bound);
    let name = llm
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "local".into());
    let reranker = LlmReranker::new(llm.clone(), Verdict::DEFAULT);
    for (served, request) in server.incoming_requests().enumerate() {
        handle(&llm, &name, &reranker, &mut embedder, request);
        if max_requests.is_some_and(|m| served + 1 >= m) {
            break;
        }
    }
    Ok(())
}

fn handle(
    llm: &LocalLlm,
    name: &str,
    reranker: &LlmReranker,
    embedder: &mut Option<Box<dyn Embedder>>,
    mut request: Request,
) {
    let method = request.method().clone();
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("").trim_end_matches('/');
    let (status, body) = match (&method, path) {
        (Method::Get, "/v1/models") => {
            let mut data = vec![json!({"id": name, "object": "model", "owned_by": "chunkbench"})];
            if let Some(e) = &embedder {
                data.push(json!({"id": e.name(), "object": "model", "owned_by": "chunkbench"}));
            }
            (200, json!({"object": "list", "data": data}))
        }
        (Method::Post, "/v1/embeddings") => {
            match (embedder.as_deref_mut(), read_json(&mut request)) {
                (None, _) => error(
                    404,
                    "no embedding model is served (started with --no-embeddings)",
                ),
                (_, Err(e)) => error(400, &e),
                (Some(e), Ok(v)) => embeddings(e, &v),
            }
        }
        (Method::Post, "/v1/rerank") | (Method::Post, "/rerank") => match read_json(&mut request) {
            Err(e) => error(400, &e),
            Ok(v) => rerank(reranker, name, &v),
        },
        (Method::Post, "/v1/chat/completions") | (Method::Post, "/v1/completions") => {
            match read_json(&mut request) {
                Err(e) => error(400, &e),
                Ok(v) if path.ends_with("chat/completions") => chat(llm, name, &v),
                Ok(v) => completions(llm, name, &v),
            }
        }
        _ => error(404, &format!("no route for {method} {path}")),
    };
    let header = Header::from_bytes("Content-Type", "application/json").expect("valid header");
    let response = Response::from_string(body.to_string())
        .with_status_code(status)
        .with_header(header);
    let _ = request.respond(response); // a client that went away is not our problem
}

fn read_json(request: &mut Request) -> std::result::Result<Value, String> {
    let mut body = String::new();
    request
        .as_reader()
        .take(MAX_BODY)
        .read_to_string(&mut body)
        .map_err(|e| format!("cannot read the request body: {e}"))?;
    serde_json::from_str(&body).map_err(|e| format!("the request body is not JSON: {e}"))
}

fn error(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({"error": {"message": message, "type": "invalid_request_error"}}),
    )
}

fn model_error(e: Error) -> (u16, Value) {
    match e {
        Error::Usage(m) => error(400, &m),
        other => error(500, &other.to_string()),
    }
}

fn chat(llm: &LocalLlm, name: &str, v: &Value) -> (u16, Value) {
    let Some(list) = v["messages"].as_array() else {
        return error(400, "`messages` must be a list of {role, content}");
    };
    let mut messages = Vec::with_capacity(list.len());
    for m in list {
        match (m["role"].as_str(), m["content"].as_str()) {
            (Some(role), Some(content)) => messages.push(Message {
                role: role.into(),
                content: content.into(),
            }),
            _ => return error(400, "each message needs a string `role` and `content`"),
        }
    }
    let stop = match &v["stop"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let request = ChatRequest {
        messages,
        max_tokens: v["max_tokens"].as_u64().unwrap_or(256) as usize,
        stop,
        grammar: v["grammar"].as_str().map(String::from),
    };
    match llm.complete(&request) {
        Ok(c) => (
            200,
            json!({
                "id": "chatcmpl-chunkbench",
                "object": "chat.completion",
                "model": name,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": c.text},
                    "finish_reason": "stop",
                }],
                "usage": {
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "total_tokens": c.prompt_tokens + c.completion_tokens,
                },
            }),
        ),
        Err(e) => model_error(e),
    }
}

fn completions(llm: &LocalLlm, name: &str, v: &Value) -> (u16, Value) {
    let Some(prompt) = v["prompt"].as_str() else {
        return error(400, "`prompt` must be a string");
    };
    if v["max_tokens"].as_u64() != Some(0) || v["echo"].as_bool() != Some(true) {
        return error(
            400,
            "only scoring is served here: send echo: true, logprobs: 1 and max_tokens: 0",
        );
    }
    match llm.echo(prompt) {
        Ok(tokens) => {
            let n = tokens.len();
            let (mut texts, mut offsets, mut lps) = (Vec::new(), Vec::new(), Vec::new());
            for (t, o, lp) in tokens {
                texts.push(t);
                offsets.push(o);
                lps.push(lp);
            }
            (
                200,
                json!({
                    "id": "cmpl-chunkbench",
                    "object": "text_completion",
                    "model": name,
                    "choices": [{
                        "index": 0,
                        "text": prompt,
                        "logprobs": {"tokens": texts, "token_logprobs": lps, "text_offset": offsets},
                        "finish_reason": "length",
                    }],
                    "usage": {"prompt_tokens": n, "completion_tokens": 0, "total_tokens": n},
                }),
            )
        }
        Err(e) => model_error(e),
    }
}

fn embeddings(embedder: &mut dyn Embedder, v: &Value) -> (u16, Value) {
    let texts: Vec<&str> = match &v["input"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => match a.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
            Some(t) => t,
            None => return error(400, "`input` must be a string or a list of strings"),
        },
        _ => return error(400, "`input` must be a string or a list of strings"),
    };
    if texts.is_empty() {
        return error(400, "`input` is empty");
    }
    let tokens: usize = embedder.count_tokens(&texts).iter().sum();
    match embedder.embed(&texts) {
        Ok(vectors) => {
            let data: Vec<Value> = vectors
                .into_iter()
                .enumerate()
                .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
                .collect();
            (
                200,
                json!({
                    "object": "list",
                    "model": embedder.name(),
                    "data": data,
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                }),
            )
        }
        Err(e) => model_error(e),
    }
}

/// `/v1/rerank`: the documents scored for the query, best first (ties by position), cut to
/// `top_n`.
fn rerank(reranker: &LlmReranker, name: &str, v: &Value) -> (u16, Value) {
    let Some(query) = v["query"].as_str() else {
        return error(400, "`query` must be a string");
    };
    let docs: Option<Vec<&str>> = v["documents"].as_array().and_then(|a| {
        a.iter()
            .map(|d| d.as_str().or_else(|| d["text"].as_str()))
            .collect()
    });
    let Some(docs) = docs else {
        return error(
            400,
            "`documents` must be a list of strings (or of objects with a `text`)",
        );
    };
    let top_n = v["top_n"].as_u64().map_or(docs.len(), |n| n as usize);
    match reranker.score(query, &docs) {
        Ok(scores) => {
            let mut order: Vec<usize> = (0..docs.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            order.truncate(top_n);
            let results: Vec<Value> = order
                .into_iter()
                .map(|i| json!({"index": i, "relevance_score": scores[i]}))
                .collect();
            (200, json!({"model": name, "results": results}))
        }
        Err(e) => model_error(e),
    }
}
