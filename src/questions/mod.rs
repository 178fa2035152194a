//! `chunkbench questions generate`: gold questions for your own corpus, written as a native
//! dataset (`documents/` + `questions.jsonl`) that `chunkbench dataset validate` accepts, with
//! `generation.json` (every attempt, kept or dropped, with the filter and score that decided) and
//! `review.md` (a sheet for a person to skim).
//!
//! For each document, `per_doc` passages are taken evenly spread over it (pieces of about 120
//! cl100k tokens, Chroma's separator splitter). For each passage:
//!
//! 1. **The model selects the excerpt**: it sees the passage's sentences, numbered, and answers
//!    with the number of the one that states the most specific fact (grammar-constrained on the
//!    embedded model, parsed strictly everywhere). The excerpt is that sentence's exact span.
//! 2. **The model writes a question** that the sentence answers ([`prompts`]; by default after
//!    worked examples of good questions). Small models prefix `Question:` and append an answer:
//!    the prefix is stripped and the text cut at the first `?`.
//! 3. **Filters**, in this order; the first that fails drops the attempt ([`Filter`]):
//!    - `unusable`: no `?`, or fewer than 4 words; `ungrounded`: no content word shared with the
//!      excerpt;
//!    - self-containment ([`filters`]): `self_reference` ("this study", "the text", "the author"),
//!      `quotes_excerpt` (most of the excerpt verbatim), `not_single` (not one question);
//!    - `answerability` ([`answerability`]): reading the question must raise the model's per-token
//!      log-probability of the excerpt by at least `min_gain` nats/token;
//!    - `specificity` ([`specificity`], on by default): the excerpt must be in the top `top` of a
//!      BM25 search over the whole corpus for the question;
//!    - `duplicate`: questions are embedded (through the embedding cache) and one whose cosine
//!      similarity to an earlier kept question is at least `dedup` (default 0.9) is dropped.
//!
//!    Every question is scored by both checks, kept or not, so `generation.json` shows the scores.
//! 4. The written dataset is read back and validated (every excerpt against its document's text at
//!    its code-point offsets) before the command reports success.
//!
//! Every model call goes through the response cache, so a re-run costs nothing.

pub mod answerability;
pub mod attempt;
pub mod corpus;
pub mod filters;
pub mod prompts;
pub mod review;
pub mod specificity;
pub mod text;
pub mod write;

use crate::chunk::separators::SeparatorSplitter;
use crate::chunk::{Chunker, NoEmbeddings, Span, Unit};
use crate::dataset::Document;
use crate::error::Result;
use crate::llm::Llm;
pub use attempt::{Attempt, Decided, Filter, Generated, Report};
pub use corpus::load_corpus;
use prompts::Prompt;
use specificity::CorpusSearch;
use text::{clean_question, content_words, sentences};
pub use write::write_dataset;

/// What to generate, and how strictly to filter.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Questions attempted per document.
    pub per_doc: usize,
    /// Drop a question this similar (cosine) to an earlier one.
    pub dedup: f64,
    /// Passage size in cl100k tokens.
    pub passage: usize,
    /// Minimum answerability gain, nats per token.
    pub min_gain: f64,
    /// The excerpt must rank in this top N of a BM25 search of the corpus; `None`: no check.
    pub top: Option<usize>,
    /// How the question is asked for.
    pub prompt: Prompt,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            per_doc: 5,
            dedup: 0.9,
            passage: 120,
            min_gain: answerability::DEFAULT_MIN_GAIN,
            top: Some(specificity::DEFAULT_TOP),
            prompt: Prompt::FewShot,
        }
    }
}

/// Unit vectors for texts, in order.
pub type EmbedFn<'a> = dyn FnMut(&[&str]) -> Result<Vec<std::sync::Arc<[f32]>>> + 'a;

