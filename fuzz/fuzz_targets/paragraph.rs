//! `paragraph` by `size` (any unit; chunks of `size` characters never exceed it), with an overlap
//! of whole paragraphs; without overlap the chunks are disjoint. The input's text is the
//! document, so blank lines and code fences land anywhere.
#![no_main]

use chunkbench::chunk::NoEmbeddings;
use chunkbench_fuzz::{check, Input, Limit, UNITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let unit = input.pick(UNITS);
    let size = input.range(1, 600);
    let overlap = input.range(0, 4);
    let text = input.text();
    let limit = if unit == "chars" {
        Limit::Chars(size)
    } else {
        Limit::None
    };
    let spec = format!("paragraph:size={size},overlap={overlap},unit={unit}");
    check(&spec, &text, &NoEmbeddings, overlap == 0, limit);
});
