//! Answer quality: one row per strategy, one panel per answer metric (answer support, and the
//! model-based metrics the run measured), each a dot at the mean with its 95% interval as a
//! whisker. Drawn only when the run computed a model-based metric.

use plotters::prelude::*;

use super::axis::Axis;
use super::data::Data;
use super::layout::{self, Area, DrawResult, MARGIN};
use super::{rows, style};
use crate::results::{Metric, Unit};

const WIDTH: u32 = 800;
const ROW: i32 = 26;

/// The metrics drawn: answer support, then the measured model-based ones (none: no figure).
pub fn metrics(d: &Data) -> Vec<&'static Metric> {
    crate::report::tables::answer_columns(d.r)
}

pub fn size(d: &Data) -> (u32, u32) {
    (
        WIDTH,
        (110 + d.entries.len().max(1) as i32 * ROW + 70) as u32,
    )
}

pub fn draw<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = canvas.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let r = d.r;
    let questions = match r.answer_models.sample {
        Some(n) => format!(
            "{} questions (model metrics: a sample of {n})",
            r.dataset.questions
        ),
        None => format!("{} questions", r.dataset.questions),
    };
    let top = layout::header(
        canvas,
        "Answer quality",
        &format!(
            "{}: {questions} · top-{} · whiskers: 95% bootstrap intervals",
            r.dataset.name, r.k
        ),
    )?;
    let names: Vec<&str> = d.entries.iter().map(|e| e.s.name.as_str()).collect();
    let label_w = rows::label_width(canvas, &names, w / 4);
    let area = canvas
        .clone()
        .shrink((MARGIN / 2, top + 4), (w - MARGIN, h - MARGIN - top - 4));
    let (labels_area, rest) = area.split_horizontally(label_w);
    let shown = metrics(d);
    let panels = rest.split_evenly((1, shown.len().max(1)));
    let n = d.entries.len();
    for (pi, (panel, metric)) in panels.iter().zip(&shown).enumerate() {
        let label = metric.label;
        let values: Vec<_> = d
            .entries
            .iter()
            .filter_map(|e| e.all.measured(metric.name))
            .collect();
        let lo = values.iter().map(|m| m.lo).fold(f64::INFINITY, f64::min);
        let hi = values
            .iter()
            .map(|m| m.hi)
            .fold(f64::NEG_INFINITY, f64::max);
        // Shares live in [0, 1]; context utility is in nats, either sign.
        let utility = metric.unit == Unit::Nats;
        let x = if utility {
            Axis::linear(lo.min(0.0), hi, 0.06, None, true)
        } else {
            Axis::linear(lo, hi, 0.06, Some((0.0, 1.0)), false)
        };
        let desc = if utility { "nats / token" } else { "mean" };
        let chart = rows::panel(panel, &x, n, label, desc, 3, 24)?;
        if utility && x.range.start < 0.0 {
            let a = chart.backend_coord(&(0.0, 0.0));
            let b = chart.backend_coord(&(0.0, n as f64));
            canvas.draw(&PathElement::new(vec![a, b], style::AXIS.stroke_width(1)))?;
        }
        for (ri, e) in d.entries.iter().enumerate() {
            let yc = rows::centre(n, ri);
            if let Some(m) = e.all.measured(metric.name) {
                let series = &d.series[e.series];
                rows::whisker(canvas, &chart, (m.lo, m.hi), yc, 3)?;
                let at = chart.backend_coord(&(m.stat.mean, yc));
                style::draw_marker(canvas, series.marker, at, series.color)?;
            }
            if pi == 0 {
                rows::label(canvas, &chart, &labels_area, label_w, (n, ri), &e.s.name)?;
            }
        }
    }
    Ok(())
}
