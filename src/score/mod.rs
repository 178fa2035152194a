//! Scores: pure functions from gold spans and retrieved spans to numbers, and their aggregation.
//! No I/O here.

pub mod aggregate;
pub mod answer;
pub mod bootstrap;
pub mod ranges;
pub mod rank;
pub mod span;
