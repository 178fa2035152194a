//! Figures of a run, drawn with plotters as SVG and PNG into `<run dir>/figures/`:
//!
//! - `metric-vs-size`: IoU and recall against mean chunk size, one line per strategy family;
//! - `metric-vs-size-by-retriever` (runs with more than the default retrieval setup): the same,
//!   a row of panels per setup;
//! - `precision-vs-recall`: one labelled point per strategy, with interval whiskers;
//! - `per-corpus`: IoU and recall per corpus, one bar per strategy (the best six by IoU);
//! - `quality-vs-cost`: IoU and recall against embedding tokens and, with `timings.json`, against
//!   chunking CPU time;
//! - `answer-quality` (only when the run computed a model-based answer metric): answer support
//!   and each measured answer metric per strategy, with 95% intervals.
//!
//! Every figure is 800 px wide (blog width), titled, with axis units, a legend outside the data,
//! the Okabe–Ito palette and marker shapes per series. Text is measured and (in PNGs) drawn with
//! the embedded DejaVu Sans, so output is the same on every machine: the same results (and
//! timings) give the same bytes.

mod answers;
mod axis;
mod corpus;
mod cost;
mod data;
mod layout;
mod raster;
mod rows;
mod scatter;
mod size;
mod style;
#[cfg(test)]
mod tests;

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::results::{RunResults, Timings};
use data::Data;
use layout::{Area, DrawResult};

/// The figures, in the order they are written and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MetricVsSize,
    MetricVsSizeBySetup,
    PrecisionVsRecall,
    PerCorpus,
    QualityVsCost,
    AnswerQuality,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::MetricVsSize,
        Kind::MetricVsSizeBySetup,
        Kind::PrecisionVsRecall,
        Kind::PerCorpus,
        Kind::QualityVsCost,
        Kind::AnswerQuality,
    ];

    /// Whether the run has what this figure draws.
    fn applies(self, d: &Data) -> bool {
        match self {
            Kind::AnswerQuality => !answers::metrics(d).is_empty(),
            Kind::MetricVsSizeBySetup => !d.setups().is_empty(),
            _ => true,
        }
    }

    /// The file stem (`figures/<stem>.svg`, `.png`).
    pub fn stem(self) -> &'static str {
        match self {
            Kind::MetricVsSize => "metric-vs-size",
            Kind::MetricVsSizeBySetup => "metric-vs-size-by-retriever",
            Kind::PrecisionVsRecall => "precision-vs-recall",
            Kind::PerCorpus => "per-corpus",
            Kind::QualityVsCost => "quality-vs-cost",
            Kind::AnswerQuality => "answer-quality",
        }
    }

    /// A one-line caption (for the HTML report).
    pub fn caption(self) -> &'static str {
        match self {
            Kind::MetricVsSize => "IoU and recall against mean chunk size; one line per strategy family and fixed parameters, shaded band: 95% bootstrap interval.",
            Kind::MetricVsSizeBySetup => "IoU and recall against mean chunk size under each retrieval setup (one row each, shared axes); one line per strategy family, shaded band: 95% bootstrap interval.",
            Kind::PrecisionVsRecall => "Precision against recall over all questions; one point per strategy, labelled with its chunk size, whiskers: 95% bootstrap intervals.",
            Kind::PerCorpus => "IoU and recall per corpus for the strategies with the highest IoU over all questions; whiskers: 95% bootstrap intervals.",
            Kind::QualityVsCost => "IoU and recall against what a strategy costs: cl100k tokens embedded to index the corpus and, when timings.json is present, chunking CPU time.",
            Kind::AnswerQuality => "Answer support and the model-based answer metrics per strategy (the models are named in the metadata); dot: mean, whisker: 95% bootstrap interval.",
        }
    }

    fn size(self, d: &Data) -> (u32, u32) {
        match self {
            Kind::MetricVsSize => size::SIZE,
            Kind::MetricVsSizeBySetup => size::by_setup_size(d),
            Kind::PrecisionVsRecall => scatter::SIZE,
            Kind::PerCorpus => corpus::size(d),
            Kind::QualityVsCost => cost::SIZE,
            Kind::AnswerQuality => answers::size(d),
        }
    }

    fn draw<DB: DrawingBackend>(self, canvas: &Area<DB>, d: &Data) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        canvas.fill(&WHITE)?;
        match self {
            Kind::MetricVsSize => size::draw(canvas, d),
            Kind::MetricVsSizeBySetup => size::draw_by_setup(canvas, d),
            Kind::PrecisionVsRecall => scatter::draw(canvas, d),
            Kind::PerCorpus => corpus::draw(canvas, d),
            Kind::QualityVsCost => cost::draw(canvas, d),
            Kind::AnswerQuality => answers::draw(canvas, d),
        }
    }
}

/// One rendered figure.
pub struct Figure {
    pub kind: Kind,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Renders every figure of `results` (with `timings` when known). Deterministic.
pub fn render_all(results: &RunResults, timings: Option<&Timings>) -> Result<Vec<Figure>> {
    style::register_fonts();
    let d = Data::new(results, timings);
    if d.entries.is_empty() {
        return Ok(Vec::new());
    }
    Kind::ALL
        .iter()
        .filter(|k| k.applies(&d))
        .map(|&kind| {
            let fail = |e: Box<dyn std::error::Error>| {
                Error::Usage(format!("cannot draw figure {}: {e}", kind.stem()))
            };
            let (w, h) = kind.size(&d);
            let mut svg = String::new();
            {
                let backend = SVGBackend::with_string(&mut svg, (w, h));
                let canvas = backend.into_drawing_area();
                kind.draw(&canvas, &d).map_err(fail)?;
                canvas.present().map_err(|e| fail(e.into()))?;
            }
            let mut rgb = vec![0u8; (w * h * 3) as usize];
            {
                let backend = raster::PngBackend::new(&mut rgb, (w, h));
                let canvas = backend.into_drawing_area();
                kind.draw(&canvas, &d).map_err(fail)?;
                canvas.present().map_err(|e| fail(e.into()))?;
            }
            Ok(Figure {
                kind,
                svg,
                png: encode_png(&rgb, w, h)?,
            })
        })
        .collect()
}

/// The figures as SVG and PNG files in `figures/`.
pub struct FiguresExporter;

impl crate::report::Exporter for FiguresExporter {
    fn name(&self) -> &'static str {
        "figures"
    }

    fn render(&self, run: &crate::report::RunView) -> Result<Vec<crate::report::File>> {
        let mut files = Vec::new();
        for f in run.figures()? {
            for (ext, bytes) in [("svg", f.svg.as_bytes()), ("png", f.png.as_slice())] {
                let path = Path::new(self.name()).join(format!("{}.{ext}", f.kind.stem()));
                files.push(crate::report::File::new(path, bytes));
            }
        }
        Ok(files)
    }
}

/// PNG bytes of an RGB buffer (no metadata, fixed compression: deterministic).
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let fail = |e: png::EncodingError| Error::Usage(format!("cannot encode PNG: {e}"));
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        let mut writer = enc.write_header().map_err(fail)?;
        writer.write_image_data(rgb).map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}
