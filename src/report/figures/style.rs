//! The look shared by every figure: the embedded font, the Okabe–Ito palette, marker shapes, text
//! styles, and small drawing helpers in pixel coordinates.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The family written into SVG text (viewers without DejaVu Sans fall back to their sans-serif)
/// and the name the embedded font is registered under for measuring and drawing PNG text.
pub const FONT: &str = "DejaVu Sans, sans-serif";

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-subset.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold-subset.ttf");

/// Registers the embedded fonts with plotters (once per process).
pub fn register_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ok = plotters::style::register_font(FONT, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, BOLD).is_ok();
        assert!(ok, "the embedded DejaVu Sans fonts parse");
    });
}

/// The embedded fonts for drawing PNG text (regular, bold).
pub fn font_refs() -> (ab_glyph::FontRef<'static>, ab_glyph::FontRef<'static>) {
    let parse =
        |b: &'static [u8]| ab_glyph::FontRef::try_from_slice(b).expect("embedded font parses");
    (parse(REGULAR), parse(BOLD))
}

/// Okabe & Ito's colour-blind-safe palette, most distinguishable first (yellow, weak on white,
/// last).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// The colour of series or bar `i` (the palette repeats after eight; markers tell repeats apart).
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Marker shapes, so that series differ in shape as well as colour (and survive greyscale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
}

const MARKERS: [Marker; 5] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
];

/// The marker of series `i`: cycles faster than the palette, so colour × shape pairs stay unique
/// for 40 series.
pub fn marker(i: usize) -> Marker {
    MARKERS[(i + i / PALETTE.len()) % MARKERS.len()]
}

/// Half the width of a marker, in pixels.
pub const MARKER_R: i32 = 5;

/// Draws `m` centred on the pixel `(x, y)` of `area`.
pub fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    m: Marker,
    (x, y): (i32, i32),
    c: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let r = MARKER_R;
    let fill = c.filled();
    let edge = WHITE.stroke_width(1);
    let poly = |pts: Vec<(i32, i32)>| -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.draw(&Polygon::new(pts.clone(), fill))?;
        let mut closed = pts;
        closed.push(closed[0]);
        area.draw(&PathElement::new(closed, edge))
    };
    match m {
        Marker::Circle => {
            area.draw(&Circle::new((x, y), r, fill))?;
            area.draw(&Circle::new((x, y), r, edge))
        }
        Marker::Square => {
            let s = r - 1;
            poly(vec![
                (x - s, y - s),
                (x + s, y - s),
                (x + s, y + s),
                (x - s, y + s),
            ])
        }
        Marker::TriangleUp => poly(vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)]),
        Marker::TriangleDown => poly(vec![(x, y + r + 1), (x + r + 1, y - r), (x - r - 1, y - r)]),
        Marker::Diamond => poly(vec![
            (x, y - r - 1),
            (x + r + 1, y),
            (x, y + r + 1),
            (x - r - 1, y),
        ]),
    }
}

/// A text style of the figures' font.
pub fn text(size: f64, c: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&c)
}

/// A bold text style.
pub fn bold(size: f64, c: RGBColor) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold).into_font().color(&c)
}

pub fn title_style() -> TextStyle<'static> {
    bold(21.0, INK)
}
pub fn subtitle_style() -> TextStyle<'static> {
    text(14.0, MUTED)
}
pub fn panel_title_style() -> TextStyle<'static> {
    bold(15.0, INK)
}
pub fn axis_desc_style() -> TextStyle<'static> {
    text(15.0, INK)
}
pub fn tick_style() -> TextStyle<'static> {
    text(13.0, INK)
}
pub fn legend_style() -> TextStyle<'static> {
    text(14.0, INK)
}
pub fn point_label_style() -> TextStyle<'static> {
    text(12.0, INK)
}

/// `style` anchored at `(h, v)`.
pub fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Width and height of `s` in pixels as `style` draws it.
pub fn measure<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    s: &str,
    style: &TextStyle,
) -> (i32, i32) {
    area.estimate_text_size(s, style)
        .map(|(w, h)| (w as i32, h as i32))
        .unwrap_or((s.chars().count() as i32 * 8, 14))
}

/// `s`, shortened with "…" until it is at most `max_w` pixels wide.
pub fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    s: &str,
    style: &TextStyle,
    max_w: i32,
) -> String {
    if measure(area, s, style).0 <= max_w {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let t: String = chars[..n].iter().collect::<String>() + "…";
        if measure(area, &t, style).0 <= max_w {
            return t;
        }
    }
    "…".into()
}
