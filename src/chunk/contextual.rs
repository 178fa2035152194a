//! Contextual chunks: a base strategy's units with a context embedded and indexed before each —
//! the document title and the Markdown heading path above the unit (`context=headings`, the
//! cheap variant), or a short situating context the language model writes from the document
//! (`context=llm`, Anthropic's contextual retrieval). The spans, and so every score and what is
//! handed over, are the base's: only what the retrievers read changes, so the same base with and
//! without context compares pairwise in one run.

use std::sync::Arc;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::params::Params;
use super::sizer::{token_offsets, Unit};
use super::{Chunk, ChunkEnv, Chunker, Doc, Embedding, Family, Span};
use crate::error::Result;
use crate::llm::{ChatRequest, Message};
use crate::strategy::Strategy;

/// `contextual`: a context before each unit of a base strategy.
pub const FAMILY: Family = Family {
    name: "contextual",
    params: "base (required: a strategy spec), context=headings|llm, window=2000 (llm: cl100k tokens of the document shown), max-context=100 (llm: tokens written)",
    about: "the base strategy's chunks, each embedded and indexed after a context: the document title and Markdown heading path (headings), or a situating context the language model writes from the document (llm); spans unchanged",
    build: |s| Ok(Box::new(Contextual::from_strategy(s)?)),
};

/// Where the context comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Headings,
    Llm { window: usize, max_tokens: usize },
}

/// The `contextual` chunker.
pub struct Contextual {
    base: Box<dyn Chunker>,
    source: Source,
}

/// The strategy a wrapper family names in parameter `key`, built (its errors name the wrapper).
pub(crate) fn base_chunker(p: &mut Params, key: &str) -> Result<(Strategy, Box<dyn Chunker>)> {
    let Some(spec) = p.str_opt(key)? else {
        return Err(p.error(format!(
            "missing required parameter `{key}`, a strategy spec such as {key}=recursive:size=256 (several parameters in parentheses: {key}=(recursive:size=256,overlap=32))"
        )));
    };
    let mut inner = Strategy::parse(&spec).map_err(|e| p.error(format!("`{key}`: {e}")))?;
    inner.origin = format!("`{key}` of {}", p.origin());
    let chunker = super::build(&inner)?;
    Ok((inner, chunker))
}

/// Rejects a wrapper's leftover parameters, with the hint a leftover usually needs: the base's
/// own parameters go in parentheses.
pub(crate) fn finish_wrapper(p: &Params, accepted: &[&str], key: &str) -> Result<()> {
    p.finish(accepted).map_err(|e| match e {
        crate::error::Error::Strategy { origin, message } => crate::error::Error::Strategy {
            origin,
            message: format!(
                "{message}; if it belongs to the `{key}` strategy, write that strategy in parentheses: {key}=(recursive:size=256,splitter=markdown)"
            ),
        },
        e => e,
    })
}

impl Contextual {
    /// Builds from a strategy's parameters: `base`, `context`, `window`, `max-context`.
    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let (_, base) = base_chunker(&mut p, "base")?;
        let llm = p.choice("context", &[("headings", false), ("llm", true)], false)?;
        let window = p.usize_opt("window")?.unwrap_or(2000);
        let max_tokens = p.usize_opt("max-context")?.unwrap_or(100);
        finish_wrapper(&p, &["base", "context", "window", "max-context"], "base")?;
        if base.embedding() != Embedding::Text {
            return Err(p.error(
                "a late-chunked base pools the document's own token vectors, so a context before its chunks would never be read; put `contextual` over a base embedded as text, or use `late` alone",
            ));
        }
        if llm && (window == 0 || max_tokens == 0) {
            return Err(p.error("`window` and `max-context` must be at least 1"));
        }
        let source = match llm {
            false => Source::Headings,
            true => Source::Llm { window, max_tokens },
        };
        Ok(Contextual { base, source })
    }
}

impl Chunker for Contextual {
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        self.base.chunk(text, env)
    }

    fn units(&self, doc: Doc, env: &dyn ChunkEnv) -> Result<Vec<Chunk>> {
        let mut units = self.base.units(doc, env)?;
        match self.source {
            Source::Headings => {
                let outline = Outline::of(doc);
                for u in &mut units {
                    let own = &doc.text[u.span.start..u.span.end];
                    let at = u.span.start + (own.len() - own.trim_start().len());
                    u.context = Some(outline.context_at(at).into());
                }
            }
            Source::Llm { window, max_tokens } => {
                for u in &mut units {
                    u.context = llm_context(doc.text, u.span, window, max_tokens, env)?;
                }
            }
        }
        Ok(units)
    }

    fn needs_embeddings(&self) -> bool {
        self.base.needs_embeddings()
    }

    fn embedding_spans(&self, text: &str) -> Result<Vec<Span>> {
        self.base.embedding_spans(text)
    }

    fn needs_llm(&self) -> bool {
        self.base.needs_llm() || matches!(self.source, Source::Llm { .. })
    }
}

