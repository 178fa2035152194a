//! IoU and recall per corpus as horizontal grouped bars: one row per corpus, one bar per strategy
//! (the six with the highest IoU over all questions, so the bars stay readable), whiskers for the
//! 95% intervals.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axis::Axis;
use super::data::{Data, Entry};
use super::layout::{self, Area, DrawResult, Key, LegendItem, MARGIN};
use super::style;

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

    let tick = style::tick_style();
    let label_w = rows
        .iter()
        .map(|c| style::measure(canvas, c, &tick).0)
        .max()
        .unwrap_or(40)
        .min(w * 2 / 5)
        + 10;
    let area = canvas
        .clone()
        .shrink((MARGIN / 2, top), (w - MARGIN, bottom - top));
    let (labels_area, rest) = area.split_horizontally(label_w);
    let panels = rest.split_evenly((1, 2));
    let n_rows = rows.len() as f64;
    let n = bars.len().max(1) as f64;
    let pad = 0.1;
    let bh = (1.0 - 2.0 * pad) / n;
    for (pi, (panel, (metric, title, desc))) in panels
        .iter()
        .zip([("iou", "IoU", "IoU"), ("recall", "Recall", "recall")])
        .enumerate()
    {
        let hi = bars
            .iter()
            .flat_map(|e| e.s.summary.iter().map(move |g| (e, g)))
            .filter(|(_, g)| rows.contains(&g.corpus))
            .map(|(_, g)| g.metric(metric).hi)
            .fold(0.0, f64::max);
        let x = Axis::linear(0.0, hi, 0.04, Some((0.0, 1.0)), true);
        let mut chart = ChartBuilder::on(panel)
            .margin_right(14)
            .margin_top(6)
            .x_label_area_size(50)
            .y_label_area_size(4)
            .caption(title, style::panel_title_style())
            .build_cartesian_2d(
                x.coord(),
                Axis {
                    log: false,
                    range: 0.0..n_rows,
                    ticks: Vec::new(),
                }
                .coord(),
            )?;
        // Every other corpus on a light band, so the eye keeps to its row.
        for ri in (1..rows.len()).step_by(2) {
            let y0 = n_rows - ri as f64 - 1.0;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x.range.start, y0), (x.range.end, y0 + 1.0)],
                RGBColor(0xF3, 0xF3, 0xF3).filled(),
            )))?;
        }
        let xf = |v: &f64| x.label(*v);
        chart
            .configure_mesh()
            .x_labels(x.ticks.len().max(1))
            .x_label_formatter(&xf)
            .x_desc(format!("mean {desc} over the corpus's questions"))
            .axis_desc_style(style::axis_desc_style())
            .label_style(tick.clone())
            .bold_line_style(style::GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(style::AXIS.stroke_width(1))
            .set_all_tick_mark_size(4)
            .draw()?;
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
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y0 + bh * 0.08), (m.stat.mean, y1 - bh * 0.08)],
                    c.filled(),
                )))?;
                let yc = (y0 + y1) / 2.0;
                let a = chart.backend_coord(&(m.lo, yc));
                let b = chart.backend_coord(&(m.hi, yc));
                let ink = style::INK.mix(0.8);
                canvas.draw(&PathElement::new(vec![a, b], ink.stroke_width(1)))?;
                for p in [a, b] {
                    canvas.draw(&PathElement::new(
                        vec![(p.0, p.1 - 2), (p.0, p.1 + 2)],
                        ink.stroke_width(1),
                    ))?;
                }
            }
            if pi == 0 {
                let (_, cy) = chart.backend_coord(&(0.0, n_rows - ri as f64 - 0.5));
                let (lx, _) = labels_area.get_base_pixel();
                let name = style::fit(canvas, corpus, &tick, label_w - 10);
                canvas.draw(&Text::new(
                    name,
                    (lx + label_w - 6, cy),
                    style::anchored(tick.clone(), HPos::Right, VPos::Center),
                ))?;
            }
        }
    }
    Ok(())
}
