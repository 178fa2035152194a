//! `sliding`: any size of at least 2, overlap between 1 and size − 1 (or the default size/2), any
//! unit. Windows of `size` characters never exceed it.
#![no_main]

use chunkbench::chunk::NoEmbeddings;
use chunkbench_fuzz::{check, Input, Limit, UNITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let unit = input.pick(UNITS);
    let size = input.range(2, 600);
    let overlap = 1 + input.range(0, 600) % (size - 1);
    let default_overlap = input.byte() % 4 == 0;
    let text = input.text();
    let limit = if unit == "chars" {
        Limit::Chars(size)
    } else {
        Limit::None
    };
    let spec = if default_overlap {
        format!("sliding:size={size},unit={unit}")
    } else {
        format!("sliding:size={size},overlap={overlap},unit={unit}")
    };
    check(&spec, &text, &NoEmbeddings, false, limit);
});
