//! Model-based answer metrics, computed on what retrieval returned: **context utility** (a
//! language model's log-probabilities of the gold answer with and without the retrieved chunks,
//! [`utility`]) and the **faithfulness of a generated answer** (a generator writes it, a judge
//! checks it, [`faithfulness`]). Both are opt-in (`--utility`, `--judge`): they cost model calls,
//! every one through the response cache, so a re-run is free, and their cost is reported per
//! strategy.
//!
//! `--answer-sample N` restricts them to a deterministic sample of N questions (the same for every
//! strategy, so paired comparisons stay paired); the model-free metrics always cover every
//! question.

pub mod faithfulness;
pub mod utility;

use std::collections::HashMap;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::llm::{CachedLlm, LlmCost, LlmSetup};
use crate::output::Progress;
use crate::results::{AnswerCost, AnswerModels, GeneratedAnswer, QuestionResult, StrategyResults};

/// Which answer metrics to compute, and with which models.
#[derive(Clone, Default)]
pub struct AnswerSetup {
    /// Context utility's scorer.
    pub utility: Option<LlmSetup>,
    /// Faithfulness: the model that writes the answers, and the judge. Both or neither.
    pub generator: Option<LlmSetup>,
    pub judge: Option<LlmSetup>,
    /// Only this many questions (a deterministic sample).
    pub sample: Option<usize>,
}

impl AnswerSetup {
    pub fn is_empty(&self) -> bool {
        self.utility.is_none() && self.judge.is_none()
    }

    /// The models, for the report.
    pub fn models(&self, questions: usize) -> AnswerModels {
        let id = |s: &Option<LlmSetup>| s.as_ref().map(|l| l.model.id().to_string());
        AnswerModels {
            utility: id(&self.utility),
            generator: self.judge.as_ref().and(id(&self.generator)),
            judge: id(&self.judge),
            sample: self.sample.filter(|&n| n < questions && !self.is_empty()),
        }
    }
}

/// Refuses answer-metric settings that cannot work on `dataset`: an empty sample, or context
/// utility without a single gold answer. Cheap: call it before loading any model.
pub fn check(utility: bool, sample: Option<usize>, dataset: &Dataset) -> Result<()> {
    if sample == Some(0) {
        return Err(Error::Usage(
            "the answer-metric sample must hold at least 1 question".into(),
        ));
    }
    if utility && dataset.questions.iter().all(|q| q.answer.is_none()) {
        return Err(Error::Usage(format!(
            "context utility scores the gold answers, and no question of dataset {} has one; add an \"answer\" to the questions (native layout)",
            dataset.name
        )));
    }
    Ok(())
}

/// What the answer metrics cost: per strategy, and the shared question-only utility baseline.
pub struct Outcome {
    pub costs: Vec<AnswerCost>,
    pub baseline: Option<LlmCost>,
}

/// The questions in the sample: the `n` whose sha256(seed, id) is smallest, in dataset order
/// (all of them without `n`).
pub fn sample(ids: &[&str], n: Option<usize>, seed: u64) -> Vec<bool> {
    let Some(n) = n.filter(|&n| n < ids.len()) else {
        return vec![true; ids.len()];
    };
    let mut keyed: Vec<([u8; 32], usize)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut h = Sha256::new();
            h.update(seed.to_le_bytes());
            h.update(id.as_bytes());
            (h.finalize().into(), i)
        })
        .collect();
    keyed.sort();
    let mut keep = vec![false; ids.len()];
    for &(_, i) in keyed.iter().take(n) {
        keep[i] = true;
    }
    keep
}

/// One (strategy, question) job's result.
struct Done {
    strategy: usize,
    question: usize,
    utility: Option<f64>,
    generated: Option<GeneratedAnswer>,
}

/// Computes the answer metrics for every strategy and sampled question and stores them in
/// `strategies`. Fails on the first model error (a server that does not answer); what was
/// computed before it stays in the response cache.
pub fn evaluate(
    setup: &AnswerSetup,
    dataset: &Dataset,
    strategies: &mut [StrategyResults],
    seed: u64,
    progress: &Progress,
) -> Result<Outcome> {
    if setup.is_empty() {
        return Ok(Outcome {
            costs: vec![AnswerCost::default(); strategies.len()],
            baseline: None,
        });
    }
    if setup.judge.is_some() && setup.generator.is_none() {
        return Err(Error::Usage(
            "faithfulness needs a generator model besides the judge".into(),
        ));
    }
    check(setup.utility.is_some(), setup.sample, dataset)?;
    let ids: Vec<&str> = dataset.questions.iter().map(|q| q.id.as_str()).collect();
    let chosen = sample(&ids, setup.sample, seed);
    let picked: Vec<usize> = (0..ids.len()).filter(|&i| chosen[i]).collect();

    // The question-only term of context utility, once per question.
    let base_llm = setup.utility.as_ref().map(LlmSetup::handle);
    let baselines = match &base_llm {
        None => vec![None; ids.len()],
        Some(llm) => utility_baselines(llm, dataset, &picked, progress)?,
    };
    let handles: Vec<Handles> = strategies.iter().map(|_| Handles::new(setup)).collect();
    let done = answer_all(
        setup, dataset, strategies, &picked, &baselines, &handles, progress,
    )?;
    for d in done {
        let r = &mut strategies[d.strategy].questions[d.question];
        r.context_utility = d.utility;
        r.generated = d.generated;
    }
    Ok(Outcome {
        costs: handles.iter().map(Handles::cost).collect(),
        baseline: base_llm.as_ref().map(CachedLlm::cost),
    })
}

