//! Vector arithmetic, in one place. Vectors are unit length, so a dot product is a cosine
//! similarity. Two accumulations, each with a fixed order so results never depend on the run:
//! [`dot`] in `f32` with eight lanes (the retrieval hot path, vectorised), and [`dot_f64`] in
//! `f64` (the semantic chunkers, whose thresholds compare distances that differ in the last bits
//! of an `f32`).

/// Dot product in `f32`, eight independent accumulators in a fixed order.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators let the compiler vectorise; the order is fixed, so the
    // result is the same on every run.
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for i in (0..chunks).step_by(8) {
        for j in 0..8 {
            acc[j] += a[i + j] * b[i + j];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for i in chunks..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// Dot product accumulated in `f64`.
pub fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_agree_on_a_long_vector() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 / 19.0).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 / 19.0).collect();
        let exact: f64 = (0..19)
            .map(|i| (i as f64 / 19.0) * (1.0 - i as f64 / 19.0))
            .sum();
        assert!((dot(&a, &b) as f64 - exact).abs() < 1e-5);
        assert!((dot_f64(&a, &b) - exact).abs() < 1e-6);
    }
}
