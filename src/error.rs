//! The crate's error type. Every variant is something a user can act on: it names the file, the
//! line or the parameter at fault and, where there is one, the fix.

use std::path::PathBuf;

/// Everything that can go wrong in chunkbench. All variants map to exit code 2 ("bad input or
/// environment"); regressions found by `compare` use exit code 1 and are not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A dataset file is malformed (bad JSON/CSV line, a span that does not match the text...).
    #[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Dataset {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// A strategy specification or grid file is invalid.
    #[error("{origin}: {message}")]
    Strategy { origin: String, message: String },
    /// The embedding model or its runtime is missing or failed.
    #[error("{0}")]
    Model(String),
    /// Anything else the user asked for that cannot be done (an impossible parameter...).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A dataset error at a given line (1-based) of a file.
    pub fn dataset(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Error::Dataset {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    /// A strategy error, `origin` being the spec string or `file (strategy NAME)`.
    pub fn strategy(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Strategy {
            origin: origin.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
