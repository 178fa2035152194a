//! `recursive` with each splitter (text, markdown, chroma), any size, overlap below it, any unit.
//! Chunks of `size` characters never exceed it; without overlap they are disjoint.
#![no_main]

use chunkbench::chunk::NoEmbeddings;
use chunkbench_fuzz::{check, Input, Limit, UNITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let splitter = input.pick(&["text", "markdown", "chroma"]);
    let unit = input.pick(UNITS);
    let size = input.range(1, 600);
    // Half the inputs without overlap (the common configuration), half with one below `size`.
    let overlap = match input.byte() % 2 {
        0 => 0,
        _ => input.range(0, 600) % size,
    };
    let text = input.text();
    let limit = if unit == "chars" {
        Limit::Chars(size)
    } else {
        Limit::None
    };
    let spec = format!("recursive:size={size},overlap={overlap},unit={unit},splitter={splitter}");
    check(&spec, &text, &NoEmbeddings, overlap == 0, limit);
});
