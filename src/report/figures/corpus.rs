//! IoU and recall per corpus as horizontal grouped bars: one row per corpus, one bar per strategy
//! (the six with the highest IoU over all questions, so the bars stay readable), whiskers for the
//! 95% intervals.

use plotters::prelude::*;

use super::axis::Axis;
use super::data::{headline, Data, Entry};
use super::layout::{self, Area, DrawResult, Key, LegendItem, MARGIN};
use super::{rows as row_chart, style};

/// Strategies shown at most.
const MAX_BARS: usize = 6;
const WIDTH: u32 = 800;

/// The strategies drawn: the best by IoU over all questions, best first.
fn chosen<'d, 'a>(d: &'d Data<'a>) -> Vec<&'d Entry<'a>> {
    let mut v: Vec<&Entry> = d.entries.iter().collect();
    v.sort_by(|a, b| {
        b.metric("iou")
            .stat
            .mean
            .total_cmp(&a.metric("iou").stat.mean)
            .then(a.s.name.cmp(&b.s.name))
    });
    v.truncate(MAX_BARS);
    v
}

fn corpora(d: &Data) -> Vec<String> {
    d.r.dataset
        .corpora
        .iter()
        .filter(|c| {
            d.entries
                .iter()
                .any(|e| e.s.summary.iter().any(|g| &g.corpus == *c))
        })
        .cloned()
        .collect()
}

fn bar_h(n: usize) -> i32 {
    if n > 3 {
        9
    } else {
        13
    }
}

/// Height grows with corpora × strategies.
pub fn size(d: &Data) -> (u32, u32) {
    let n = chosen(d).len().max(1) as i32;
    let rows = corpora(d).len().max(1) as i32;
    let group = n * bar_h(n as usize) + 12;
    let legend_rows = 1 + chosen(d)
        .iter()
        .map(|e| e.s.name.chars().count() as i32 * 8 + 60)
        .sum::<i32>()
        / (WIDTH as i32 - 2 * MARGIN);
    (
        WIDTH,
        (100 + rows * group + 60 + legend_rows * 22 + 30) as u32,
    )
}

pub fn draw<DB: DrawingBackend>(canvas: &Area<DB>, d: &Data) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = canvas.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let top = layout::header(canvas, "Retrieval quality per corpus", &d.context_line())?;
    let bars = chosen(d);
    let rows = corpora(d);
    let mut items = vec![LegendItem {
        label: if bars.len() < d.entries.len() {
            format!(
                "best {} of {} strategies by IoU:",
                bars.len(),
                d.entries.len()
            )
        } else {
            "strategies, best IoU first:".into()
        },
        color: style::MUTED,
        key: Key::None,
    }];
    items.extend(bars.iter().enumerate().map(|(i, e)| LegendItem {
        label: e.s.name.clone(),
        color: style::color(i),
        key: Key::Swatch,
    }));
    // A tall figure: the legend goes on top, where a reader starts.
    let legend_h = layout::legend(canvas, &items, (MARGIN + 4, top), w - 2 * MARGIN, true)?;
    let top = top + legend_h + 4;
    let bottom = h - MARGIN;

    let label_names: Vec<&str> = rows.iter().map(String::as_str).collect();
    let label_w = row_chart::label_width(canvas, &label_names, w * 2 / 5);
    let area = canvas
        .clone()
        .shrink((MARGIN / 2, top), (w - MARGIN, bottom - top));
    let (labels_area, rest) = area.split_horizontally(label_w);
    let panels = rest.split_evenly((1, 2));
    let n_rows = rows.len() as f64;
    let n = bars.len().max(1) as f64;
    let pad = 0.1;
    let bh = (1.0 - 2.0 * pad) / n;
    for (pi, (panel, m)) in panels.iter().zip(headline()).enumerate() {
        let (metric, title, desc) = (m.name, &m.title(), m.label);
        let hi = bars
            .iter()
            .flat_map(|e| e.s.summary.iter().map(move |g| (e, g)))
            .filter(|(_, g)| rows.contains(&g.corpus))
            .map(|(_, g)| g.metric(metric).hi)
            .fold(0.0, f64::max);
        let x = Axis::linear(0.0, hi, 0.04, Some((0.0, 1.0)), true);
        let chart = row_chart::panel(
            panel,
            &x,
            rows.len(),
            title,
            &format!("mean {desc} over the corpus's questions"),
            x.ticks.len(),
            14,
        )?;
        for (ri, corpus) in rows.iter().enumerate() {
            let row_top = n_rows - ri as f64 - pad;
            for (bi, e) in bars.iter().enumerate() {
                let Some(g) = e.s.summary.iter().find(|g| &g.corpus == corpus) else {
                    continue;
                };
                if g.metrics.is_empty() {
                    continue;
                }
                let m = g.metric(metric);
                let (y1, y0) = (row_top - bi as f64 * bh, row_top - (bi + 1) as f64 * bh);
                let c = style::color(bi);
                chart.plotting_area().draw(&Rectangle::new(
                    [(0.0, y0 + bh * 0.08), (m.stat.mean, y1 - bh * 0.08)],
                    c.filled(),
                ))?;
                row_chart::whisker(canvas, &chart, (m.lo, m.hi), (y0 + y1) / 2.0, 2)?;
            }
            if pi == 0 {
                row_chart::label(
                    canvas,
                    &chart,
                    &labels_area,
                    label_w,
                    (rows.len(), ri),
                    corpus,
                )?;
            }
        }
    }
    Ok(())
}
