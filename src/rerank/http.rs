//! A `/rerank` endpoint: `POST {base}/rerank` with `{model, query, documents, top_n}`, answered
//! by `{results: [{index, relevance_score}]}` — the API of Cohere, Jina, Infinity, vLLM and
//! `chunkbench serve`. Replies that name the score `score`, or that are a bare array (Hugging
//! Face TEI's `/rerank`), are read too. Timeouts, retries and the API key are
//! [`crate::http::Client`]'s.

use serde_json::{json, Value};

use super::Reranker;
use crate::error::{Error, Result};
use crate::http::{excerpt, Client, Config};

/// A reranker behind an endpoint.
pub struct HttpReranker {
    client: Client,
    model: String,
    id: String,
}

impl HttpReranker {
    pub fn new(mut config: Config, model: &str) -> Result<Self> {
        config.not_found_hint =
            " (check --reranker: it should end in /v1, and the server must serve /v1/rerank)"
                .into();
        config.timeout_flag = "--rerank-timeout".into();
        let client = Client::new(config)?;
        let id = format!("rerank:{}:{model}", client.base_url());
        Ok(HttpReranker {
            client,
            model: model.to_string(),
            id,
        })
    }
}

impl Reranker for HttpReranker {
    fn id(&self) -> &str {
        &self.id
    }

    fn score(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>> {
        let body = json!({
            "model": self.model,
            "query": query,
            "documents": documents,
            "top_n": documents.len(),
            "return_documents": false,
        });
        let reply = self.client.post_json("rerank", &body)?;
        parse_reply(&reply, documents.len()).map_err(|why| {
            Error::Model(format!(
                "{}/rerank: malformed reply, {why}: {}; the endpoint must answer {{\"results\": [{{\"index\", \"relevance_score\"}}]}}",
                self.client.base_url(),
                excerpt(&reply.to_string())
            ))
        })
    }
}

/// The score of every document of a rerank reply, in document order.
pub fn parse_reply(reply: &Value, expected: usize) -> std::result::Result<Vec<f32>, String> {
    let results = reply["results"]
        .as_array()
        .or_else(|| reply.as_array())
        .ok_or("no `results` array")?;
    let mut out: Vec<Option<f32>> = vec![None; expected];
    for (pos, r) in results.iter().enumerate() {
        let index = r["index"]
            .as_u64()
            .ok_or_else(|| format!("results[{pos}] has no `index`"))? as usize;
        let score = r["relevance_score"]
            .as_f64()
            .or_else(|| r["score"].as_f64())
            .ok_or_else(|| format!("results[{pos}] has no numeric `relevance_score`"))?;
        let slot = out.get_mut(index).ok_or_else(|| {
            format!("results[{pos}].index {index} is out of range for {expected} documents")
        })?;
        if slot.replace(score as f32).is_some() {
            return Err(format!("index {index} appears twice"));
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.ok_or_else(|| format!("no score for document {i} (asked top_n = {expected})"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cohere_and_tei_replies_in_document_order() {
        let cohere = json!({"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}]});
        assert_eq!(parse_reply(&cohere, 2).unwrap(), [0.1, 0.9]);
        let tei = json!([{"index": 0, "score": 0.3}, {"index": 1, "score": 0.2}]);
        assert_eq!(parse_reply(&tei, 2).unwrap(), [0.3, 0.2]);
    }

    #[test]
    fn malformed_replies_say_what_is_wrong() {
        let e = parse_reply(&json!({"data": []}), 1).unwrap_err();
        assert!(e.contains("no `results`"), "{e}");
        let e = parse_reply(
            &json!({"results": [{"index": 0, "relevance_score": 1.0}]}),
            2,
        )
        .unwrap_err();
        assert!(e.contains("no score for document 1"), "{e}");
        let e = parse_reply(
            &json!({"results": [{"index": 5, "relevance_score": 1.0}]}),
            2,
        )
        .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }
}