/// Generates questions for `docs`. `embed` returns unit vectors for texts (the run's embedder,
/// for de-duplication). Returns the kept questions and the report of every attempt.
pub fn generate(
    docs: &[Document],
    llm: &crate::llm::CachedLlm,
    embed: &mut EmbedFn,
    settings: &Settings,
    progress: &dyn Fn(&str),
) -> Result<(Vec<Generated>, Report)> {
    let search = match settings.top {
        Some(_) => Some(CorpusSearch::new(docs)?),
        None => None,
    };
    let splitter = SeparatorSplitter::chroma(settings.passage, 0, Unit::Cl100k);
    let mut attempts = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        let passages: Vec<Vec<Span>> = splitter
            .chunk(&doc.text, &NoEmbeddings)?
            .into_iter()
            .map(|p| sentences(&doc.text, p))
            .filter(|s| !s.is_empty())
            .collect();
        for i in spread(passages.len(), settings.per_doc) {
            let a = attempt(llm, (d, doc), (i, &passages[i]), settings, search.as_ref())?;
            progress(&progress_line(&a));
            attempts.push(a);
        }
    }
    drop_duplicates(&mut attempts, embed, settings.dedup)?;
    let kept = attempts
        .iter()
        .filter(|a| a.kept)
        .filter_map(|a| {
            Some(Generated {
                doc: a.doc_index,
                question: a.question.clone()?,
                excerpt: a.span?,
            })
        })
        .collect();
    let mut report = Report {
        documents: docs.len(),
        attempted: 0,
        kept: 0,
        dropped: Default::default(),
        settings: Decided {
            prompt: settings.prompt.name(),
            min_gain: settings.min_gain,
            top: settings.top,
            chunker: specificity::CHUNKER,
            retriever: specificity::RETRIEVER,
            dedup: settings.dedup,
        },
        cost: llm.cost(),
        attempts,
    };
    report.count();
    Ok((kept, report))
}

fn progress_line(a: &Attempt) -> String {
    let q = a.question.as_deref().or(a.raw.as_deref()).unwrap_or("—");
    let q = q.split_whitespace().collect::<Vec<_>>().join(" ");
    match a.filter {
        None => format!("{}: kept: {q}", a.doc),
        Some(f) => format!("{}: dropped ({}): {q}", a.doc, f.name()),
    }
}

/// One attempt on one passage (`sents`, its usable sentences): the model's choice and question,
/// both scores, and the verdict of the filters before de-duplication.
fn attempt(
    llm: &dyn Llm,
    (d, doc): (usize, &Document),
    (passage, sents): (usize, &[Span]),
    settings: &Settings,
    search: Option<&CorpusSearch>,
) -> Result<Attempt> {
    let mut a = Attempt {
        doc: doc.id.clone(),
        doc_index: d,
        passage,
        span: None,
        start: None,
        end: None,
        excerpt: None,
        raw: None,
        question: None,
        answerability: None,
        corpus_rank: None,
        kept: true,
        filter: None,
        reason: None,
    };
    let Some(pick) = prompts::select(llm, &doc.text, sents)? else {
        a.drop(
            Filter::Selection,
            "the model's sentence choice could not be parsed",
        );
        return Ok(a);
    };
    let span = sents[pick];
    let sentence = &doc.text[span.start..span.end];
    a.span = Some(span);
    a.start = doc.chars.byte_to_char(span.start);
    a.end = doc.chars.byte_to_char(span.end);
    a.excerpt = Some(sentence.to_string());
    let raw = prompts::ask_question(llm, sentence, settings.prompt)?;
    a.raw = Some(raw.clone());
    let Some(q) = clean_question(&raw) else {
        a.drop(Filter::Unusable, "no '?', or fewer than 4 words");
        return Ok(a);
    };
    a.answerability = Some(answerability::gain(llm, &q, sentence)?);
    a.corpus_rank = search.and_then(|s| s.rank(&q, d, span));
    a.question = Some(q);
    decide(&mut a, settings);
    Ok(a)
}

/// Applies the filters after `unusable` to a scored attempt, in order; the first that fails
/// drops it.
pub fn decide(a: &mut Attempt, settings: &Settings) {
    let (Some(q), Some(e)) = (a.question.clone(), a.excerpt.clone()) else {
        return;
    };
    if !grounded(&q, &e) {
        a.drop(
            Filter::Ungrounded,
            "shares no content word with its excerpt",
        );
    } else if let Some(p) = filters::self_reference(&q) {
        a.drop(
            Filter::SelfReference,
            format!("points at an unnamed document: \"{p}\""),
        );
    } else if let Some(share) = filters::quotes_excerpt(&q, &e) {
        a.drop(
            Filter::QuotesExcerpt,
            format!("quotes {:.0}% of its excerpt verbatim", 100.0 * share),
        );
    } else if let Some(why) = filters::not_single(&q) {
        a.drop(Filter::NotSingle, format!("not a single question: {why}"));
    } else if let Some(g) = a.answerability.filter(|&g| g < settings.min_gain) {
        a.drop(
            Filter::Answerability,
            format!(
                "answerability gain {g:.3} nats/token, under {}",
                settings.min_gain
            ),
        );
    } else if let Some(n) = settings.top {
        match a.corpus_rank {
            Some(r) if r <= n => {}
            Some(r) => a.drop(
                Filter::Specificity,
                format!("its excerpt ranks {r} in a BM25 search of the corpus (top {n} needed)"),
            ),
            None => a.drop(
                Filter::Specificity,
                "its excerpt is not ranked in a BM25 search of the corpus (no shared term)",
            ),
        }
    }
}

