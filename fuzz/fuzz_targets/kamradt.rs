//! `kamradt` with any avg, buffer and piece, with or without `max`, embedding with the
//! deterministic bag-of-words stand-in: disjoint chunks, at most `max` cl100k tokens when given.
#![no_main]

use chunkbench::chunk::testing::HashEnv;
use chunkbench_fuzz::{check, Input, Limit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let avg = input.range(1, 800);
    let buffer = input.range(0, 5);
    let piece = input.range(1, 120);
    let max = (input.byte() % 2 == 0).then(|| input.range(8, 600));
    let text = input.text();
    let mut spec = format!("kamradt:avg={avg},buffer={buffer},piece={piece}");
    let limit = match max {
        Some(m) => {
            spec.push_str(&format!(",max={m}"));
            Limit::Cl100k(m)
        }
        None => Limit::None,
    };
    check(&spec, &text, &HashEnv, true, limit);
});
