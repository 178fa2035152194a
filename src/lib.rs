//! chunkbench: benchmark chunking strategies for retrieval-augmented generation.
//!
//! The pipeline flows one way, one module per stage:
//! [`dataset`] → [`chunk`] → [`embed`] → [`retrieve`] → [`score`] (→ [`answers`], model-based,
//! opt-in) → [`report`], planned and run
//! in parallel by [`run`]. [`strategy`] describes chunkers as data.

pub mod answers;
pub mod atomic;
pub mod chunk;
pub mod cli;
pub mod commands;
pub mod commands_llm;
pub mod dataset;
pub mod embed;
pub mod error;
pub mod llm;
pub mod output;
pub mod paths;
pub mod questions;
pub mod report;
pub mod results;
pub mod retrieve;
pub mod run;
pub mod score;
pub mod strategy;
pub mod text;

pub use error::{Error, Result};
