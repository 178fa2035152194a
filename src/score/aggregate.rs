//! Aggregation of per-question scores: unweighted mean and population standard deviation (ddof 0),
//! as the reference reports them.

use serde::{Deserialize, Serialize};

/// Mean and population standard deviation of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
    pub n: usize,
}

/// Mean and population std; zeros for an empty sample. Summation is in input order, so the same
/// inputs always give the same bits.
pub fn mean_std(xs: &[f64]) -> MeanStd {
    let n = xs.len();
    if n == 0 {
        return MeanStd {
            mean: 0.0,
            std: 0.0,
            n,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
    MeanStd {
        mean,
        std: var.sqrt(),
        n,
    }
}

/// Median and 95th percentile (nearest rank) of sizes.
pub fn median_p95(xs: &[usize]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mut v = xs.to_vec();
    v.sort_unstable();
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    };
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
    (median, v[rank - 1] as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_std() {
        let m = mean_std(&[1.0, 3.0]);
        assert_eq!((m.mean, m.std), (2.0, 1.0));
        assert_eq!(median_p95(&[1, 2, 3, 4]), (2.5, 4.0));
    }
}
