//! Chunker families: each family's file declares its [`Family`] record (name, parameters, what it
//! does, builder); [`FAMILIES`] (in `chunk/mod.rs`, beside the module list) names them once, and
//! parsing ([`build`]), `--help` ([`families_help`]), the unknown-family error and the README's
//! table (checked by a test) all read it. A new family is one file plus its `mod` line and one
//! entry in that list.

use super::{Chunker, FAMILIES};
use crate::error::{Error, Result};
use crate::strategy::Strategy;

/// A chunker family: how it is written, what it takes, and how its chunker is built.
pub struct Family {
    /// The name a strategy spec starts with (`fixed` in `fixed:size=200`).
    pub name: &'static str,
    /// Its parameters with their defaults, as `--help` shows them.
    pub params: &'static str,
    /// What it does, in a few words.
    pub about: &'static str,
    /// Builds the chunker of a strategy of this family, validating its parameters.
    pub build: fn(&Strategy) -> Result<Box<dyn Chunker>>,
}

/// The family called `name`.
pub fn family(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

/// Builds the chunker a strategy describes, validating its parameters.
pub fn build(strategy: &Strategy) -> Result<Box<dyn Chunker>> {
    match family(&strategy.family) {
        Some(f) => (f.build)(strategy),
        None => {
            let names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
            Err(Error::strategy(
                &strategy.origin,
                format!(
                    "unknown strategy family {:?}; known families: {}",
                    strategy.family,
                    names.join(", ")
                ),
            ))
        }
    }
}

/// The families as `--help` lists them: one entry per family, its parameters and what it does,
/// wrapped to 100 columns under a hanging indent.
pub fn families_help() -> String {
    FAMILIES
        .iter()
        .map(|f| crate::output::help_entry(f.name, &format!("{} — {}", f.params, f.about)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_build_rejects_unknown_families() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len());
        let e = build(&Strategy::parse("fixd:size=3").unwrap())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unknown strategy family \"fixd\""), "{e}");
        assert!(e.contains("fixed, sliding, recursive"), "{e}");
    }

    #[test]
    fn every_family_is_dispatched_to_its_own_builder() {
        // A spec with no parameters fails in the family's own parameter check (each requires
        // something or accepts it), never with "unknown family".
        for f in FAMILIES {
            if let Err(e) = build(&Strategy::parse(f.name).unwrap()) {
                assert!(!e.to_string().contains("unknown strategy family"), "{e}");
            }
        }
    }

    #[test]
    fn the_readme_table_lists_every_family() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        for f in FAMILIES {
            assert!(
                readme.contains(&format!("\n| `{}` |", f.name)),
                "README.md's strategy table has no row for family `{}`",
                f.name
            );
        }
    }

    #[test]
    fn help_lists_every_family_within_the_width() {
        let help = families_help();
        for f in FAMILIES {
            assert!(
                help.contains(&format!("\n  {:<11}", f.name))
                    || help.starts_with(&format!("  {:<11}", f.name)),
                "{}",
                f.name
            );
        }
        assert!(help.lines().all(|l| l.chars().count() <= 100), "{help}");
    }
}
