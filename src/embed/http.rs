//! An OpenAI-compatible `/v1/embeddings` endpoint: OpenAI, Hugging Face's
//! text-embeddings-inference, vLLM, Ollama, Infinity, llama.cpp's server, `chunkbench serve`.
//!
//! - A batch of texts becomes requests of at most `batch` texts and `batch_tokens` tokens each
//!   (TEI's default client batch is 32), sent at most `concurrency` at a time.
//! - Timeouts, retries with backoff, the API key (from an environment variable, never logged) and
//!   usage accounting are [`crate::http::Client`]'s; this module only speaks the protocol.
//! - Every vector must have the dimension of the first one; vectors are L2-normalised here
//!   (servers differ on whether they do).
//! - Token counts (for truncation and cost) are the model's own when `--embed-tokenizer` gives its
//!   tokenizer.json, else cl100k tokens — exact for OpenAI's embedding models; the endpoint's own
//!   limit is known only from `--max-length`.

use serde_json::{json, Value};

use super::{normalise, Embedder, Identity, Prefixes};
use crate::error::{Error, Result};
use crate::http::{excerpt, Client};

/// `cl100k_base` tokens of `text` (OpenAI's embedding models' tokenizer).
fn cl100k_tokens(text: &str) -> usize {
    bpe_openai::cl100k_base().count(text)
}

/// How to use an embeddings endpoint.
#[derive(Debug, Clone)]
pub struct HttpEmbedConfig {
    pub http: crate::http::Config,
    /// The model name sent with every request.
    pub model: String,
    /// The model's tokenizer, to count tokens as it does (else cl100k).
    pub counter: Option<tokenizers::Tokenizer>,
    /// Texts per request.
    pub batch: usize,
    /// cl100k tokens per request (a request holds at least one text).
    pub batch_tokens: usize,
    /// The endpoint's input limit, when the user knows it (for the truncation columns).
    pub max_tokens: Option<usize>,
    pub prefixes: Prefixes,
}

/// An embedding model behind an endpoint.
pub struct HttpEmbedder {
    config: HttpEmbedConfig,
    client: Client,
    id: String,
    dimension: Option<usize>,
}

impl HttpEmbedder {
    pub fn new(mut config: HttpEmbedConfig) -> Result<Self> {
        if config.model.is_empty() {
            return Err(Error::Usage(
                "--embed-model-name is empty; name the model the endpoint serves".into(),
            ));
        }
        config.http.not_found_hint =
            " (check --embed-url: it should end in /v1, and the server must serve /v1/embeddings)"
                .into();
        let client = Client::new(config.http.clone())?;
        let max = config
            .max_tokens
            .map(|n| format!("/max{n}"))
            .unwrap_or_default();
        let id = format!(
            "openai:{}:{}{max}{}",
            client.base_url(),
            config.model,
            config.prefixes.id_suffix()
        );
        Ok(HttpEmbedder {
            config,
            client,
            id,
            dimension: None,
        })
    }

    /// Requests, retries and the tokens the server reported.
    pub fn usage(&self) -> crate::http::Usage {
        self.client.usage()
    }

    /// Splits `texts` into request groups by count and token budget (ranges of indices).
    fn groups(&self, texts: &[&str]) -> Vec<std::ops::Range<usize>> {
        let mut groups = Vec::new();
        let (mut start, mut tokens) = (0, 0);
        for (i, t) in texts.iter().enumerate() {
            let n = cl100k_tokens(t);
            let full = i - start >= self.config.batch.max(1)
                || (i > start && tokens + n > self.config.batch_tokens);
            if full {
                groups.push(start..i);
                (start, tokens) = (i, 0);
            }
            tokens += n;
        }
        if start < texts.len() {
            groups.push(start..texts.len());
        }
        groups
    }

    /// One request: the vectors of `texts`, in order.
    fn request(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let body = json!({ "model": self.config.model, "input": texts });
        let reply = self.client.post_json("embeddings", &body)?;
        parse_reply(&reply, texts.len()).map_err(|why| {
            Error::Model(format!(
                "{}/embeddings: malformed reply, {why}: {}; the endpoint must speak OpenAI's embeddings API",
                self.client.base_url(),
                excerpt(&reply.to_string())
            ))
        })
    }
}

