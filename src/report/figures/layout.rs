//! Layout pieces every figure uses: the title block, legends in their own strip (never over
//! data), panels (a chart with axes and grid), and collision-avoiding point labels.

use plotters::chart::MeshStyle;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axis::{Axis, TickCoord};
use super::style::{self, Marker};

pub type Area<DB> = DrawingArea<DB, Shift>;
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickCoord, TickCoord>>;
pub type DrawResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Outer margin of every figure, in pixels.
pub const MARGIN: i32 = 16;

/// Draws the left-aligned title and the grey context line under it; returns the y where content
/// may start.
pub fn header<DB: DrawingBackend>(canvas: &Area<DB>, title: &str, subtitle: &str) -> DrawResult<i32>
where
    DB::ErrorType: 'static,
{
    let (w, _) = canvas.dim_in_pixel();
    let max_w = w as i32 - 2 * MARGIN;
    let t = style::title_style();
    let title = style::fit(canvas, title, &t, max_w);
    canvas.draw(&Text::new(title.as_str(), (MARGIN, MARGIN), t.clone()))?;
    let (_, th) = style::measure(canvas, &title, &t);
    let s = style::subtitle_style();
    let sub = style::fit(canvas, subtitle, &s, max_w);
    let y = MARGIN + th + 8;
    canvas.draw(&Text::new(sub.as_str(), (MARGIN, y), s.clone()))?;
    let (_, sh) = style::measure(canvas, &sub, &s);
    Ok(y + sh + 10)
}

/// One legend entry: a marker, a line, or a filled swatch, then its text.
pub struct LegendItem {
    pub label: String,
    pub color: RGBColor,
    pub key: Key,
}

#[derive(Clone, Copy)]
pub enum Key {
    /// A marker on a short line (a series of joined points).
    Line(Marker),
    /// A marker alone.
    Point(Marker),
    /// A filled square (a bar).
    Swatch,
    /// Text only (a note).
    None,
}

const KEY_W: i32 = 28;

/// Lays legend items out left to right, wrapping at `max_w`; draws them when `draw`. Returns the
/// height used.
/// Draws `items` as a legend strip along the bottom of `canvas` and returns the area left for the
/// plot between `top` and the legend. `(w, h)` is the canvas size in pixels.
pub fn plot_area_above_legend<DB: DrawingBackend>(
    canvas: &Area<DB>,
    items: &[LegendItem],
    top: i32,
    (w, h): (i32, i32),
) -> DrawResult<Area<DB>>
where
    DB::ErrorType: 'static,
{
    let legend_h = legend(canvas, items, (MARGIN, 0), w - 2 * MARGIN, false)?;
    let bottom = h - MARGIN - legend_h;
    legend(
        canvas,
        items,
        (MARGIN + 4, bottom + 4),
        w - 2 * MARGIN,
        true,
    )?;
    Ok(canvas
        .clone()
        .shrink((MARGIN / 2, top), (w - MARGIN, bottom - top)))
}

pub fn legend<DB: DrawingBackend>(
    canvas: &Area<DB>,
    items: &[LegendItem],
    (x0, y0): (i32, i32),
    max_w: i32,
    draw: bool,
) -> DrawResult<i32>
where
    DB::ErrorType: 'static,
{
    let st = style::legend_style();
    let row_h = 22;
    let (mut x, mut y) = (x0, y0);
    for item in items {
        let key_w = if matches!(item.key, Key::None) {
            0
        } else {
            KEY_W + 6
        };
        let label = style::fit(canvas, &item.label, &st, max_w - key_w);
        let (tw, _) = style::measure(canvas, &label, &st);
        let w = key_w + tw;
        if x > x0 && x + w > x0 + max_w {
            x = x0;
            y += row_h;
        }
        if draw {
            let cy = y + row_h / 2;
            match item.key {
                Key::Line(m) => {
                    canvas.draw(&PathElement::new(
                        vec![(x, cy), (x + KEY_W, cy)],
                        item.color.stroke_width(2),
                    ))?;
                    style::draw_marker(canvas, m, (x + KEY_W / 2, cy), item.color)?;
                }
                Key::Point(m) => style::draw_marker(canvas, m, (x + KEY_W / 2, cy), item.color)?,
                Key::Swatch => canvas.draw(&Rectangle::new(
                    [(x + 4, cy - 7), (x + KEY_W - 4, cy + 7)],
                    item.color.filled(),
                ))?,
                Key::None => {}
            }
            canvas.draw(&Text::new(
                label.as_str(),
                (x + key_w, cy),
                style::anchored(st.clone(), HPos::Left, VPos::Center),
            ))?;
        }
        x += w + 22;
    }
    Ok(y + row_h - y0)
}

