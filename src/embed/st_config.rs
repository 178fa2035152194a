//! What a sentence-transformers model directory says about how to run it: the pooling of
//! `1_Pooling/config.json`, the input limit of `sentence_bert_config.json` (else the tokenizer's
//! `model_max_length`, else the model's `max_position_embeddings`), and whether `modules.json`
//! ends in a `Normalize` module. Flags override each; a setting chunkbench cannot honour (max or
//! sqrt-length pooling) is an error naming the file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// How token vectors become one text vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over the tokens the attention mask keeps (sentence-transformers' default).
    Mean,
    /// The first token (`[CLS]`): bge, many rerank-trained models.
    Cls,
    /// The last token the mask keeps: decoder-based embedders (gte-Qwen, e5-mistral, Qwen3).
    Last,
}

impl Pooling {
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::Last => "last",
        }
    }

    /// Parses a `--pooling` value.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            "last" | "lasttoken" => Ok(Pooling::Last),
            _ => Err(Error::Usage(format!(
                "--pooling {s:?}: must be mean, cls or last"
            ))),
        }
    }
}

/// The settings read from a model directory, each with where it came from (for reports).
#[derive(Debug, Clone, PartialEq)]
pub struct StConfig {
    pub pooling: Pooling,
    pub max_tokens: usize,
    /// Whether the model itself ends in a Normalize module (chunkbench normalises anyway).
    pub normalises: bool,
    /// Where each setting came from, e.g. "pooling from 1_Pooling/config.json".
    pub sources: Vec<String>,
}

fn read_json(path: &Path) -> Result<Option<Value>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::Model(format!(
                "{}: not valid JSON ({e}); restore the file from the model's export",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The pooling of `1_Pooling/config.json`, if the file exists.
fn pooling_of(path: &Path, config: &Value) -> Result<Pooling> {
    let on = |k: &str| config[k].as_bool().unwrap_or(false);
    let unsupported = [
        "pooling_mode_max_tokens",
        "pooling_mode_mean_sqrt_len_tokens",
    ];
    if let Some(k) = unsupported.iter().find(|k| on(k)) {
        return Err(Error::Model(format!(
            "{}: {k} is not supported (chunkbench pools by mean, cls or last token); give --pooling to choose one",
            path.display()
        )));
    }
    Ok(if on("pooling_mode_cls_token") {
        Pooling::Cls
    } else if on("pooling_mode_lasttoken") {
        Pooling::Last
    } else {
        Pooling::Mean
    })
}

/// Reads `dir`'s settings; `pooling` and `max_tokens` (flags) take precedence.
pub fn read(dir: &Path, pooling: Option<Pooling>, max_tokens: Option<usize>) -> Result<StConfig> {
    let file = |rel: &str| -> PathBuf { dir.join(rel) };
    let mut sources = Vec::new();
    let pooling = match pooling {
        Some(p) => {
            sources.push("pooling from --pooling".to_string());
            p
        }
        None => match read_json(&file("1_Pooling/config.json"))? {
            Some(c) => {
                sources.push("pooling from 1_Pooling/config.json".into());
                pooling_of(&file("1_Pooling/config.json"), &c)?
            }
            None => {
                sources.push(
                    "mean pooling (no 1_Pooling/config.json; sentence-transformers' default)"
                        .into(),
                );
                Pooling::Mean
            }
        },
    };
    let max_tokens = match max_tokens {
        Some(n) => {
            sources.push("input limit from --max-length".into());
            n
        }
        None => limit_of(dir, &mut sources)?,
    };
    if max_tokens == 0 {
        return Err(Error::Usage(format!(
            "{}: the input limit is 0 tokens; give --max-length N",
            dir.display()
        )));
    }
    let normalises = read_json(&file("modules.json"))?
        .and_then(|m| m.as_array().cloned())
        .is_some_and(|mods| {
            mods.iter().any(|m| {
                m["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("models.Normalize"))
            })
        });
    Ok(StConfig {
        pooling,
        max_tokens,
        normalises,
        sources,
    })
}

/// The input limit: `sentence_bert_config.json`'s `max_seq_length`, else a sane
/// `tokenizer_config.json` `model_max_length`, else `config.json`'s `max_position_embeddings`.
fn limit_of(dir: &Path, sources: &mut Vec<String>) -> Result<usize> {
    let number = |v: &Value| {
        v.as_u64()
            .filter(|&n| n > 0 && n < 1_000_000)
            .map(|n| n as usize)
    };
    if let Some(n) = read_json(&dir.join("sentence_bert_config.json"))?
        .as_ref()
        .and_then(|c| number(&c["max_seq_length"]))
    {
        sources.push("input limit from sentence_bert_config.json".into());
        return Ok(n);
    }
    if let Some(n) = read_json(&dir.join("tokenizer_config.json"))?
        .as_ref()
        .and_then(|c| number(&c["model_max_length"]))
    {
        sources.push("input limit from tokenizer_config.json".into());
        return Ok(n);
    }
    if let Some(n) = read_json(&dir.join("config.json"))?
        .as_ref()
        .and_then(|c| number(&c["max_position_embeddings"]))
    {
        sources.push("input limit from config.json max_position_embeddings".into());
        return Ok(n);
    }
    Err(Error::Model(format!(
        "{}: no input limit found (sentence_bert_config.json max_seq_length, tokenizer_config.json model_max_length or config.json max_position_embeddings); give --max-length N",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = d.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        d
    }

    #[test]
    fn reads_pooling_limit_and_normalize_like_sentence_transformers() {
        let d = dir(&[
            (
                "1_Pooling/config.json",
                r#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
            ),
            ("sentence_bert_config.json", r#"{"max_seq_length": 384}"#),
            ("tokenizer_config.json", r#"{"model_max_length": 512}"#),
            (
                "modules.json",
                r#"[{"type": "sentence_transformers.models.Transformer"}, {"type": "sentence_transformers.models.Normalize"}]"#,
            ),
        ]);
        let c = read(d.path(), None, None).unwrap();
        assert_eq!(
            (c.pooling, c.max_tokens, c.normalises),
            (Pooling::Cls, 384, true)
        );
        let c = read(d.path(), Some(Pooling::Last), Some(128)).unwrap();
        assert_eq!((c.pooling, c.max_tokens), (Pooling::Last, 128));
    }

    #[test]
    fn falls_back_in_order_and_refuses_what_it_cannot_do() {
        // The tokenizer's "infinite" model_max_length is skipped for the model's positions.
        let d = dir(&[
            (
                "tokenizer_config.json",
                r#"{"model_max_length": 1000000000000000019884624838656}"#,
            ),
            ("config.json", r#"{"max_position_embeddings": 512}"#),
        ]);
        let c = read(d.path(), None, None).unwrap();
        assert_eq!(
            (c.pooling, c.max_tokens, c.normalises),
            (Pooling::Mean, 512, false)
        );
        let d = dir(&[(
            "1_Pooling/config.json",
            r#"{"pooling_mode_max_tokens": true}"#,
        )]);
        let e = read(d.path(), None, Some(8)).unwrap_err().to_string();
        assert!(
            e.contains("pooling_mode_max_tokens") && e.contains("--pooling"),
            "{e}"
        );
        let d = dir(&[]);
        let e = read(d.path(), None, None).unwrap_err().to_string();
        assert!(e.contains("--max-length"), "{e}");
        let d = dir(&[("sentence_bert_config.json", "{not json")]);
        let e = read(d.path(), None, None).unwrap_err().to_string();
        assert!(
            e.contains("sentence_bert_config.json") && e.contains("not valid JSON"),
            "{e}"
        );
    }
}
