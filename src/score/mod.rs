//! Scores: pure functions from gold spans and retrieved spans to numbers, and their aggregation.
//! No I/O here.

pub mod aggregate;
pub mod ranges;
pub mod span;
