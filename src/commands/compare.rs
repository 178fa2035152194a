//! `chunkbench compare`: the paired comparison of a run against a baseline (exit 1 on a
//! regression).

use crate::cli::CompareArgs;
use crate::error::{Error, Result};
use crate::report::compare;
use crate::results::RunResults;

pub fn compare(args: CompareArgs) -> Result<i32> {
    let baseline = RunResults::load(&args.baseline)?;
    let current = RunResults::load(&args.current)?;
    let mut tolerances = compare::tolerances(&args.tolerance)?;
    if !args.metrics.is_empty() {
        for m in &args.metrics {
            if !tolerances.iter().any(|(name, _)| name == m) {
                return Err(Error::Usage(format!("--metrics: unknown metric {m:?}")));
            }
        }
        tolerances.retain(|(name, _)| args.metrics.contains(name));
    }
    let result = compare::compare(&baseline, &current, &tolerances, args.bootstrap, args.seed)?;
    print!("{}", compare::render_terminal(&result));
    if let Some(path) = &args.markdown {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.write_all(compare::render_markdown(&result).as_bytes())
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(if result.regressions().next().is_some() {
        1
    } else {
        0
    })
}
