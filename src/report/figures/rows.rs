//! Pieces of the horizontal row charts (`per-corpus`, `answer-quality`): one row per item, a
//! value axis along x, alternate rows banded, labels on the left, interval whiskers.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axis::Axis;
use super::layout::{self, Area, Chart, DrawResult};
use super::style;

/// A panel of `rows` rows over the value axis `x`: titled, every other row on a light band, the
/// x axis described by `desc` with at most `labels` tick labels, `gap` pixels free on its right.
pub fn panel<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    x: &Axis,
    rows: usize,
    title: &str,
    desc: &str,
    labels: usize,
    gap: i32,
) -> DrawResult<Chart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let n = rows as f64;
    let mut chart = ChartBuilder::on(area)
        .margin_right(gap)
        .margin_top(6)
        .x_label_area_size(50)
        .y_label_area_size(4)
        .caption(title, style::panel_title_style())
        .build_cartesian_2d(
            x.coord(),
            Axis {
                log: false,
                range: 0.0..n,
                ticks: Vec::new(),
            }
            .coord(),
        )?;
    // Every other row on a light band, so the eye keeps to its row.
    for ri in (1..rows).step_by(2) {
        let y0 = n - ri as f64 - 1.0;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x.range.start, y0), (x.range.end, y0 + 1.0)],
            RGBColor(0xF3, 0xF3, 0xF3).filled(),
        )))?;
    }
    let xf = |v: &f64| x.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x.ticks.len().clamp(1, labels))
        .x_label_formatter(&xf)
        .x_desc(desc);
    layout::house_mesh(&mut mesh).draw()?;
    Ok(chart)
}

/// The vertical centre of row `ri` of `rows` (row 0 on top), in chart coordinates.
pub fn centre(rows: usize, ri: usize) -> f64 {
    rows as f64 - ri as f64 - 0.5
}

/// An interval whisker from `lo` to `hi` at height `y`, with end caps of half-height `cap`.
pub fn whisker<DB: DrawingBackend>(
    canvas: &Area<DB>,
    chart: &Chart<'_, DB>,
    (lo, hi): (f64, f64),
    y: f64,
    cap: i32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let a = chart.backend_coord(&(lo, y));
    let b = chart.backend_coord(&(hi, y));
    let ink = style::INK.mix(0.8);
    canvas.draw(&PathElement::new(vec![a, b], ink.stroke_width(1)))?;
    for p in [a, b] {
        canvas.draw(&PathElement::new(
            vec![(p.0, p.1 - cap), (p.0, p.1 + cap)],
            ink.stroke_width(1),
        ))?;
    }
    Ok(())
}

/// Width of the label column for `labels`: the widest, at most `max` pixels, plus a gap.
pub fn label_width<DB: DrawingBackend>(canvas: &Area<DB>, labels: &[&str], max: i32) -> i32 {
    let tick = style::tick_style();
    labels
        .iter()
        .map(|l| style::measure(canvas, l, &tick).0)
        .max()
        .unwrap_or(40)
        .min(max)
        + 10
}

/// Draws a row's label right-aligned in the label column at the height of row `ri`.
pub fn label<DB: DrawingBackend>(
    canvas: &Area<DB>,
    chart: &Chart<'_, DB>,
    column: &Area<DB>,
    width: i32,
    (rows, ri): (usize, usize),
    text: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let tick = style::tick_style();
    let (_, cy) = chart.backend_coord(&(0.0, centre(rows, ri)));
    let (lx, _) = column.get_base_pixel();
    let name = style::fit(canvas, text, &tick, width - 10);
    canvas.draw(&Text::new(
        name,
        (lx + width - 6, cy),
        style::anchored(tick, HPos::Right, VPos::Center),
    ))?;
    Ok(())
}
