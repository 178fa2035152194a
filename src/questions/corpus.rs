//! Reading the corpus questions are generated for.

use std::path::{Path, PathBuf};

use crate::dataset::Document;
use crate::error::{Error, Result};

/// Reads a corpus: a dataset directory (native or Chroma layout), a directory of text files
/// (`.md`, `.markdown`, `.txt`, `.rst`; the id is the file stem), or one file.
pub fn load_corpus(path: &Path) -> Result<Vec<Document>> {
    let is_dataset = path.join("documents").is_dir() || path.join("corpora").is_dir();
    if is_dataset {
        return Ok(crate::dataset::RawDataset::load(path)?.documents);
    }
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        matches!(
                            x.to_ascii_lowercase().as_str(),
                            "md" | "markdown" | "txt" | "rst"
                        )
                    })
            })
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no documents (.md, .markdown, .txt, .rst files, or a dataset with documents/)",
            path.display()
        )));
    }
    files
        .iter()
        .map(|f| {
            let id = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Document::new(id, crate::dataset::read_document(f)?, f.clone())
        })
        .collect()
}
