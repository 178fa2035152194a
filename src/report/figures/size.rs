//! IoU and recall against mean chunk size: one line per series (a family with its fixed
//! parameters), points at each strategy, the 95% interval as a band (or a whisker for a lone
//! point).

use plotters::prelude::*;

use super::axis::Axis;
use super::data::{headline, Data, Entry, Series};
use super::layout::{self, Area, DrawResult, Key, LegendItem};
use super::style;

pub const SIZE: (u32, u32) = (800, 520);

pub fn draw<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
    let top = layout::header(canvas, "Retrieval quality vs chunk size", &d.context_line())?;
    let area = layout::plot_area_above_legend(canvas, &legend(&d.series), top, (w, h))?;
    let panels = area.split_evenly((1, 2));
    let rows = Rows {
        d,
        series: &d.series,
        of: &|e: &Entry| e.series,
    };
    rows.draw(canvas, &panels, &|_| true, None)
}

/// Height of one row of the per-setup figure.
const SETUP_ROW_H: u32 = 300;

/// The per-setup figure's size: a row of two panels per setup.
pub fn by_setup_size(d: &Data) -> (u32, u32) {
    (SIZE.0, 150 + SETUP_ROW_H * d.setups().len().max(1) as u32)
}

/// The same panels once per retrieval setup (a row each), one line per family with the same
/// colour in every row, on shared axes so rows compare at a glance.
pub fn draw_by_setup<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = by_setup_size(d);
    let top = layout::header(
        canvas,
        "Retrieval quality vs chunk size, per retrieval setup",
        &d.context_line(),
    )?;
    let area =
        layout::plot_area_above_legend(canvas, &legend(&d.families), top, (w as i32, h as i32))?;
    let setups = d.setups();
    let panels = area.split_evenly((setups.len().max(1), 2));
    let rows = Rows {
        d,
        series: &d.families,
        of: &|e: &Entry| e.family,
    };
    for (i, label) in setups.iter().enumerate() {
        let pick = |e: &Entry| e.setup.as_deref() == Some(label.as_str());
        rows.draw(canvas, &panels[2 * i..2 * i + 2], &pick, Some(label))?;
    }
    Ok(())
}

fn legend(series: &[Series]) -> Vec<LegendItem> {
    series
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            color: s.color,
            key: Key::Line(s.marker),
        })
        .collect()
}

/// Draws the IoU and recall panels of some entries, one line per series.
struct Rows<'d, 'a> {
    d: &'d Data<'a>,
    series: &'d [Series],
    /// The series of an entry.
    of: &'d dyn Fn(&Entry) -> usize,
}

impl Rows<'_, '_> {
    /// The two panels of the entries `pick` keeps; axes span every entry of the run.
    fn draw<DB: DrawingBackend>(
        &self,
        canvas: &Area<DB>,
        panels: &[Area<DB>],
        pick: &dyn Fn(&Entry) -> bool,
        setup: Option<&str>,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let d = self.d;
        let tokens: Vec<f64> = d.entries.iter().map(|e| e.s.chunks.tokens_mean).collect();
        let x = Axis::log(
            tokens.iter().copied().fold(f64::INFINITY, f64::min),
            tokens.iter().copied().fold(0.0, f64::max),
            0.08,
        );
        for (panel, m) in panels.iter().zip(headline()) {
            let metric = m.name;
            let title = match setup {
                Some(s) => format!("{} · {s}", m.title()),
                None => m.title(),
            };
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
                Some(&title),
            )?;
            let entries: Vec<&Entry> = d.entries.iter().filter(|e| pick(e)).collect();
            for (si, s) in self.series.iter().enumerate() {
                let mut pts: Vec<(f64, f64, f64, f64)> = entries
                    .iter()
                    .filter(|e| (self.of)(e) == si)
                    .map(|e| {
                        let m = e.metric(metric);
                        (x.at(e.s.chunks.tokens_mean), m.stat.mean, m.lo, m.hi)
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                line_with_band(&mut chart, &pts, s)?;
            }
            for (si, s) in self.series.iter().enumerate() {
                for e in entries.iter().filter(|e| (self.of)(e) == si) {
                    let at = chart
                        .backend_coord(&(x.at(e.s.chunks.tokens_mean), e.metric(metric).stat.mean));
                    style::draw_marker(canvas, s.marker, at, s.color)?;
                }
            }
        }
        Ok(())
    }
}

/// One series: its line and interval band, or whiskers for a lone point.
fn line_with_band<DB: DrawingBackend>(
    chart: &mut layout::Chart<'_, DB>,
    pts: &[(f64, f64, f64, f64)],
    s: &Series,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
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
        for p in pts {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(p.0, p.2), (p.0, p.3)],
                s.color.stroke_width(2),
            )))?;
        }
    }
    Ok(())
}
