//! IoU and recall against mean chunk size: one line per series (a family with its fixed
//! parameters), points at each strategy, the 95% interval as a band (or a whisker for a lone
//! point).

use plotters::prelude::*;

use super::axis::Axis;
use super::data::{headline, Data};
use super::layout::{self, Area, DrawResult, Key, LegendItem};
use super::style;

pub const SIZE: (u32, u32) = (800, 520);

pub fn draw<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
    let top = layout::header(canvas, "Retrieval quality vs chunk size", &d.context_line())?;
    let items: Vec<LegendItem> = d
        .series
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            color: s.color,
            key: Key::Line(s.marker),
        })
        .collect();
    let area = layout::plot_area_above_legend(canvas, &items, top, (w, h))?;
    let panels = area.split_evenly((1, 2));
    let tokens: Vec<f64> = d.entries.iter().map(|e| e.s.chunks.tokens_mean).collect();
    let x = Axis::log(
        tokens.iter().copied().fold(f64::INFINITY, f64::min),
        tokens.iter().copied().fold(0.0, f64::max),
        0.08,
    );
    for (panel, m) in panels.iter().zip(headline()) {
        let (metric, title) = (m.name, &m.title());
        let lo = d
            .entries
            .iter()
            .map(|e| e.metric(metric).lo)
            .fold(f64::INFINITY, f64::min);
        let hi = d
            .entries
            .iter()
            .map(|e| e.metric(metric).hi)
            .fold(0.0, f64::max);
        let y = Axis::linear(lo, hi, 0.06, Some((0.0, 1.0)), false);
        let mut chart = layout::panel(
            panel,
            &x,
            &y,
            "mean chunk size (cl100k tokens, log scale)",
            "mean over questions",
            Some(title),
        )?;
        for (si, s) in d.series.iter().enumerate() {
            let mut pts: Vec<(f64, f64, f64, f64)> = d
                .entries
                .iter()
                .filter(|e| e.series == si)
                .map(|e| {
                    let m = e.metric(metric);
                    (x.at(e.s.chunks.tokens_mean), m.stat.mean, m.lo, m.hi)
                })
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            if pts.len() >= 2 {
                let band: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|p| (p.0, p.3))
                    .chain(pts.iter().rev().map(|p| (p.0, p.2)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    band,
                    s.color.mix(0.14).filled(),
                )))?;
                chart.draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, p.1)),
                    s.color.stroke_width(2),
                ))?;
            } else {
                for p in &pts {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(p.0, p.2), (p.0, p.3)],
                        s.color.stroke_width(2),
                    )))?;
                }
            }
        }
        for (si, s) in d.series.iter().enumerate() {
            for e in d.entries.iter().filter(|e| e.series == si) {
                let at = chart
                    .backend_coord(&(x.at(e.s.chunks.tokens_mean), e.metric(metric).stat.mean));
                style::draw_marker(canvas, s.marker, at, s.color)?;
            }
        }
    }
    Ok(())
}