/// A document's title and Markdown headings, for the heading path above any offset.
pub struct Outline {
    title: String,
    /// Every heading, in text order.
    after: Vec<Heading>,
}

/// One heading: its byte offset, the path (levels and texts) in effect after it, and whether the
/// heading itself ends that path (an empty heading names nothing).
struct Heading {
    at: usize,
    path: Vec<(u8, String)>,
    named: bool,
}

impl Outline {
    /// Reads the headings of `doc` (ATX and setext, none inside code); the title is the first
    /// level-1 heading, else the document id.
    pub fn of(doc: Doc) -> Self {
        let mut after: Vec<Heading> = Vec::new();
        let mut path: Vec<(u8, String)> = Vec::new();
        let mut open: Option<(usize, u8, String)> = None;
        for (event, range) in Parser::new(doc.text).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    open = Some((range.start, level as u8, String::new()));
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some((_, _, s)) = &mut open {
                        s.push_str(&t);
                    }
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((at, level, text)) = open.take() {
                        // An empty heading closes the sections below its level, names none.
                        path.retain(|(l, _)| *l < level);
                        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        let named = !text.is_empty();
                        if named {
                            path.push((level, text));
                        }
                        after.push(Heading {
                            at,
                            path: path.clone(),
                            named,
                        });
                    }
                }
                _ => {}
            }
        }
        let title = after
            .iter()
            .flat_map(|h| h.path.first())
            .find(|(l, _)| *l == 1)
            .map_or_else(|| doc.id.to_string(), |(_, t)| t.clone());
        Outline { title, after }
    }

    /// The heading path of a unit whose text starts at byte `at`: the headings in effect there,
    /// outermost first, less a heading that starts at `at` (the unit holds it itself).
    pub fn path_at(&self, at: usize) -> Vec<&str> {
        let i = self.after.partition_point(|h| h.at <= at);
        let Some(h) = i.checked_sub(1).map(|i| &self.after[i]) else {
            return Vec::new();
        };
        let keep = h.path.len() - usize::from(h.at == at && h.named);
        h.path[..keep].iter().map(|(_, t)| t.as_str()).collect()
    }

    /// The context put before a unit starting at `at`: the title, then the heading path below
    /// it, then a blank line.
    pub fn context_at(&self, at: usize) -> String {
        let mut path = self.path_at(at);
        if path.first() == Some(&self.title.as_str()) {
            path.remove(0);
        }
        match path.is_empty() {
            true => format!("{}\n\n", self.title),
            false => format!("{}\n{}\n\n", self.title, path.join(" > ")),
        }
    }
}

/// The prompt of Anthropic's contextual retrieval, with the document (or the part of it around
/// the chunk) and the chunk.
fn prompt(document: &str, chunk: &str) -> String {
    format!(
        "<document>\n{document}\n</document>\nHere is the chunk we want to situate within the whole document\n<chunk>\n{chunk}\n</chunk>\nPlease give a short succinct context to situate this chunk within the overall document for the purposes of improving search retrieval of the chunk. Answer only with the succinct context and nothing else."
    )
}

