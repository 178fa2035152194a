//! `semantic` (breakpoint) with each method, its amount, buffer, min and max, embedding with the
//! deterministic bag-of-words stand-in: disjoint chunks of at most `max` cl100k tokens.
#![no_main]

use chunkbench::chunk::testing::HashEnv;
use chunkbench_fuzz::{check, Input, Limit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let method = input.pick(&["percentile", "stddev", "iqr", "gradient"]);
    let raw = input.range(0, 1000);
    let amount = match method {
        "percentile" | "gradient" => raw as f64 / 10.0, // 0..=100
        _ => raw as f64 / 200.0 - 1.0,                  // -1..=4
    };
    let buffer = input.range(0, 5);
    let max = input.range(8, 600);
    let min = input.range(0, 600) % (max + 1);
    let text = input.text();
    let spec =
        format!("semantic:method={method},amount={amount},buffer={buffer},min={min},max={max}");
    check(&spec, &text, &HashEnv, true, Limit::Cl100k(max));
});
