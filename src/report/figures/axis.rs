//! Axes with "nice" ticks, linear or logarithmic. A chart is always built on plain `f64`
//! coordinates; a log axis plots `ln(value)` and labels its ticks with the values, so every figure
//! shares one chart type and the tick labels are exact.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// One axis: its extent in plot coordinates and its ticks (plot coordinate, label).
#[derive(Debug, Clone)]
pub struct Axis {
    pub log: bool,
    /// Extent in plot coordinates (`ln` of values on a log axis).
    pub range: Range<f64>,
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// A linear axis covering `[min, max]`, padded by `pad` of the span on both sides, never
    /// beyond `clamp`, with 4–8 ticks at multiples of 1, 2, 2.5 or 5 × 10ⁿ. When `from_zero`
    /// (or the data come close to 0) the axis starts at 0.
    pub fn linear(
        min: f64,
        max: f64,
        pad: f64,
        clamp: Option<(f64, f64)>,
        from_zero: bool,
    ) -> Axis {
        let (mut lo, mut hi) = if min.is_finite() && max.is_finite() && min <= max {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        if hi - lo < 1e-12 {
            let d = if hi.abs() > 1e-12 {
                hi.abs() * 0.05
            } else {
                0.05
            };
            lo -= d;
            hi += d;
        }
        let span = hi - lo;
        lo -= span * pad;
        hi += span * pad;
        if from_zero || (min >= 0.0 && lo < span * 0.6) {
            lo = lo.min(0.0).max(0.0_f64.min(min));
        }
        if let Some((a, b)) = clamp {
            // A little room past the limits, so a point at exactly 0 or 1 is not cut by the frame
            // (ticks stay within the limits).
            let slack = (hi - lo) * 0.025;
            lo = lo.max(a - slack);
            hi = hi.min(b + slack);
        }
        if from_zero && min >= 0.0 {
            lo = 0.0;
        }
        let step = nice_step((hi - lo) / 5.0);
        let (tick_lo, tick_hi) = match clamp {
            Some((a, b)) => (lo.max(a), hi.min(b)),
            None => (lo, hi),
        };
        let first = (tick_lo / step - 1e-9).ceil() as i64;
        let last = (tick_hi / step + 1e-9).floor() as i64;
        let decimals = decimals_for(step);
        let ticks = (first..=last)
            .map(|i| {
                let v = i as f64 * step;
                let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
                let label = if step >= 1000.0 {
                    format_value(v)
                } else {
                    format!("{v:.decimals$}")
                };
                (v, label)
            })
            .collect();
        Axis {
            log: false,
            range: lo..hi,
            ticks,
        }
    }

    /// A logarithmic axis covering `[min, max]` (both > 0). When the data span at most five
    /// octaves (chunk sizes) it runs from the power of two below `min` to the one above `max`,
    /// with a tick at each; otherwise it is padded by `pad` of the log span, with ticks at
    /// 1, 2, 5 × 10ⁿ.
    pub fn log(min: f64, max: f64, pad: f64) -> Axis {
        let min = if min.is_finite() && min > 0.0 {
            min
        } else {
            1.0
        };
        let max = if max.is_finite() && max >= min {
            max
        } else {
            min
        };
        let (mut lo, mut hi) = (min.ln(), max.ln());
        if hi - lo < 0.2 {
            lo -= 0.1;
            hi += 0.1;
        }
        let ln2 = std::f64::consts::LN_2;
        let octaves = (max.log2().ceil() - min.log2().floor()).max(1.0);
        if octaves <= 5.0 {
            // Chunk sizes: extend to the enclosing powers of two, so both ends carry a tick.
            lo = min.log2().floor() * ln2 - 0.12 * ln2;
            hi = max.log2().ceil() * ln2 + 0.12 * ln2;
        } else {
            let span = hi - lo;
            lo -= span * pad;
            hi += span * pad;
        }
        let candidates: Vec<f64> = if octaves <= 5.0 {
            (-30..=40).map(|e| 2f64.powi(e)).collect()
        } else {
            (-12..=15)
                .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
                .collect()
        };
        let ticks: Vec<(f64, String)> = candidates
            .into_iter()
            .filter(|v| (lo..=hi).contains(&v.ln()))
            .map(|v| (v.ln(), format_value(v)))
            .collect();
        Axis {
            log: true,
            range: lo..hi,
            ticks,
        }
    }

    /// The plot coordinate of `value`.
    pub fn at(&self, value: f64) -> f64 {
        if self.log {
            value.max(1e-300).ln()
        } else {
            value
        }
    }

    /// Tick positions (for plotters' key points).
    pub fn key_points(&self) -> Vec<f64> {
        self.ticks.iter().map(|t| t.0).collect()
    }

    /// The label of the tick at plot coordinate `x` (empty off-tick).
    pub fn label(&self, x: f64) -> String {
        let tol = (self.range.end - self.range.start).abs() * 1e-9;
        self.ticks
            .iter()
            .find(|t| (t.0 - x).abs() <= tol)
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }
}

/// The plotters coordinate of an [`Axis`]: linear over its range, with its ticks as the only
/// key points (so grid lines and labels fall exactly on them).
#[derive(Debug, Clone)]
pub struct TickCoord {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Axis {
    pub fn coord(&self) -> TickCoord {
        TickCoord {
            range: self.range.clone(),
            ticks: self.key_points(),
        }
    }
}

impl Ranged for TickCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 || !v.is_finite() {
            return (limit.0 + limit.1) / 2;
        }
        let t = (v - self.range.start) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= raw * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// Decimals needed to print multiples of `step` exactly.
fn decimals_for(step: f64) -> usize {
    (0..10)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(10) as usize
}

/// A tick value: integers plainly, thousands with a "k" (81k), small fractions with what they
/// need.
pub fn format_value(v: f64) -> String {
    if v >= 1000.0 && (v / 1000.0 - (v / 1000.0).round()).abs() < 1e-9 {
        format!("{}k", (v / 1000.0).round() as i64)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let d = decimals_for(v).min(6);
        format!("{v:.d$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice_and_inside() {
        let a = Axis::linear(0.013, 0.061, 0.05, Some((0.0, 1.0)), false);
        assert_eq!(a.range.start, 0.0);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0.00", "0.02", "0.04", "0.06"]);
        for (x, _) in &a.ticks {
            assert!(a.range.contains(x));
        }
        let b = Axis::linear(0.5, 0.7, 0.05, Some((0.0, 1.0)), false);
        assert!(b.range.start > 0.4, "{b:?}");
        assert!(b.ticks.len() >= 3, "{b:?}");
    }

    #[test]
    fn log_ticks_are_powers_of_two_for_chunk_sizes() {
        let a = Axis::log(76.0, 490.0, 0.08);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["64", "128", "256", "512"]);
        assert_eq!(a.label(128f64.ln()), "128");
        let wide = Axis::log(0.001, 30.0, 0.05);
        assert!(wide.ticks.iter().any(|t| t.1 == "0.01"), "{wide:?}");
    }

    #[test]
    fn values_format_compactly() {
        assert_eq!(format_value(81_000.0), "81k");
        assert_eq!(format_value(128.0), "128");
        assert_eq!(format_value(0.05), "0.05");
    }
}
