//! A retrieval setup: a retriever, optionally followed by the rerank stage, and a hand-over rule.
//! A run is every strategy under every setup; each (strategy, setup) is one result row, named
//! `strategy @ setup` (plain `strategy` when the run has only the default setup, dense top-k).

use std::sync::Arc;

use super::{parse, Handover, Retriever};
use crate::error::{Error, Result};
use crate::strategy::Strategy;

/// One way of retrieving and handing over chunks.
#[derive(Clone)]
pub struct Setup {
    /// The retriever spec as parsed (`name` is its canonical spec, e.g. `bm25:k1=1.5`).
    pub spec: Strategy,
    pub retriever: Arc<dyn Retriever>,
    /// Whether the rerank stage reorders the first candidates.
    pub rerank: bool,
    pub handover: Handover,
}

impl Setup {
    /// The retriever as rows name it: its spec, with `+rerank` when reranked.
    pub fn retriever_label(&self) -> String {
        match self.rerank {
            true => format!("{}+rerank", self.spec.name),
            false => self.spec.name.clone(),
        }
    }

    /// `bm25+rerank, top-5`.
    pub fn label(&self) -> String {
        format!("{}, {}", self.retriever_label(), self.handover.label())
    }

    /// Whether this is what every run did before retrievers were a choice: dense, no rerank,
    /// top-k.
    pub fn is_default(&self) -> bool {
        self.spec.name == "dense" && !self.rerank && matches!(self.handover, Handover::TopK(_))
    }
}

/// Splits `--retrievers` values into specs: a comma ends a spec unless what follows is another
/// `key=value` parameter of it, so `dense,bm25:k1=1.5,b=0.5,hybrid` is three specs.
pub fn split_specs(args: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for arg in args {
        let mut starts_new = true;
        for piece in arg.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let continues = !starts_new && piece.contains('=') && !piece.contains(':');
            match out.last_mut() {
                Some(last) if continues => {
                    last.push(',');
                    last.push_str(piece);
                }
                _ => out.push(piece.to_string()),
            }
            starts_new = false;
        }
    }
    out
}

/// Parses `--budget` values: token counts, or `top-k` for the top k.
pub fn parse_handovers(values: &[String], k: usize) -> Result<Vec<Handover>> {
    let mut out = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
        let h = match v {
            "top-k" | "k" => Handover::TopK(k),
            _ => match v.parse::<usize>() {
                Ok(n) if n > 0 => Handover::Budget(n),
                _ => {
                    return Err(Error::Usage(format!(
                        "--budget {v:?}: give a number of cl100k tokens (at least 1) or `top-k`, e.g. --budget top-k,1000"
                    )))
                }
            },
        };
        if !out.contains(&h) {
            out.push(h);
        }
    }
    if out.is_empty() {
        out.push(Handover::TopK(k));
    }
    Ok(out)
}

/// Every setup of `retrievers` (specs, each optionally ending in `+rerank`) × `handovers`,
/// retriever-major. No retriever means `dense`.
pub fn plan(retrievers: &[String], handovers: &[Handover]) -> Result<Vec<Setup>> {
    let specs = match split_specs(retrievers) {
        s if s.is_empty() => vec!["dense".to_string()],
        s => s,
    };
    let mut out: Vec<Setup> = Vec::new();
    for spec in specs {
        let (base, rerank) = match spec.strip_suffix("+rerank") {
            Some(base) => (base.to_string(), true),
            None => (spec.clone(), false),
        };
        let (parsed, retriever) = parse(&base)?;
        for &handover in handovers {
            let setup = Setup {
                spec: parsed.clone(),
                retriever: retriever.clone(),
                rerank,
                handover,
            };
            if out.iter().any(|s| s.label() == setup.label()) {
                return Err(Error::Usage(format!(
                    "retriever {:?} is given twice; name each retriever once",
                    setup.retriever_label()
                )));
            }
            out.push(setup);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn commas_separate_specs_but_not_their_parameters() {
        let got = split_specs(&strings(&[
            "dense,bm25:k1=1.5,b=0.5,hybrid+rerank",
            "hybrid:fusion=weighted,alpha=0.3",
        ]));
        assert_eq!(
            got,
            [
                "dense",
                "bm25:k1=1.5,b=0.5",
                "hybrid+rerank",
                "hybrid:fusion=weighted,alpha=0.3"
            ]
        );
    }

    #[test]
    fn plans_retrievers_times_handovers_and_labels_them() {
        let h = parse_handovers(&strings(&["top-k,1000"]), 5).unwrap();
        assert_eq!(h, [Handover::TopK(5), Handover::Budget(1000)]);
        let setups = plan(&strings(&["dense,bm25+rerank"]), &h).unwrap();
        let labels: Vec<String> = setups.iter().map(Setup::label).collect();
        assert_eq!(
            labels,
            [
                "dense, top-5",
                "dense, 1000 tokens",
                "bm25+rerank, top-5",
                "bm25+rerank, 1000 tokens"
            ]
        );
        assert!(setups[0].is_default() && !setups[1].is_default());
        assert!(plan(&strings(&["bm25,bm25"]), &h).is_err());
        assert!(parse_handovers(&strings(&["0"]), 5).is_err());
        assert!(parse_handovers(&strings(&["lots"]), 5).is_err());
        assert_eq!(
            plan(&[], &[Handover::TopK(5)]).unwrap()[0].label(),
            "dense, top-5"
        );
    }
}
