//! The subcommands: each file turns one subcommand's arguments into library calls. Model and
//! endpoint setup lives in [`crate::setup`].

mod baseline;
mod cache;
mod chunk;
mod compare;
mod dataset;
mod plot;
mod questions;
mod run;
mod serve;

use crate::cli::{BaselineCommand, CacheCommand, Cli, Command, DatasetCommand, QuestionsCommand};
use crate::error::Result;

/// Runs a parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Plot(args) => plot::plot(args),
        Command::Chunk(args) => chunk::chunk(args),
        Command::Dataset(DatasetCommand::Validate { path }) => dataset::validate(&path),
        Command::Dataset(DatasetCommand::Stats { path }) => dataset::stats(&path),
        Command::Compare(args) => compare::compare(args),
        Command::Baseline(BaselineCommand::Save { run, to }) => baseline::save(&run, &to),
        Command::Questions(QuestionsCommand::Generate(args)) => questions::generate(args),
        Command::Serve(args) => serve::serve(args),
        Command::Cache(CacheCommand::Merge(args)) => cache::merge(args),
    }
}
