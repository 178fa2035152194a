//! Quality against cost: IoU and recall (rows) against the cl100k tokens embedded to index the
//! corpus and, when `timings.json` is known, against chunking CPU time (columns).

use plotters::prelude::*;

use super::axis::Axis;
use super::data::{headline, Data};
use super::layout::{self, Area, DrawResult};
use super::scatter::{self, Pt};

pub const SIZE: (u32, u32) = (800, 760);

pub fn draw<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
    let top = layout::header(canvas, "Retrieval quality vs cost", &d.context_line())?;
    let items = scatter::series_legend(d);
    let area = layout::plot_area_above_legend(canvas, &items, top, (w, h))?;

    type CostOf = fn(&super::data::Entry) -> f64;
    let mut columns: Vec<(&str, CostOf, bool)> = vec![(
        "embedding cost (cl100k tokens embedded)",
        |e| e.s.chunks.total_tokens as f64,
        false,
    )];
    if d.has_timings {
        columns.push((
            "chunking CPU time (s)",
            |e| e.chunk_seconds.unwrap_or(0.0),
            true,
        ));
    }
    let cells = area.split_evenly((2, columns.len()));
    for (row, m) in headline().into_iter().enumerate() {
        let (metric, label) = (m.name, &m.title());
        for (col, (x_desc, cost, may_log)) in columns.iter().enumerate() {
            let pts: Vec<Pt> = d
                .entries
                .iter()
                .map(|e| {
                    let m = e.metric(metric);
                    let s = &d.series[e.series];
                    Pt {
                        x: cost(e),
                        x_ci: None,
                        y: m.stat.mean,
                        y_ci: Some((m.lo, m.hi)),
                        color: s.color,
                        marker: s.marker,
                        label: e.label.clone(),
                    }
                })
                .collect();
            let (_, y) = scatter::ci_axes(&pts);
            let (min, max) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
                (a.min(p.x), b.max(p.x))
            });
            let x = if *may_log && min > 0.0 && max / min > 20.0 {
                Axis::log(min, max, 0.08)
            } else {
                Axis::linear(min, max, 0.12, Some((0.0, f64::INFINITY)), false)
            };
            let title = format!(
                "{label} vs {}",
                if col == 0 {
                    "tokens embedded"
                } else {
                    "chunking time"
                }
            );
            scatter::panel(
                canvas,
                &cells[row * columns.len() + col],
                &x,
                &y,
                x_desc,
                "mean over questions",
                Some(&title),
                &pts,
            )?;
        }
    }
    Ok(())
}