/// The vectors of an OpenAI embeddings reply, ordered by `index`.
pub fn parse_reply(reply: &Value, expected: usize) -> std::result::Result<Vec<Vec<f32>>, String> {
    let data = reply["data"].as_array().ok_or("no `data` array")?;
    if data.len() != expected {
        return Err(format!("{} vectors for {expected} inputs", data.len()));
    }
    let mut out: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (pos, item) in data.iter().enumerate() {
        let index = item["index"].as_u64().map_or(pos, |i| i as usize);
        let values = item["embedding"]
            .as_array()
            .ok_or_else(|| format!("data[{pos}] has no `embedding` array"))?;
        let v: Option<Vec<f32>> = values
            .iter()
            .map(|x| x.as_f64().map(|x| x as f32))
            .collect();
        let v = v.ok_or_else(|| format!("data[{pos}].embedding holds a non-number"))?;
        let slot = out
            .get_mut(index)
            .ok_or_else(|| format!("data[{pos}].index {index} is out of range"))?;
        if slot.replace(v).is_some() {
            return Err(format!("index {index} appears twice"));
        }
    }
    Ok(out
        .into_iter()
        .map(|v| v.expect("every index filled"))
        .collect())
}

impl Embedder for HttpEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        &self.config.model
    }

    fn identity(&self) -> Identity {
        Identity {
            backend: "openai".into(),
            name: self.config.model.clone(),
            revision: format!("{} model {}", self.client.base_url(), self.config.model),
            pooling: "the server's".into(),
            max_tokens: self.config.max_tokens,
            query_prefix: self.config.prefixes.query.clone(),
            document_prefix: self.config.prefixes.document.clone(),
        }
    }

    fn prefixes(&self) -> &Prefixes {
        &self.config.prefixes
    }

    fn count_tokens(&self, texts: &[&str]) -> Vec<usize> {
        match &self.config.counter {
            Some(c) => texts
                .iter()
                .map(|t| c.encode(*t, true).map_or(0, |e| e.len()))
                .collect(),
            None => texts.iter().map(|t| cl100k_tokens(t)).collect(),
        }
    }

    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let groups = self.groups(texts);
        // Requests in parallel; the client's semaphore bounds how many are in flight.
        let replies: Vec<Result<Vec<Vec<f32>>>> = std::thread::scope(|s| {
            let handles: Vec<_> = groups
                .iter()
                .map(|g| s.spawn(|| self.request(&texts[g.clone()])))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Model("embedding request thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut vectors = Vec::with_capacity(texts.len());
        for r in replies {
            vectors.extend(r?);
        }
        for v in &mut vectors {
            let want = *self.dimension.get_or_insert(v.len());
            if v.len() != want || want == 0 {
                return Err(Error::Model(format!(
                    "{}/embeddings: a vector of {} dimensions after vectors of {want}; the endpoint must serve one model",
                    self.client.base_url(),
                    v.len()
                )));
            }
            normalise(v);
        }
        Ok(vectors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_by_index_and_checked() {
        let reply = json!({"data": [
            {"index": 1, "embedding": [0.0, 1.0]},
            {"index": 0, "embedding": [1.0, 0.0]}
        ]});
        assert_eq!(
            parse_reply(&reply, 2).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(parse_reply(&reply, 3)
            .unwrap_err()
            .contains("2 vectors for 3 inputs"));
        let twice =
            json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]});
        assert!(parse_reply(&twice, 2).unwrap_err().contains("twice"));
        let text = json!({"data": [{"embedding": ["a"]}]});
        assert!(parse_reply(&text, 1).unwrap_err().contains("non-number"));
        assert!(parse_reply(&json!({"error": "x"}), 1)
            .unwrap_err()
            .contains("no `data`"));
    }

    #[test]
    fn requests_respect_the_count_and_token_budgets() {
        let mut config = HttpEmbedConfig {
            http: crate::http::Config::new("http://127.0.0.1:1/v1"),
            model: "m".into(),
            counter: None,
            batch: 2,
            batch_tokens: 1_000_000,
            max_tokens: None,
            prefixes: Prefixes::default(),
        };
        let e = HttpEmbedder::new(config.clone()).unwrap();
        let texts = ["a", "b", "c", "d", "e"];
        assert_eq!(e.groups(&texts), vec![0..2, 2..4, 4..5]);
        config.batch = 100;
        config.batch_tokens = 5;
        let e = HttpEmbedder::new(config).unwrap();
        // 3 + 3 tokens exceed 5: one text a request; a text over the budget still goes alone.
        let texts = [
            "one two three",
            "four five six",
            "seven eight nine ten eleven twelve",
        ];
        assert_eq!(e.groups(&texts), vec![0..1, 1..2, 2..3]);
    }
}
