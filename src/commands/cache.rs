//! `chunkbench cache merge`: the caches that shard runs filled, combined into one, so the final
//! run finds every vector and model answer computed.

use std::path::{Path, PathBuf};

use crate::cli::CacheMergeArgs;
use crate::error::{Error, Result};
use crate::lockfile::Merged;

/// Which cache a file is, by its name (the name is the hash of the model's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Embeddings,
    Answers,
}

fn kind_of(name: &str) -> Option<Kind> {
    if name.ends_with(".v2.bin") {
        Some(Kind::Embeddings)
    } else if name.ends_with(".v2.jsonl") {
        Some(Kind::Answers)
    } else {
        None
    }
}

pub fn merge(args: CacheMergeArgs) -> Result<i32> {
    for src in &args.sources {
        if !src.is_dir() {
            return Err(Error::Usage(format!(
                "{}: not a directory; give the cache directories the shard runs filled (their --cache-dir or --llm-cache-dir, or a directory holding both)",
                src.display()
            )));
        }
        if same_dir(src, &args.into) {
            return Err(Error::Usage(format!(
                "{}: a source is also --into; merge into another directory",
                src.display()
            )));
        }
    }
    let mut total = Merged::default();
    let mut files = 0;
    for src in &args.sources {
        for (rel, kind) in cache_files(src)? {
            let (from, to) = (src.join(&rel), args.into.join(&rel));
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            let m = match kind {
                Kind::Embeddings => crate::embed::cache::merge_file(&from, &to)?,
                Kind::Answers => crate::llm::cache::merge_file(&from, &to)?,
            };
            for w in &m.warnings {
                eprintln!("warning: {w}");
            }
            if !args.quiet {
                println!(
                    "{}: {} added, {} already in {}",
                    from.display(),
                    m.added,
                    m.present,
                    to.display()
                );
            }
            files += 1;
            total.added += m.added;
            total.present += m.present;
        }
    }
    if files == 0 {
        return Err(Error::Usage(format!(
            "no cache files (*.v2.bin embeddings, *.v2.jsonl model answers) in {}; give the directories the shard runs filled",
            args.sources
                .iter()
                .map(|s| s.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if !args.quiet {
        println!(
            "merged {files} cache files into {}: {} records added, {} already there",
            args.into.display(),
            total.added,
            total.present
        );
    }
    Ok(0)
}

/// Whether two paths name the same existing directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The cache files under `dir` (at any depth), as paths relative to it, sorted.
fn cache_files(dir: &Path) -> Result<Vec<(PathBuf, Kind)>> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let here = dir.join(&rel);
        let entries = std::fs::read_dir(&here).map_err(|e| Error::io(&here, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&here, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            if entry.file_type().map_err(|e| Error::io(&here, e))?.is_dir() {
                pending.push(path);
            } else if let Some(kind) = kind_of(&name) {
                found.push((path, kind));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_files_are_known_by_their_names() {
        assert_eq!(kind_of("0123456789abcdef.v2.bin"), Some(Kind::Embeddings));
        assert_eq!(kind_of("0123456789abcdef.v2.jsonl"), Some(Kind::Answers));
        assert_eq!(kind_of("0123456789abcdef.bin"), None);
        assert_eq!(kind_of("0123456789abcdef.v2.bin.corrupt"), None);
    }
}