/// Context utility's question-only term for every picked question with a gold answer (indexed by
/// question; `None` elsewhere).
fn utility_baselines(
    llm: &CachedLlm,
    dataset: &Dataset,
    picked: &[usize],
    progress: &Progress,
) -> Result<Vec<Option<f64>>> {
    let bar = progress.bar("utility baseline", picked.len() as u64);
    let got: Vec<(usize, Option<f64>)> = picked
        .par_iter()
        .map(|&i| {
            let q = &dataset.questions[i];
            let b = match &q.answer {
                Some(a) => utility::baseline(llm, &q.text, a)?,
                None => None,
            };
            bar.inc(1);
            Ok((i, b))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mut out = vec![None; dataset.questions.len()];
    for (i, b) in got {
        out[i] = b;
    }
    Ok(out)
}

/// One strategy's metered handles on the answer models, so costs are attributed to it.
struct Handles {
    utility: Option<CachedLlm>,
    generator: Option<CachedLlm>,
    judge: Option<CachedLlm>,
}

impl Handles {
    fn new(setup: &AnswerSetup) -> Self {
        Handles {
            utility: setup.utility.as_ref().map(LlmSetup::handle),
            generator: setup
                .judge
                .as_ref()
                .and(setup.generator.as_ref())
                .map(LlmSetup::handle),
            judge: setup.judge.as_ref().map(LlmSetup::handle),
        }
    }

    fn cost(&self) -> AnswerCost {
        AnswerCost {
            utility: self.utility.as_ref().map(CachedLlm::cost),
            generator: self.generator.as_ref().map(CachedLlm::cost),
            judge: self.judge.as_ref().map(CachedLlm::cost),
        }
    }
}

/// The texts retrieved for question `q` of strategy `s`, best first.
fn retrieved_texts<'a>(
    dataset: &'a Dataset,
    doc_index: &HashMap<&str, usize>,
    result: &QuestionResult,
) -> Vec<&'a str> {
    result
        .retrieved
        .iter()
        .map(|r| {
            let doc = &dataset.documents[doc_index[r.doc.as_str()]];
            let at = |c: usize| {
                doc.chars
                    .char_to_byte(c)
                    .expect("retrieved spans are in the document")
            };
            &doc.text[at(r.start)..at(r.end)]
        })
        .collect()
}

/// Every (strategy, picked question) pair's answer metrics, in parallel.
fn answer_all(
    setup: &AnswerSetup,
    dataset: &Dataset,
    strategies: &[StrategyResults],
    picked: &[usize],
    baselines: &[Option<f64>],
    handles: &[Handles],
    progress: &Progress,
) -> Result<Vec<Done>> {
    let doc_index: HashMap<&str, usize> = dataset
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let jobs: Vec<(usize, usize)> = (0..strategies.len())
        .flat_map(|s| picked.iter().map(move |&q| (s, q)))
        .collect();
    let what = match (&setup.utility, &setup.judge) {
        (Some(_), Some(_)) => "utility + faithfulness",
        (Some(_), None) => "context utility",
        _ => "faithfulness",
    };
    let bar = progress.bar(what, jobs.len() as u64);
    let done: Vec<Done> = jobs
        .par_iter()
        .map(|&(s, qi)| {
            let q = &dataset.questions[qi];
            let chunks = retrieved_texts(dataset, &doc_index, &strategies[s].questions[qi]);
            let h = &handles[s];
            let utility = match (&h.utility, &q.answer, baselines[qi]) {
                (Some(llm), Some(a), Some(b)) => utility::utility(llm, &q.text, a, &chunks, b)?,
                _ => None,
            };
            let generated = match (&h.generator, &h.judge) {
                (Some(g), Some(j)) => Some(faithfulness::evaluate(
                    g,
                    j,
                    &q.text,
                    q.answer.as_deref(),
                    &chunks,
                )?),
                _ => None,
            };
            bar.inc(1);
            Ok(Done {
                strategy: s,
                question: qi,
                utility,
                generated,
            })
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_deterministic_and_sized() {
        let ids: Vec<String> = (0..50).map(|i| format!("q{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let a = sample(&ids, Some(10), 7);
        assert_eq!(a.iter().filter(|&&x| x).count(), 10);
        assert_eq!(a, sample(&ids, Some(10), 7));
        assert_ne!(a, sample(&ids, Some(10), 8));
        // A larger sample contains the smaller one.
        let b = sample(&ids, Some(20), 7);
        assert!(a.iter().zip(&b).all(|(x, y)| !x || *y));
        assert!(sample(&ids, Some(80), 7).iter().all(|&x| x));
        assert!(sample(&ids, None, 7).iter().all(|&x| x));
    }
}
