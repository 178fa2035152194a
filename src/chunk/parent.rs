//! Small-to-big (parent-document) retrieval: the `parent` strategy cuts the document into large
//! parents, and each parent into small children with the `child` strategy (run on the parent's
//! text, so every child lies inside its parent). Children are what is embedded, indexed and
//! ranked; when one is retrieved, its parent is handed over — once, at the rank of its best
//! child, so `k` and a budget count parents.

use super::contextual::{self, base_chunker, finish_wrapper};
use super::late;
use super::params::Params;
use super::{Chunk, ChunkEnv, Chunker, Doc, Family, Span};
use crate::error::Result;
use crate::strategy::Strategy;

/// `parent`: children retrieved, parents handed over.
pub const FAMILY: Family = Family {
    name: "parent",
    params: "child (required: a strategy spec), parent (required: a strategy spec)",
    about: "small-to-big: the parent strategy's chunks, each cut by the child strategy; children are retrieved and their parents handed over (deduplicated, at their best child's rank; k counts parents)",
    build: |s| Ok(Box::new(ParentChild::from_strategy(s)?)),
};

/// The `parent` chunker.
pub struct ParentChild {
    child: Box<dyn Chunker>,
    parent: Box<dyn Chunker>,
}

impl ParentChild {
    /// Builds from a strategy's parameters: `child`, `parent`.
    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let (child_spec, child) = base_chunker(&mut p, "child")?;
        let (parent_spec, parent) = base_chunker(&mut p, "parent")?;
        finish_wrapper(&p, &["child", "parent"], "child")?;
        let wrappers = [FAMILY.name, contextual::FAMILY.name, late::FAMILY.name];
        for (key, inner) in [("child", &child_spec), ("parent", &parent_spec)] {
            if wrappers.contains(&inner.family.as_str()) {
                return Err(p.error(format!(
                    "`{key}` must be a plain strategy (fixed, recursive, sentence...), not the wrapper `{}`; put the wrapper outside instead, e.g. contextual:base=(parent:child=...,parent=...)",
                    inner.family
                )));
            }
        }
        Ok(ParentChild { child, parent })
    }
}

impl Chunker for ParentChild {
    /// The children's spans.
    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        Ok(self
            .units(Doc { id: "", text }, env)?
            .into_iter()
            .map(|u| u.span)
            .collect())
    }

    fn units(&self, doc: Doc, env: &dyn ChunkEnv) -> Result<Vec<Chunk>> {
        let mut out = Vec::new();
        for parent in self.parent.chunk(doc.text, env)? {
            let inside = &doc.text[parent.start..parent.end];
            for c in self.child.chunk(inside, env)? {
                out.push(Chunk {
                    span: Span::new(parent.start + c.start, parent.start + c.end),
                    context: None,
                    returned: Some(parent),
                });
            }
        }
        Ok(out)
    }

    fn needs_embeddings(&self) -> bool {
        self.child.needs_embeddings() || self.parent.needs_embeddings()
    }

    fn needs_llm(&self) -> bool {
        self.child.needs_llm() || self.parent.needs_llm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::NoEmbeddings;

    #[test]
    fn children_lie_inside_their_parents_and_return_them() {
        let text = "One sentence here. Another one there.\n\nA second paragraph, longer than the first one is.\n\nThird.";
        let s = Strategy::parse(
            "parent:child=(fixed:size=12,unit=chars),parent=(paragraph:size=60,unit=chars)",
        )
        .unwrap();
        let c = ParentChild::from_strategy(&s).unwrap();
        let units = c.units(Doc { id: "d", text }, &NoEmbeddings).unwrap();
        let parents: Vec<Span> =
            super::super::build(&Strategy::parse("paragraph:size=60,unit=chars").unwrap())
                .unwrap()
                .chunk(text, &NoEmbeddings)
                .unwrap();
        assert!(parents.len() >= 2, "{parents:?}");
        for u in &units {
            let p = u.returned.unwrap();
            assert!(parents.contains(&p));
            assert!(p.start <= u.span.start && u.span.end <= p.end, "{u:?}");
            assert!(u.span.len() <= 12);
        }
        // Every parent has children covering it.
        for p in &parents {
            let covered: usize = units
                .iter()
                .filter(|u| u.returned == Some(*p))
                .map(|u| u.span.len())
                .sum();
            assert_eq!(covered, p.len(), "{p:?}");
        }
    }

    #[test]
    fn wrappers_inside_are_refused_with_the_way_round() {
        for spec in [
            "parent:child=(contextual:base=fixed:size=8),parent=fixed:size=64",
            "parent:child=fixed:size=8,parent=(late:base=fixed:size=64)",
        ] {
            let e = match ParentChild::from_strategy(&Strategy::parse(spec).unwrap()) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{spec} was accepted"),
            };
            assert!(e.contains("must be a plain strategy"), "{spec}: {e}");
        }
        let e = ParentChild::from_strategy(&Strategy::parse("parent:child=fixed:size=8").unwrap())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("missing required parameter `parent`"), "{e}");
    }
}
