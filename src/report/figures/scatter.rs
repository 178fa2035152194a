//! Precision against recall, one labelled point per strategy with interval whiskers; and the
//! labelled-scatter panel that the cost figure shares.

use plotters::prelude::*;

use super::axis::Axis;
use super::data::Data;
use super::layout::{self, Area, DrawResult, Key, LabelledPoint, LegendItem};

pub const SIZE: (u32, u32) = (800, 600);

/// One point of a scatter panel, in data values; intervals optional per axis.
pub struct Pt {
    pub x: f64,
    pub x_ci: Option<(f64, f64)>,
    pub y: f64,
    pub y_ci: Option<(f64, f64)>,
    pub color: RGBColor,
    pub marker: super::style::Marker,
    pub label: String,
}

/// Draws a panel of labelled points with whiskers into `area` (labels stay inside its plot).
#[allow(clippy::too_many_arguments)]
pub fn panel<DB: DrawingBackend>(
    canvas: &Area<DB>,
    area: &Area<DB>,
    x: &Axis,
    y: &Axis,
    x_desc: &str,
    y_desc: &str,
    title: Option<&str>,
    pts: &[Pt],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let chart = layout::panel(area, x, y, x_desc, y_desc, title)?;
    let px = |vx: f64, vy: f64| chart.backend_coord(&(x.at(vx), y.at(vy)));
    let points: Vec<LabelledPoint> = pts
        .iter()
        .map(|p| {
            let mut whiskers = Vec::new();
            if let Some((lo, hi)) = p.y_ci {
                whiskers.push((px(p.x, lo), px(p.x, hi)));
            }
            if let Some((lo, hi)) = p.x_ci {
                whiskers.push((px(lo, p.y), px(hi, p.y)));
            }
            LabelledPoint {
                at: px(p.x, p.y),
                color: p.color,
                marker: p.marker,
                label: p.label.clone(),
                whiskers,
            }
        })
        .collect();
    let mut bounds = layout::plot_rect(&chart);
    bounds.x0 += 2;
    bounds.y0 += 2;
    bounds.x1 -= 2;
    bounds.y1 -= 2;
    layout::draw_points(canvas, &points, bounds)
}

/// The legend of the series, with a note on what the point labels are.
pub fn series_legend(d: &Data) -> Vec<LegendItem> {
    let mut items: Vec<LegendItem> = d
        .series
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            color: s.color,
            key: Key::Point(s.marker),
        })
        .collect();
    if d.labels_are_sizes() {
        items.push(LegendItem {
            label: "· labels: chunk size".into(),
            color: super::style::MUTED,
            key: Key::None,
        });
    }
    items
}

pub fn draw<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
    let top = layout::header(canvas, "Precision vs recall", &d.context_line())?;
    let items = series_legend(d);
    let area = layout::plot_area_above_legend(canvas, &items, top, (w, h))?;

    let pts: Vec<Pt> = d
        .entries
        .iter()
        .map(|e| {
            let (r, p) = (e.metric("recall"), e.metric("precision"));
            let s = &d.series[e.series];
            Pt {
                x: r.stat.mean,
                x_ci: Some((r.lo, r.hi)),
                y: p.stat.mean,
                y_ci: Some((p.lo, p.hi)),
                color: s.color,
                marker: s.marker,
                label: e.label.clone(),
            }
        })
        .collect();
    let (x, y) = ci_axes(&pts);
    panel(
        canvas,
        &area,
        &x,
        &y,
        "recall (share of gold characters retrieved)",
        "precision (share of retrieved characters that are gold)",
        None,
        &pts,
    )
}

/// Linear axes covering the points and their intervals, within [0, 1].
pub fn ci_axes(pts: &[Pt]) -> (Axis, Axis) {
    let ext = |v: &dyn Fn(&Pt) -> (f64, f64)| {
        pts.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                let (lo, hi) = v(p);
                (a.min(lo), b.max(hi))
            })
    };
    let (x0, x1) = ext(&|p| p.x_ci.unwrap_or((p.x, p.x)));
    let (y0, y1) = ext(&|p| p.y_ci.unwrap_or((p.y, p.y)));
    (
        Axis::linear(x0, x1, 0.08, Some((0.0, 1.0)), false),
        Axis::linear(y0, y1, 0.08, Some((0.0, 1.0)), false),
    )
}