/// The part of `text` the model is shown for `span`: the whole document when it fits in
/// `window` cl100k tokens, else `window` tokens centred on the chunk (at least the chunk).
pub fn document_window(text: &str, span: Span, window: usize) -> Span {
    let bpe = Unit::Cl100k.bpe().expect("cl100k is a token unit");
    let offsets = token_offsets(bpe, text);
    let tokens = offsets.len() - 1;
    if tokens <= window {
        return Span::new(0, text.len());
    }
    let first = offsets
        .partition_point(|&o| o <= span.start)
        .saturating_sub(1);
    let last = offsets.partition_point(|&o| o < span.end);
    let spare = window.saturating_sub(last - first);
    let from = first.saturating_sub(spare / 2);
    let to = (last + (spare - (first - from))).min(tokens);
    let from = from.min(to.saturating_sub(window.max(last - first)));
    let (mut start, mut end) = (offsets[from].min(span.start), offsets[to].max(span.end));
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

/// The model's situating context for one chunk, followed by a blank line; `None` (and a
/// fallback counted in the strategy's cost) when it answers nothing usable.
fn llm_context(
    text: &str,
    span: Span,
    window: usize,
    max_tokens: usize,
    env: &dyn ChunkEnv,
) -> Result<Option<Arc<str>>> {
    let shown = document_window(text, span, window);
    let request = ChatRequest {
        messages: vec![Message::user(prompt(
            &text[shown.start..shown.end],
            &text[span.start..span.end],
        ))],
        max_tokens,
        stop: Vec::new(),
        grammar: None,
    };
    let answer = env.llm()?.complete(&request)?;
    let context = answer.text.split_whitespace().collect::<Vec<_>>().join(" ");
    if context.is_empty() {
        env.llm_fallback();
        return Ok(None);
    }
    Ok(Some(format!("{context}\n\n").into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::NoEmbeddings;

    const DOC: &str = "# Kestrel Manual\n\nIntro text.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n\n### On Linux\n\nApt.\n\n## Upgrade\n\nLater.\n";

    #[test]
    fn the_path_is_the_headings_above_outside_code() {
        let o = Outline::of(Doc {
            id: "manual",
            text: DOC,
        });
        let at = |s: &str| DOC.find(s).unwrap();
        assert_eq!(o.path_at(0), Vec::<&str>::new());
        assert_eq!(o.path_at(at("Intro")), ["Kestrel Manual"]);
        assert_eq!(
            o.path_at(at("Apt.")),
            ["Kestrel Manual", "Install", "On Linux"]
        );
        assert_eq!(o.path_at(at("Later.")), ["Kestrel Manual", "Upgrade"]);
        // A unit that starts with a heading has that heading's parents above it.
        assert_eq!(o.path_at(at("## Upgrade")), ["Kestrel Manual"]);
        assert_eq!(o.path_at(at("### On Linux")), ["Kestrel Manual", "Install"]);
        assert_eq!(
            o.context_at(at("Apt.")),
            "Kestrel Manual\nInstall > On Linux\n\n"
        );
        assert_eq!(o.context_at(at("Intro")), "Kestrel Manual\n\n");
        // No level-1 heading: the document id is the title.
        let o = Outline::of(Doc {
            id: "notes",
            text: "## A\n\ntext",
        });
        assert_eq!(o.context_at(7), "notes\nA\n\n");
        // An empty heading names nothing (and is no title).
        let o = Outline::of(Doc {
            id: "notes",
            text: "# \n\n## B\n\ntext\n\n##\n\nmore",
        });
        assert_eq!(o.context_at(12), "notes\nB\n\n");
        assert_eq!(o.context_at(22), "notes\n\n");
    }

    #[test]
    fn headings_add_a_context_and_keep_the_base_spans() {
        let s = Strategy::parse("contextual:base=(recursive:size=8,unit=chars),context=headings")
            .unwrap();
        let c = Contextual::from_strategy(&s).unwrap();
        let base =
            super::super::build(&Strategy::parse("recursive:size=8,unit=chars").unwrap()).unwrap();
        let doc = Doc { id: "m", text: DOC };
        let units = c.units(doc, &NoEmbeddings).unwrap();
        let spans: Vec<Span> = units.iter().map(|u| u.span).collect();
        assert_eq!(spans, base.chunk(DOC, &NoEmbeddings).unwrap());
        let apt = units
            .iter()
            .find(|u| u.indexed_text(DOC).ends_with("Apt."))
            .unwrap();
        assert_eq!(
            apt.indexed_text(DOC),
            "Kestrel Manual\nInstall > On Linux\n\nApt."
        );
        assert!(units.iter().all(|u| u.returned.is_none()));
    }

    #[test]
    fn bad_specs_are_named() {
        for (spec, says) in [
            (
                "contextual:context=headings",
                "missing required parameter `base`",
            ),
            (
                "contextual:base=fixd:size=3",
                "unknown strategy family \"fixd\"",
            ),
            (
                "contextual:base=fixed:size=3,context=web",
                "`context` must be one of",
            ),
            (
                "contextual:base=fixed:size=3,overlap=1",
                "unknown parameter `overlap`",
            ),
            (
                "contextual:base=late:base=fixed:size=9",
                "late-chunked base",
            ),
        ] {
            let e = match Contextual::from_strategy(&Strategy::parse(spec).unwrap()) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{spec} was accepted"),
            };
            assert!(e.contains(says), "{spec}: {e}");
        }
    }

    #[test]
    fn the_document_window_holds_the_chunk_and_fits_the_budget() {
        let text = "word ".repeat(1000);
        let span = Span::new(2500, 2600);
        let w = document_window(&text, span, 200);
        assert!(w.start <= span.start && w.end >= span.end, "{w:?}");
        let tokens = crate::chunk::sizer::cl100k_tokens(&text[w.start..w.end]);
        assert!((190..=210).contains(&tokens), "{tokens}");
        assert_eq!(
            document_window("short text", Span::new(0, 5), 200),
            Span::new(0, 10)
        );
        // A chunk larger than the window is shown whole.
        let big = document_window(&text, Span::new(0, 4000), 100);
        assert!(big.end >= 4000);
    }
}
