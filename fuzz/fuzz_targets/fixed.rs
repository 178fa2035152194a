//! `fixed`: any size, overlap below it, any unit. Windows of `size` characters never exceed it;
//! without overlap they tile the text (disjoint).
#![no_main]

use chunkbench::chunk::NoEmbeddings;
use chunkbench_fuzz::{check, Input, Limit, UNITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let unit = input.pick(UNITS);
    let size = input.range(1, 600);
    let overlap = input.range(0, 600) % size;
    let text = input.text();
    let limit = if unit == "chars" {
        Limit::Chars(size)
    } else {
        Limit::None
    };
    let spec = format!("fixed:size={size},overlap={overlap},unit={unit}");
    check(&spec, &text, &NoEmbeddings, overlap == 0, limit);
});
