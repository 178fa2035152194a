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

/// The dot products of four rows with one vector, each accumulated exactly as [`dot`] does (so
/// the results are bit-identical to four calls), with the vector's loads shared.
#[inline]
pub fn dot4(rows: [&[f32]; 4], b: &[f32]) -> [f32; 4] {
    let mut acc = [[0f32; 8]; 4];
    let n = b.len();
    let chunks = n / 8 * 8;
    let [r0, r1, r2, r3] = rows;
    let (r0, r1, r2, r3) = (&r0[..n], &r1[..n], &r2[..n], &r3[..n]);
    for i in (0..chunks).step_by(8) {
        let q = &b[i..i + 8];
        let (a0, a1, a2, a3) = (&r0[i..i + 8], &r1[i..i + 8], &r2[i..i + 8], &r3[i..i + 8]);
        for j in 0..8 {
            acc[0][j] += a0[j] * q[j];
            acc[1][j] += a1[j] * q[j];
            acc[2][j] += a2[j] * q[j];
            acc[3][j] += a3[j] * q[j];
        }
    }
    let mut out = [0f32; 4];
    for (r, row) in [r0, r1, r2, r3].into_iter().enumerate() {
        let mut s: f32 = acc[r].iter().sum();
        for i in chunks..n {
            s += row[i] * b[i];
        }
        out[r] = s;
    }
    out
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

    #[test]
    fn dot4_is_four_dots_bit_for_bit() {
        for n in [0, 3, 8, 19, 384] {
            let v = |s: f32| {
                (0..n)
                    .map(|i| ((i as f32 + s) * 0.37).sin())
                    .collect::<Vec<_>>()
            };
            let (a, b, c, d, q) = (v(1.0), v(2.0), v(3.0), v(4.0), v(5.0));
            let got = dot4([&a, &b, &c, &d], &q);
            let want = [dot(&a, &q), dot(&b, &q), dot(&c, &q), dot(&d, &q)];
            assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits), "n = {n}");
        }
    }
}
