//! What happened to each attempt: the question, its scores, and the filter that decided. Every
//! attempt, kept or dropped, is written to `generation.json`.

use serde::Serialize;

use crate::chunk::Span;
use crate::llm::LlmCost;

/// One kept question with its verified excerpt (byte offsets into its document).
#[derive(Debug, Clone)]
pub struct Generated {
    pub doc: usize,
    pub question: String,
    pub excerpt: Span,
}

/// The filters, in the order they decide: the first that fails drops the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    /// The model's sentence choice could not be parsed.
    Selection,
    /// No `?`, or fewer than 4 words.
    Unusable,
    /// Shares no content word with its excerpt.
    Ungrounded,
    /// Points at an unnamed document ("this study", "the text").
    SelfReference,
    /// Quotes most of its excerpt verbatim.
    QuotesExcerpt,
    /// Not a single question.
    NotSingle,
    /// Reading the question raises the excerpt's likelihood too little.
    Answerability,
    /// Its excerpt is not in the top N of a BM25 search over the corpus.
    Specificity,
    /// Too similar to an earlier kept question.
    Duplicate,
}

impl Filter {
    /// Every filter, in deciding order.
    pub const ALL: [Filter; 9] = [
        Filter::Selection,
        Filter::Unusable,
        Filter::Ungrounded,
        Filter::SelfReference,
        Filter::QuotesExcerpt,
        Filter::NotSingle,
        Filter::Answerability,
        Filter::Specificity,
        Filter::Duplicate,
    ];

    /// The name used in `generation.json` and reports.
    pub fn name(self) -> &'static str {
        match self {
            Filter::Selection => "selection",
            Filter::Unusable => "unusable",
            Filter::Ungrounded => "ungrounded",
            Filter::SelfReference => "self_reference",
            Filter::QuotesExcerpt => "quotes_excerpt",
            Filter::NotSingle => "not_single",
            Filter::Answerability => "answerability",
            Filter::Specificity => "specificity",
            Filter::Duplicate => "duplicate",
        }
    }

    /// What the filter drops, in a few words.
    pub fn about(self) -> &'static str {
        match self {
            Filter::Selection => "unusable sentence choice",
            Filter::Unusable => "no question (no '?' or under 4 words)",
            Filter::Ungrounded => "no content word shared with the excerpt",
            Filter::SelfReference => "points at an unnamed document",
            Filter::QuotesExcerpt => "quotes most of its excerpt",
            Filter::NotSingle => "not a single question",
            Filter::Answerability => "excerpt not made likely by the question",
            Filter::Specificity => "excerpt not found by BM25 over the corpus",
            Filter::Duplicate => "near-duplicate of a kept question",
        }
    }
}

/// One attempt: a passage, the excerpt the model chose, the question it wrote, its scores and
/// the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Document id.
    pub doc: String,
    #[serde(skip)]
    pub doc_index: usize,
    /// Index of the passage in its document.
    pub passage: usize,
    /// The excerpt (byte span in its document); `None` when the choice was unusable.
    #[serde(skip)]
    pub span: Option<Span>,
    /// The excerpt's code-point offsets in its document, as in `questions.jsonl`.
    pub start: Option<usize>,
    pub end: Option<usize>,
    pub excerpt: Option<String>,
    /// The model's answer, as written.
    pub raw: Option<String>,
    /// The cleaned question.
    pub question: Option<String>,
    /// Answerability gain, nats per token (every cleaned question is scored).
    pub answerability: Option<f64>,
    /// Rank of the excerpt's chunk in a BM25 search of the corpus for the question (1 = first;
    /// `null` when not ranked, or when the check is off).
    pub corpus_rank: Option<usize>,
    /// Whether the question is in `questions.jsonl`.
    pub kept: bool,
    /// The filter that dropped it.
    pub filter: Option<Filter>,
    /// Why, with the score that decided.
    pub reason: Option<String>,
}

impl Attempt {
    /// Marks the attempt dropped by `filter` for `reason`.
    pub fn drop(&mut self, filter: Filter, reason: impl Into<String>) {
        self.kept = false;
        self.filter = Some(filter);
        self.reason = Some(reason.into());
    }
}

/// Attempts dropped by each filter.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dropped {
    pub selection: usize,
    pub unusable: usize,
    pub ungrounded: usize,
    pub self_reference: usize,
    pub quotes_excerpt: usize,
    pub not_single: usize,
    pub answerability: usize,
    pub specificity: usize,
    pub duplicate: usize,
}

impl Dropped {
    /// The count of `filter`.
    pub fn get(&self, filter: Filter) -> usize {
        match filter {
            Filter::Selection => self.selection,
            Filter::Unusable => self.unusable,
            Filter::Ungrounded => self.ungrounded,
            Filter::SelfReference => self.self_reference,
            Filter::QuotesExcerpt => self.quotes_excerpt,
            Filter::NotSingle => self.not_single,
            Filter::Answerability => self.answerability,
            Filter::Specificity => self.specificity,
            Filter::Duplicate => self.duplicate,
        }
    }

    fn slot(&mut self, filter: Filter) -> &mut usize {
        match filter {
            Filter::Selection => &mut self.selection,
            Filter::Unusable => &mut self.unusable,
            Filter::Ungrounded => &mut self.ungrounded,
            Filter::SelfReference => &mut self.self_reference,
            Filter::QuotesExcerpt => &mut self.quotes_excerpt,
            Filter::NotSingle => &mut self.not_single,
            Filter::Answerability => &mut self.answerability,
            Filter::Specificity => &mut self.specificity,
            Filter::Duplicate => &mut self.duplicate,
        }
    }
}

/// The settings that decided, as `generation.json` records them.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    /// `few-shot` or `plain`.
    pub prompt: &'static str,
    pub min_gain: f64,
    /// Top N of the specificity check; `null` when it is off.
    pub top: Option<usize>,
    pub chunker: &'static str,
    pub retriever: &'static str,
    pub dedup: f64,
}

/// What happened to the attempts (`generation.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub documents: usize,
    pub attempted: usize,
    pub kept: usize,
    pub dropped: Dropped,
    pub settings: Decided,
    pub cost: LlmCost,
    /// Every attempt, in generation order.
    pub attempts: Vec<Attempt>,
}

impl Report {
    /// Counts kept and dropped attempts from their verdicts.
    pub fn count(&mut self) {
        self.attempted = self.attempts.len();
        self.kept = self.attempts.iter().filter(|a| a.kept).count();
        self.dropped = Dropped::default();
        for f in self.attempts.iter().filter_map(|a| a.filter) {
            *self.dropped.slot(f) += 1;
        }
    }
}
