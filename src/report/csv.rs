//! `summary.csv` (one row per strategy × corpus, plus `all`; for every metric its mean, population
//! std, 95% bootstrap interval and the number of questions it covers — empty cells and 0 for a
//! model-based metric that did not run) and `comparisons.csv` (paired differences between strategies).

use super::{f4, Exporter, File, RunView};
use crate::error::{Error, Result};
use crate::results::{RunResults, METRICS};

pub struct SummaryCsv;
pub struct ComparisonsCsv;

/// The header of `summary.csv`; a run with retrieval setups adds `chunking, retriever,
/// handover` at the end (the row's strategy, retriever spec with `+rerank`, and hand-over rule).
pub fn summary_columns(results: &RunResults) -> Vec<String> {
    let mut cols: Vec<String> = ["strategy", "corpus", "questions"]
        .map(String::from)
        .to_vec();
    for m in METRICS {
        for suffix in ["mean", "std", "lo", "hi", "n"] {
            cols.push(format!("{}_{suffix}", m.name));
        }
    }
    cols.extend(
        [
            "chunks",
            "mean_chunk_tokens",
            "mean_chunk_chars",
            "embedder_tokens",
            "truncated_share",
            "unseen_token_share",
            "index_bytes",
            "index_cost_usd",
        ]
        .map(String::from),
    );
    if results.retrieval.is_some() {
        cols.extend(["chunking", "retriever", "handover"].map(String::from));
    }
    cols
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner()
        .map_err(|e| Error::Usage(format!("cannot write CSV: {e}")))
}

fn err(e: csv::Error) -> Error {
    Error::Usage(format!("cannot write CSV: {e}"))
}

impl Exporter for SummaryCsv {
    fn name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        Ok(vec![File::new(self.name(), self.bytes(run.results)?)])
    }
}

impl SummaryCsv {
    fn bytes(&self, results: &RunResults) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(summary_columns(results)).map_err(err)?;
        for s in &results.strategies {
            for g in &s.summary {
                let mut row = vec![s.name.clone(), g.corpus.clone(), g.questions.to_string()];
                for m in &g.metrics {
                    if m.stat.n == 0 {
                        // not measured (a model-based metric that did not run)
                        row.extend(["", "", "", "", "0"].map(String::from));
                    } else {
                        row.extend([
                            f4(m.stat.mean),
                            f4(m.stat.std),
                            f4(m.lo),
                            f4(m.hi),
                            m.stat.n.to_string(),
                        ]);
                    }
                }
                // The index columns are the strategy's, over the whole dataset, like the chunk
                // means; empty when unknown (an endpoint without --max-length, no price).
                let i = &s.index;
                let opt = |x: Option<f64>| x.map_or_else(String::new, f4);
                row.extend([
                    g.chunks.to_string(),
                    format!("{:.1}", s.chunks.tokens_mean),
                    format!("{:.1}", s.chunks.chars_mean),
                    i.embedder_tokens.to_string(),
                    opt(i.truncated_share),
                    opt(i.unseen_token_share),
                    i.bytes.to_string(),
                    i.cost_usd.map_or_else(String::new, |c| format!("{c:.6}")),
                ]);
                if let Some(x) = &s.setup {
                    let retriever = match x.reranker {
                        Some(_) => format!("{}+rerank", x.retriever),
                        None => x.retriever.clone(),
                    };
                    row.extend([x.strategy.clone(), retriever, x.handover.label()]);
                }
                w.write_record(row).map_err(err)?;
            }
        }
        finish(w)
    }
}

impl Exporter for ComparisonsCsv {
    fn name(&self) -> &'static str {
        "comparisons.csv"
    }

    fn render(&self, run: &RunView) -> Result<Vec<File>> {
        Ok(vec![File::new(self.name(), self.bytes(run.results)?)])
    }
}

impl ComparisonsCsv {
    fn bytes(&self, results: &RunResults) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "a",
            "b",
            "metric",
            "diff_b_minus_a",
            "lo",
            "hi",
            "questions",
            "significant",
        ])
        .map_err(err)?;
        for c in &results.comparisons {
            w.write_record([
                c.a.clone(),
                c.b.clone(),
                c.metric.clone(),
                f4(c.diff),
                f4(c.lo),
                f4(c.hi),
                c.n.to_string(),
                c.significant.to_string(),
            ])
            .map_err(err)?;
        }
        finish(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    fn text(e: &dyn Exporter, r: &RunResults) -> String {
        let files = e.render(&RunView::new(r, None)).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, std::path::Path::new(e.name()));
        String::from_utf8(files[0].bytes.clone()).unwrap()
    }

    #[test]
    fn summary_csv_has_every_metric_of_every_group() {
        let csv = text(&SummaryCsv, &testdata::small());
        let lines: Vec<&str> = csv.lines().collect();
        // A header, then 2 strategies × (2 corpora, 1 question kind, all).
        assert_eq!(lines.len(), 9);
        assert!(lines[0].starts_with("strategy,corpus,questions,recall_mean,recall_std,recall_lo,recall_hi,recall_n,precision_mean,"));
        assert!(lines[0]
            .ends_with(",answer_f1_hi,answer_f1_n,chunks,mean_chunk_tokens,mean_chunk_chars,embedder_tokens,truncated_share,unseen_token_share,index_bytes,index_cost_usd"));
        assert_eq!(lines[0].split(',').count(), 3 + 5 * METRICS.len() + 8);
        // Unmeasured model metrics: empty cells and n = 0.
        assert_eq!(
            lines[1],
            r#"fixed_128,alpha,2,0.4000,0.1000,0.3800,0.4200,2,0.4100,0.1000,0.3900,0.4300,2,0.4200,0.1000,0.4000,0.4400,2,0.4300,0.1000,0.4100,0.4500,2,0.4400,0.1000,0.4200,0.4600,2,0.4500,0.1000,0.4300,0.4700,2,0.4600,0.1000,0.4400,0.4800,2,0.4700,0.1000,0.4500,0.4900,2,0.4800,0.1000,0.4600,0.5000,2,,,,,0,,,,,0,,,,,0,,,,,0,12,64.0,256.0,0,,,0,"#
        );
        assert_eq!(
            lines[8],
            r#"recursive_256,all,4,0.2500,0.1000,0.2300,0.2700,4,0.2600,0.1000,0.2400,0.2800,4,0.2700,0.1000,0.2500,0.2900,4,0.2800,0.1000,0.2600,0.3000,4,0.2900,0.1000,0.2700,0.3100,4,0.3000,0.1000,0.2800,0.3200,4,0.3100,0.1000,0.2900,0.3300,4,0.3200,0.1000,0.3000,0.3400,4,0.3300,0.1000,0.3100,0.3500,4,,,,,0,,,,,0,,,,,0,,,,,0,30,128.0,512.0,0,,,0,"#
        );
    }

    #[test]
    fn comparisons_csv_lists_every_pair() {
        assert_eq!(
            text(&ComparisonsCsv, &testdata::small()),
            r#"a,b,metric,diff_b_minus_a,lo,hi,questions,significant
fixed_128,recursive_256,recall,-0.0400,-0.1000,0.0200,4,false
fixed_128,recursive_256,iou,-0.0500,-0.0800,-0.0200,4,true
fixed_128,recursive_256,mrr,0.0100,-0.0300,0.0500,4,false
"#
        );
    }
}
