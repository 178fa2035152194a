//! Property tests of the three semantic families on random documents and parameters, with the
//! deterministic bag-of-words stand-in for the embedder ([`super::testing::HashEnv`]): spans are
//! ordered, non-overlapping, non-empty, on char boundaries, cover every non-whitespace character,
//! and never exceed `max` cl100k tokens.

use proptest::prelude::*;

use super::testing::HashEnv;
use crate::chunk::build;
use crate::chunk::proptests::{check_spans, document};
use crate::chunk::sizer::cl100k_tokens;
use crate::strategy::Strategy as Spec;

/// [`HashEnv`], recording the texts it is asked to embed.
#[derive(Default)]
struct Recording(std::sync::Mutex<Vec<String>>);

impl crate::chunk::ChunkEnv for Recording {
    fn embed(&self, texts: &[&str]) -> crate::error::Result<Vec<std::sync::Arc<[f32]>>> {
        let mut seen = self.0.lock().unwrap();
        seen.extend(texts.iter().map(|t| t.to_string()));
        HashEnv.embed(texts)
    }
}

fn run(spec: &str, text: &str, max: Option<usize>) -> Result<(), TestCaseError> {
    let chunker = build(&Spec::parse(spec).unwrap()).unwrap();
    prop_assert!(chunker.needs_embeddings());
    let env = Recording::default();
    let spans = chunker.chunk(text, &env).unwrap();
    // The texts named ahead are the texts embedded (the run embeds them before chunking).
    let ahead: Vec<&str> = chunker
        .embedding_spans(text)
        .unwrap()
        .iter()
        .map(|s| &text[s.start..s.end])
        .collect();
    prop_assert_eq!(ahead, env.0.into_inner().unwrap());
    check_spans(text, &spans, true, |t| {
        let n = cl100k_tokens(t);
        match max {
            Some(max) if n > max => Err(format!("{n} tokens > max {max}")),
            _ => Ok(()),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn semantic_spans_are_valid(
        text in document(),
        method in 0usize..4,
        percent in 0.0f64..=100.0,
        factor in -1.0f64..4.0,
        buffer in 0usize..4,
        min in 0usize..60,
        max in 8usize..300,
    ) {
        let (name, amount) = match method {
            0 => ("percentile", percent),
            1 => ("stddev", factor),
            2 => ("iqr", factor),
            _ => ("gradient", percent),
        };
        let min = min.min(max);
        let spec = format!(
            "semantic:method={name},amount={amount},buffer={buffer},min={min},max={max}"
        );
        run(&spec, &text, Some(max))?;
    }

    #[test]
    fn cluster_spans_are_valid(text in document(), max in 8usize..400, piece in 4usize..80) {
        let piece = piece.min(max);
        run(&format!("cluster:max={max},piece={piece}"), &text, Some(max))?;
    }

    #[test]
    fn kamradt_spans_are_valid(
        text in document(),
        avg in 1usize..500,
        buffer in 0usize..4,
        piece in 4usize..80,
        max in prop::option::of(8usize..300),
    ) {
        let mut spec = format!("kamradt:avg={avg},buffer={buffer},piece={piece}");
        if let Some(m) = max {
            spec.push_str(&format!(",max={m}"));
        }
        run(&spec, &text, max)?;
    }
}
