//! `chunkbench plot`: figures and report.html from a finished run's files.

use crate::cli::PlotArgs;
use crate::error::Result;

pub fn plot(args: PlotArgs) -> Result<i32> {
    for p in crate::report::plot(&args.results, args.out.as_deref())? {
        println!("wrote {}", p.display());
    }
    Ok(0)
}
