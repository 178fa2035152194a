//! Property tests of the embedding-free families (fixed, sliding, recursive with each splitter,
//! sentence, paragraph, and the wrappers contextual, parent and late over them) on random documents and parameters: spans are non-empty, on char boundaries, within
//! the document, ordered by start; every non-whitespace character is in some chunk; the chunker is
//! deterministic; and `chars` sizes are never exceeded where the family promises a limit (the
//! semantic families have their own properties in `semantic/proptests.rs`).

use proptest::prelude::*;

use super::{build, Chunk, Doc, Embedding, NoEmbeddings, Span};
use crate::strategy::Strategy as Spec;

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z]{1,10}",
        4 => Just(" ".to_string()),
        2 => prop::sample::select(vec![". ", "? ", "! ", ".", "\n", "\n\n", "\t", "  ", "# ", "- "])
            .prop_map(String::from),
        2 => prop::sample::select(vec!["é", "😀", "漢字", "—", "ñandú", "Mr. ", "3.14", "e.g. "])
            .prop_map(String::from),
        1 => "[a-z]{40,400}",
        1 => "(😀|漢){10,120}",
    ]
}

/// A random document of words, whitespace, punctuation, Markdown marks and multi-byte text (also
/// the semantic families' property input).
pub(crate) fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..200).prop_map(|v| v.concat())
}

/// The invariants every chunker promises ([`crate::chunk::testing::check_spans`], shared with the
/// fuzz targets), as a property-test failure.
pub(crate) fn check_spans(
    text: &str,
    spans: &[Span],
    disjoint: bool,
    fits: impl Fn(&str) -> Result<(), String>,
) -> Result<(), TestCaseError> {
    super::testing::check_spans(text, spans, disjoint, fits).map_err(TestCaseError::fail)
}

/// Builds `spec`, checks it is deterministic and that its spans keep the invariants; `limit` is
/// a size in characters no chunk may exceed.
fn check(spec: &str, text: &str, limit: Option<usize>) -> Result<(), TestCaseError> {
    let chunker = build(&Spec::parse(spec).unwrap()).unwrap();
    let spans: Vec<Span> = chunker.chunk(text, &NoEmbeddings).unwrap();
    prop_assert_eq!(
        &spans,
        &chunker.chunk(text, &NoEmbeddings).unwrap(),
        "not deterministic"
    );
    check_spans(text, &spans, false, |t| {
        let n = t.chars().count();
        match limit {
            Some(limit) if n > limit => Err(format!("{spec}: {n} chars > {limit}")),
            _ => Ok(()),
        }
    })
}

fn spans(units: &[Chunk]) -> Vec<Span> {
    units.iter().map(|u| u.span).collect()
}

fn unit(i: usize) -> &'static str {
    ["chars", "cl100k", "o200k"][i % 3]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn windows_are_valid(text in document(), size in 1usize..300, overlap in 0usize..300, u in 0usize..3) {
        let overlap = overlap % size;
        let limit = (unit(u) == "chars").then_some(size);
        check(&format!("fixed:size={size},overlap={overlap},unit={}", unit(u)), &text, limit)?;
        if overlap > 0 {
            check(&format!("sliding:size={size},overlap={overlap},unit={}", unit(u)), &text, limit)?;
        }
    }

    #[test]
    fn recursive_splits_are_valid(
        text in document(),
        size in 1usize..300,
        splitter in 0usize..3,
        u in 0usize..3,
    ) {
        let splitter = ["text", "markdown", "chroma"][splitter];
        let limit = (unit(u) == "chars").then_some(size);
        check(
            &format!("recursive:size={size},splitter={splitter},unit={}", unit(u)),
            &text,
            limit,
        )?;
    }

    #[test]
    fn sentence_groups_are_valid(
        text in document(),
        size in 1usize..300,
        count in 1usize..6,
        overlap in 0usize..6,
        u in 0usize..3,
    ) {
        let limit = (unit(u) == "chars").then_some(size);
        check(&format!("sentence:size={size},overlap={overlap},unit={}", unit(u)), &text, limit)?;
        let overlap = overlap % count;
        check(&format!("sentence:count={count},overlap={overlap}"), &text, None)?;
    }

    #[test]
    fn paragraph_groups_are_valid(
        text in document(),
        fences in prop::collection::vec(0usize..4000, 0..4),
        size in 1usize..300,
        overlap in 0usize..4,
        u in 0usize..3,
    ) {
        // Fenced code marks at random places, so blocks open and close anywhere.
        let mut text = text;
        for at in fences {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, "\n```\n");
        }
        let limit = (unit(u) == "chars").then_some(size);
        check(&format!("paragraph:size={size},overlap={overlap},unit={}", unit(u)), &text, limit)?;
    }

    #[test]
    fn wrappers_keep_exact_spans(
        text in document(),
        child in 1usize..120,
        factor in 2usize..6,
        overlap in 0usize..64,
        family in 0usize..3,
    ) {
        let base = ["fixed", "recursive", "paragraph"][family];
        let parent_size = child * factor;
        let doc = Doc { id: "doc", text: &text };
        let base_spec = format!("{base}:size={parent_size},unit=chars");
        let base_units = build(&Spec::parse(&base_spec).unwrap()).unwrap().units(doc, &NoEmbeddings).unwrap();

        // contextual: the base's spans exactly, each with a context ending in a blank line.
        let contextual = format!("contextual:base=({base_spec}),context=headings");
        let units = build(&Spec::parse(&contextual).unwrap()).unwrap().units(doc, &NoEmbeddings).unwrap();
        prop_assert_eq!(spans(&units), spans(&base_units));
        for u in &units {
            let c = u.context.as_deref().unwrap_or("");
            prop_assert!(c.ends_with("\n\n") && c.len() > 2, "{:?}", c);
            prop_assert!(u.indexed_text(&text).ends_with(&text[u.span.start..u.span.end]));
        }

        // late: the base's units, pooled.
        let late = format!("late:base=({base_spec}),overlap={overlap}");
        let late = build(&Spec::parse(&late).unwrap()).unwrap();
        prop_assert_eq!(late.units(doc, &NoEmbeddings).unwrap(), base_units.clone());
        prop_assert_eq!(late.embedding(), Embedding::Late { overlap });

        // parent: children are valid spans within their parent, parents are the parent
        // strategy's spans, and every character of a parent is in exactly one of its children.
        let parent = format!("parent:child=(fixed:size={child},unit=chars),parent=({base_spec})");
        let units = build(&Spec::parse(&parent).unwrap()).unwrap().units(doc, &NoEmbeddings).unwrap();
        let parents = spans(&base_units);
        for u in &units {
            let p = u.returned.expect("a child returns its parent");
            prop_assert!(parents.contains(&p));
            prop_assert!(p.start <= u.span.start && u.span.end <= p.end);
            prop_assert!(text[u.span.start..u.span.end].chars().count() <= child);
        }
        for p in &parents {
            let mut children: Vec<Span> = units.iter().filter(|u| u.returned == Some(*p)).map(|u| u.span).collect();
            children.sort();
            check_spans(&text[p.start..p.end], &children.iter().map(|c| Span::new(c.start - p.start, c.end - p.start)).collect::<Vec<_>>(), true, |_| Ok(()))?;
        }
    }
}
