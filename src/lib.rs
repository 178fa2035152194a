//! chunkbench: benchmark chunking strategies for retrieval-augmented generation.
//!
//! The pipeline flows one way, one module per stage:
//! [`dataset`] → [`chunk`] → [`embed`] → [`retrieve`] → [`score`] (→ [`answers`], model-based,
//! opt-in) → [`report`], planned and run
//! in parallel by [`run`]. [`strategy`] describes chunkers as data.
//!
//! The binary is thin: [`cli`] declares the arguments (and checks their ranges), [`commands`]
//! turns each subcommand into library calls, and [`setup`] opens the models and endpoints they
//! name. [`http`] is the one HTTP client behind every endpoint.

pub mod answers;
pub mod atomic;
pub mod chunk;
pub mod cli;
pub mod commands;
pub mod dataset;
pub mod embed;
pub mod error;
pub mod http;
pub mod llm;
mod lockfile;
pub mod output;
pub mod paths;
pub mod questions;
pub mod report;
pub mod rerank;
pub mod results;
pub mod retrieve;
pub mod run;
pub mod score;
pub mod serve;
pub mod setup;
pub mod strategy;
pub mod text;
pub mod vector;

pub use error::{Error, Result};