/// Builds a chart in `area` on the axes `x` and `y`, with grid lines at the ticks, tick labels
/// and axis descriptions, and an optional bold panel title above it.
pub fn panel<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    x: &Axis,
    y: &Axis,
    x_desc: &str,
    y_desc: &str,
    title: Option<&str>,
) -> DrawResult<Chart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let ticks = style::tick_style();
    let y_tick_w = y
        .ticks
        .iter()
        .map(|t| style::measure(area, &t.1, &ticks).0)
        .max()
        .unwrap_or(20);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_right(14)
        .margin_top(if title.is_some() { 6 } else { 10 })
        .x_label_area_size(50)
        .y_label_area_size(y_tick_w + 36);
    if let Some(t) = title {
        builder.caption(t, style::panel_title_style());
    }
    let mut chart = builder.build_cartesian_2d(x.coord(), y.coord())?;
    let xf = |v: &f64| x.label(*v);
    let yf = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x.ticks.len().max(1))
        .y_labels(y.ticks.len().max(1))
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .x_desc(x_desc)
        .y_desc(y_desc);
    house_mesh(&mut mesh).draw()?;
    Ok(chart)
}

/// The house style of every mesh: grid lines at the ticks only, muted axes, short tick marks.
pub fn house_mesh<'a, 'b, 'm, DB: DrawingBackend>(
    m: &'m mut MeshStyle<'a, 'b, TickCoord, TickCoord, DB>,
) -> &'m mut MeshStyle<'a, 'b, TickCoord, TickCoord, DB> {
    m.axis_desc_style(style::axis_desc_style())
        .label_style(style::tick_style())
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(style::AXIS.stroke_width(1))
        .set_all_tick_mark_size(4)
}

/// A pixel rectangle.
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn around((x, y): (i32, i32), r: i32) -> Rect {
        Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }

    fn overlap(&self, o: &Rect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0) as i64;
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0) as i64;
        w * h
    }

    fn outside(&self, b: &Rect) -> i64 {
        let area = ((self.x1 - self.x0) * (self.y1 - self.y0)) as i64;
        area - self.overlap(b)
    }
}

/// Where a point's label goes: its top-left corner, and whether it sits away from the point (then
/// a thin leader line joins them).
pub struct Placed {
    pub at: (i32, i32),
    pub leader: bool,
}

/// Places one label per point (pixel positions `points`, label sizes `sizes`) inside `bounds`,
/// avoiding the markers, the labels already placed and the `soft` obstacles (whiskers, lines) —
/// greedily, nearest candidate position first. Deterministic.
pub fn place_labels(
    points: &[(i32, i32)],
    sizes: &[(i32, i32)],
    bounds: Rect,
    soft: &[Rect],
) -> Vec<Placed> {
    let r = style::MARKER_R + 1;
    let markers: Vec<Rect> = points.iter().map(|&p| Rect::around(p, r)).collect();
    let mut placed: Vec<Rect> = Vec::new();
    // Label the most crowded points first: they have the fewest free spots.
    let mut order: Vec<usize> = (0..points.len()).collect();
    let crowd = |i: usize| {
        points
            .iter()
            .filter(|q| (q.0 - points[i].0).abs() < 40 && (q.1 - points[i].1).abs() < 20)
            .count()
    };
    order.sort_by_key(|&i| (std::cmp::Reverse(crowd(i)), i));
    let mut result: Vec<Option<Placed>> = (0..points.len()).map(|_| None).collect();
    for i in order {
        let (px, py) = points[i];
        let (w, h) = sizes[i];
        let mut best: Option<(i64, Rect, bool)> = None;
        'rings: for (ring, gap) in [(0i64, 3), (1, 12), (2, 24), (3, 40), (4, 60), (5, 85)] {
            let g = r + gap;
            // Beside, above, below, then the diagonals; further rings add in-between angles.
            let mut candidates = vec![
                (px + g, py - h / 2),
                (px - g - w, py - h / 2),
                (px - w / 2, py - g - h),
                (px - w / 2, py + g),
                (px + g - 2, py - g - h + 4),
                (px + g - 2, py + g - 4),
                (px - g - w + 2, py - g - h + 4),
                (px - g - w + 2, py + g - 4),
            ];
            if ring > 0 {
                for k in [-4, -3, -2, -1, 1, 2, 3, 4] {
                    let dy = k * (h + 2);
                    candidates.push((px + g, py - h / 2 + dy));
                    candidates.push((px - g - w, py - h / 2 + dy));
                }
            }
            for (x, y) in candidates {
                let rect = Rect {
                    x0: x - 1,
                    y0: y - 1,
                    x1: x + w + 1,
                    y1: y + h + 1,
                };
                let hard: i64 = markers.iter().map(|m| m.overlap(&rect)).sum::<i64>()
                    + placed.iter().map(|m| m.overlap(&rect)).sum::<i64>()
                    + rect.outside(&bounds) * 4;
                let softs: i64 = soft.iter().map(|m| m.overlap(&rect)).sum();
                let score = hard * 1000 + softs + ring * 40;
                if best.as_ref().is_none_or(|b| score < b.0) {
                    best = Some((score, rect, ring > 0));
                }
                if hard == 0 && softs == 0 {
                    break 'rings;
                }
            }
            if best.as_ref().is_some_and(|b| b.0 <= (ring + 1) * 40) {
                break;
            }
        }
        let (_, rect, leader) = best.expect("candidates");
        placed.push(rect);
        result[i] = Some(Placed {
            at: (rect.x0 + 1, rect.y0 + 1),
            leader,
        });
    }
    result
        .into_iter()
        .map(|p| p.expect("every point placed"))
        .collect()
}

