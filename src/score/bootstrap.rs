//! Bootstrap confidence intervals over questions, and paired comparisons.
//!
//! Resampling draws question indices with replacement from a SplitMix64 generator with a fixed
//! seed, so intervals are reproducible bit for bit. The same resamples serve every strategy of a
//! question group, which makes differences between strategies *paired*: the interval of a
//! difference is the percentile interval of the per-resample mean differences.

use serde::Serialize;

/// Default number of bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 2000;
/// Default seed.
pub const DEFAULT_SEED: u64 = 0x5EED_C4B5;

/// A deterministic, dependency-free PRNG (SplitMix64, Steele et al. 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// Resampled index sets for a group of `n` questions.
#[derive(Debug, Clone)]
pub struct Resamples {
    n: usize,
    idx: Vec<u32>,
}

impl Resamples {
    /// `b` resamples of `n` indices, from `seed`.
    pub fn new(n: usize, b: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed ^ (n as u64).wrapping_mul(0x9E37_79B9));
        let idx = if n == 0 {
            Vec::new()
        } else {
            (0..n * b).map(|_| rng.below(n) as u32).collect()
        };
        Resamples { n, idx }
    }

    /// The 95% percentile interval of the mean of `xs` (`xs.len()` must be `n`).
    pub fn interval(&self, xs: &[f64]) -> (f64, f64) {
        debug_assert_eq!(xs.len(), self.n);
        if self.n == 0 {
            return (0.0, 0.0);
        }
        let mut means: Vec<f64> = self
            .idx
            .chunks_exact(self.n)
            .map(|s| s.iter().map(|&i| xs[i as usize]).sum::<f64>() / self.n as f64)
            .collect();
        means.sort_by(f64::total_cmp);
        (percentile(&means, 0.025), percentile(&means, 0.975))
    }
}

/// Linear-interpolated percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// A paired difference `b − a` over the same questions, with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedDiff {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
}

impl PairedDiff {
    /// The difference is real at 95% when its interval excludes zero.
    pub fn significant(&self) -> bool {
        self.lo > 0.0 || self.hi < 0.0
    }
}

/// Paired bootstrap of `b − a` (per-question values in the same question order).
pub fn paired(a: &[f64], b: &[f64], resamples: &Resamples) -> PairedDiff {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let mean = if d.is_empty() {
        0.0
    } else {
        d.iter().sum::<f64>() / d.len() as f64
    };
    let (lo, hi) = resamples.interval(&d);
    PairedDiff {
        mean,
        lo,
        hi,
        n: d.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_contains_mean_and_is_reproducible() {
        let xs: Vec<f64> = (0..100).map(|i| (i % 7) as f64 / 7.0).collect();
        let r = Resamples::new(100, 1000, 1);
        let (lo, hi) = r.interval(&xs);
        let mean = xs.iter().sum::<f64>() / 100.0;
        assert!(lo < mean && mean < hi, "{lo} {mean} {hi}");
        assert_eq!(Resamples::new(100, 1000, 1).interval(&xs), (lo, hi));
    }

    #[test]
    fn paired_difference_detects_a_shift_but_not_noise() {
        let a: Vec<f64> = (0..200).map(|i| ((i * 37) % 100) as f64 / 100.0).collect();
        let shifted: Vec<f64> = a.iter().map(|x| x - 0.05).collect();
        let r = Resamples::new(200, 2000, 7);
        assert!(paired(&a, &shifted, &r).significant());
        assert!(!paired(&a, &a, &r).significant());
        // a permutation of the same values: same mean, large per-question noise
        let mut perm = a.clone();
        perm.rotate_left(13);
        assert!(!paired(&a, &perm, &r).significant());
    }
}