/// Drops, in generation order, a kept question whose cosine similarity to an earlier kept one is
/// at least `dedup`.
fn drop_duplicates(attempts: &mut [Attempt], embed: &mut EmbedFn, dedup: f64) -> Result<()> {
    let live: Vec<usize> = (0..attempts.len()).filter(|&i| attempts[i].kept).collect();
    let texts: Vec<&str> = live
        .iter()
        .filter_map(|&i| attempts[i].question.as_deref())
        .collect();
    if texts.is_empty() {
        return Ok(());
    }
    let vectors = embed(&texts)?;
    let mut kept: Vec<usize> = Vec::new();
    for (k, &i) in live.iter().enumerate() {
        let twin = kept.iter().find_map(|&j: &usize| {
            let c: f32 = vectors[k]
                .iter()
                .zip(vectors[j].iter())
                .map(|(a, b)| a * b)
                .sum();
            (f64::from(c) >= dedup).then_some((j, c))
        });
        match twin {
            Some((j, c)) => {
                let other = attempts[live[j]].question.clone().unwrap_or_default();
                attempts[i].drop(
                    Filter::Duplicate,
                    format!("cosine {c:.3} to the kept question {other:?}"),
                );
            }
            None => kept.push(k),
        }
    }
    Ok(())
}

/// `k` indices spread evenly over `0..n` (all of them when `k >= n`).
fn spread(n: usize, k: usize) -> Vec<usize> {
    if k >= n {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..k).map(|i| ((2 * i + 1) * n) / (2 * k)).collect();
    v.dedup();
    v
}

/// The question shares at least one content word with the excerpt.
fn grounded(question: &str, excerpt: &str) -> bool {
    let e = content_words(excerpt);
    content_words(question).iter().any(|w| e.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_even_and_bounded() {
        assert_eq!(spread(10, 2), vec![2, 7]);
        assert_eq!(spread(3, 5), vec![0, 1, 2]);
        assert_eq!(spread(5, 1), vec![2]);
    }

    #[test]
    fn grounding_needs_a_shared_content_word() {
        assert!(grounded(
            "How long does the compressor need?",
            "The compressor needs 12 minutes."
        ));
        assert!(!grounded(
            "What is the weather?",
            "The compressor needs 12 minutes."
        ));
    }

    fn scored(question: &str, gain: f64, rank: Option<usize>) -> Attempt {
        Attempt {
            doc: "kestrel-manual".into(),
            doc_index: 0,
            passage: 0,
            span: Some(Span::new(0, 10)),
            start: Some(0),
            end: Some(10),
            excerpt: Some(
                "Revoking an agent adds its certificate serial to the cluster's revocation list, \
                 which takes effect on all hub nodes within about five seconds."
                    .into(),
            ),
            raw: Some(question.into()),
            question: Some(question.into()),
            answerability: Some(gain),
            corpus_rank: rank,
            kept: true,
            filter: None,
            reason: None,
        }
    }

    fn verdict(question: &str, gain: f64, rank: Option<usize>) -> Option<Filter> {
        let mut a = scored(question, gain, rank);
        decide(&mut a, &Settings::default());
        assert_eq!(a.kept, a.filter.is_none());
        a.filter
    }

    #[test]
    fn the_filters_decide_in_order_on_written_examples() {
        let good = "How long until a revoked Kestrel agent is refused by every hub node?";
        assert_eq!(verdict(good, 0.6, Some(2)), None);
        assert_eq!(
            verdict("How does this study say agents are revoked?", 0.6, Some(1)),
            Some(Filter::SelfReference)
        );
        let quoting = "Does revoking an agent add its certificate serial to the cluster's \
                       revocation list, which takes effect on all hub nodes?";
        assert_eq!(verdict(quoting, 0.9, Some(1)), Some(Filter::QuotesExcerpt));
        assert_eq!(
            verdict(
                "What is a revoked agent and how is the list replicated?",
                0.6,
                Some(1)
            ),
            Some(Filter::NotSingle)
        );
        assert_eq!(verdict(good, 0.05, Some(1)), Some(Filter::Answerability));
        assert_eq!(verdict(good, 0.6, Some(21)), Some(Filter::Specificity));
        assert_eq!(verdict(good, 0.6, None), Some(Filter::Specificity));
        assert_eq!(
            verdict("What is the weather like in spring?", 0.6, Some(1)),
            Some(Filter::Ungrounded)
        );
        // Without the specificity check, the rank does not matter.
        let mut a = scored(good, 0.6, None);
        let off = Settings {
            top: None,
            ..Settings::default()
        };
        decide(&mut a, &off);
        assert!(a.kept);
    }
}