/// Draws labelled points: whiskers (pixel segments, drawn first), markers, then labels placed by
/// [`place_labels`] within `bounds`.
pub struct LabelledPoint {
    pub at: (i32, i32),
    pub color: RGBColor,
    pub marker: Marker,
    pub label: String,
    pub whiskers: Vec<((i32, i32), (i32, i32))>,
}

pub fn draw_points<DB: DrawingBackend>(
    canvas: &Area<DB>,
    points: &[LabelledPoint],
    bounds: Rect,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let st = style::point_label_style();
    let mut soft = Vec::new();
    for p in points {
        for &(a, b) in &p.whiskers {
            let faded = p.color.mix(0.75);
            canvas.draw(&PathElement::new(vec![a, b], faded.stroke_width(1)))?;
            // caps
            if a.0 == b.0 {
                for y in [a.1, b.1] {
                    canvas.draw(&PathElement::new(
                        vec![(a.0 - 3, y), (a.0 + 3, y)],
                        faded.stroke_width(1),
                    ))?;
                }
            } else {
                for x in [a.0, b.0] {
                    canvas.draw(&PathElement::new(
                        vec![(x, a.1 - 3), (x, a.1 + 3)],
                        faded.stroke_width(1),
                    ))?;
                }
            }
            soft.push(Rect {
                x0: a.0.min(b.0) - 1,
                y0: a.1.min(b.1) - 1,
                x1: a.0.max(b.0) + 1,
                y1: a.1.max(b.1) + 1,
            });
        }
    }
    for p in points {
        style::draw_marker(canvas, p.marker, p.at, p.color)?;
    }
    let sizes: Vec<(i32, i32)> = points
        .iter()
        .map(|p| style::measure(canvas, &p.label, &st))
        .collect();
    let at: Vec<(i32, i32)> = points.iter().map(|p| p.at).collect();
    let placed = place_labels(&at, &sizes, bounds, &soft);
    for ((p, pl), (w, h)) in points.iter().zip(&placed).zip(&sizes) {
        if pl.leader {
            let (cx, cy) = (pl.at.0 + w / 2, pl.at.1 + h / 2);
            let tx = cx.clamp(pl.at.0, pl.at.0 + w);
            let ty = if p.at.1 < pl.at.1 {
                pl.at.1
            } else if p.at.1 > pl.at.1 + h {
                pl.at.1 + h
            } else {
                cy
            };
            let tx = if p.at.0 < pl.at.0 {
                pl.at.0
            } else if p.at.0 > pl.at.0 + w {
                pl.at.0 + w
            } else {
                tx
            };
            canvas.draw(&PathElement::new(
                vec![p.at, (tx, ty)],
                style::MUTED.mix(0.6).stroke_width(1),
            ))?;
        }
        canvas.draw(&Text::new(p.label.as_str(), pl.at, st.clone()))?;
    }
    Ok(())
}

/// The pixel rectangle of a chart's plotting area.
pub fn plot_rect<DB: DrawingBackend>(chart: &Chart<'_, DB>) -> Rect {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    Rect {
        x0: xr.start,
        y0: yr.start,
        x1: xr.end,
        y1: yr.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.overlap(b) > 0
    }

    #[test]
    fn labels_of_a_tight_column_do_not_collide() {
        // Ten points stacked 6 px apart (the cost figure's typical cluster).
        let points: Vec<(i32, i32)> = (0..10).map(|i| (200, 100 + 6 * i)).collect();
        let sizes = vec![(22, 12); 10];
        let bounds = Rect {
            x0: 0,
            y0: 0,
            x1: 400,
            y1: 300,
        };
        let placed = place_labels(&points, &sizes, bounds, &[]);
        let rects: Vec<Rect> = placed
            .iter()
            .zip(&sizes)
            .map(|(p, (w, h))| Rect {
                x0: p.at.0,
                y0: p.at.1,
                x1: p.at.0 + w,
                y1: p.at.1 + h,
            })
            .collect();
        for (i, a) in rects.iter().enumerate() {
            assert!(
                a.x0 >= 0 && a.x1 <= 400 && a.y0 >= 0 && a.y1 <= 300,
                "{a:?} out of bounds"
            );
            for b in &rects[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} overlaps {b:?}");
            }
            for p in &points {
                assert!(
                    !overlaps(a, &Rect::around(*p, style::MARKER_R)),
                    "{a:?} covers {p:?}"
                );
            }
        }
    }

    #[test]
    fn a_lone_point_is_labelled_beside_it() {
        let placed = place_labels(
            &[(50, 50)],
            &[(20, 10)],
            Rect {
                x0: 0,
                y0: 0,
                x1: 200,
                y1: 200,
            },
            &[],
        );
        assert!(!placed[0].leader);
        assert!(
            placed[0].at.0 > 50 && (placed[0].at.1 - 45).abs() <= 1,
            "{:?}",
            placed[0].at
        );
    }
}
