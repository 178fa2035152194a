//! `cluster` with any max and piece up to it, embedding with the deterministic bag-of-words
//! stand-in: disjoint chunks of at most `max` cl100k tokens.
#![no_main]

use chunkbench::chunk::testing::HashEnv;
use chunkbench_fuzz::{check, Input, Limit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let max = input.range(8, 600);
    let piece = 1 + input.range(0, 120) % max.min(120);
    let text = input.text();
    let spec = format!("cluster:max={max},piece={piece}");
    check(&spec, &text, &HashEnv, true, Limit::Cl100k(max));
});
