//! `sentence` by `size` (any unit; chunks of `size` characters never exceed it) or by `count`,
//! with an overlap of whole sentences; without overlap the chunks are disjoint.
#![no_main]

use chunkbench::chunk::NoEmbeddings;
use chunkbench_fuzz::{check, Input, Limit, UNITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let by_size = input.byte() % 2 == 0;
    let unit = input.pick(UNITS);
    let n = input.range(1, 600);
    let overlap = input.range(0, 8);
    let text = input.text();
    let (spec, limit, overlap) = if by_size {
        let limit = if unit == "chars" {
            Limit::Chars(n)
        } else {
            Limit::None
        };
        (
            format!("sentence:size={n},overlap={overlap},unit={unit}"),
            limit,
            overlap,
        )
    } else {
        let count = 1 + n % 8;
        let overlap = overlap % count;
        (
            format!("sentence:count={count},overlap={overlap},unit={unit}"),
            Limit::None,
            overlap,
        )
    };
    check(&spec, &text, &NoEmbeddings, overlap == 0, limit);
});
