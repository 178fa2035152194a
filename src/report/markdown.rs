//! `summary.md`: the overall table, then one table per corpus, ready to paste into a post.

use std::fmt::Write;

use super::{f4, Exporter};
use crate::error::Result;
use crate::run::results::{GroupSummary, RunResults};
use crate::score::aggregate::MeanStd;

pub struct SummaryMarkdown;

fn pm(m: &MeanStd) -> String {
    format!("{} ± {}", f4(m.mean), f4(m.std))
}

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, r: &RunResults) -> Result<Vec<u8>> {
        let mut s = String::new();
        let _ = writeln!(s, "# chunkbench results: {}\n", r.dataset.name);
        let _ = writeln!(
            s,
            "{} documents, {} questions; embedder {} (inputs truncated at {} word pieces); exact top-{} cosine retrieval over all chunks. Span metrics over {}; mean ± population std over questions.\n",
            r.dataset.documents, r.dataset.questions, r.embedder.name, r.embedder.max_tokens, r.k, r.span_unit
        );
        let _ = writeln!(s, "## All questions\n");
        let _ = writeln!(s, "| strategy | chunks | mean / p95 / max tokens | recall | precision | IoU | precision_Ω |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for st in &r.strategies {
            let all = st
                .summary
                .iter()
                .find(|g| g.corpus == "all")
                .expect("all row");
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} / {:.0} / {} | {} | {} | {} | {} |",
                st.name,
                st.chunks.count,
                st.chunks.tokens_mean,
                st.chunks.tokens_p95,
                st.chunks.tokens_max,
                pm(&all.recall),
                pm(&all.precision),
                pm(&all.iou),
                pm(&all.precision_omega)
            );
        }
        for corpus in &r.dataset.corpora {
            let _ = writeln!(s, "\n## {corpus}\n");
            let _ = writeln!(
                s,
                "| strategy | questions | chunks | recall | precision | IoU | precision_Ω |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
            for st in &r.strategies {
                let Some(g): Option<&GroupSummary> =
                    st.summary.iter().find(|g| &g.corpus == corpus)
                else {
                    continue;
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    st.name,
                    g.questions,
                    g.chunks,
                    pm(&g.recall),
                    pm(&g.precision),
                    pm(&g.iou),
                    pm(&g.precision_omega)
                );
            }
        }
        Ok(s.into_bytes())
    }
}
