//! The `semantic` family: Kamradt's breakpoint chunker as LangChain's `SemanticChunker` runs it.
//!
//! 1. Split the document into sentences ([`super::sentences`]).
//! 2. Embed each sentence together with `buffer` neighbours on each side (the window is the span
//!    from its first to its last sentence, a real substring; LangChain joins the sentences with a
//!    space, which all-MiniLM's tokenizer reads the same way).
//! 3. Take the cosine distance between each window and the next, and cut after sentence `i`
//!    where the distance is above a threshold (strictly, as LangChain does):
//!    - `percentile`: the `amount`-th percentile of the distances (default 95; linear
//!      interpolation, as `numpy.percentile`);
//!    - `stddev`: mean + `amount` · population standard deviation (default 3);
//!    - `iqr`: mean + `amount` · (Q3 − Q1) (default 1.5; LangChain adds the IQR to the mean, not
//!      to Q3, and so do we);
//!    - `gradient`: cut where the distance *gradient* (`numpy.gradient`: central differences,
//!      one-sided at the ends) is above the `amount`-th percentile of the gradient (default 95).
//! 4. `min` (tokens, default 0): a group smaller than `min` is merged into the next group (the
//!    last one into the previous), as LangChain's `min_chunk_size` does in characters; a group's
//!    size here is the sum of its sentences' cl100k counts.
//! 5. `max` (cl100k tokens, required): a hard limit, checked on every chunk's own text — a group
//!    over it is split at sentence boundaries and a single sentence over it into token windows
//!    ([`super::limit`]). `max` wins over `min`: the tail of a split group may be small.
//!
//! Differences from LangChain: sentences come from Unicode sentence boundaries (not the regex
//! `(?<=[.?!])\s+`), so line breaks also end sentences; a one-sentence document is one chunk;
//! `gradient` with two sentences (one distance, no gradient) gives one chunk rather than two;
//! `min` is in tokens rather than characters, and there is a `max`.

use std::ops::Range;

use super::{check_max, consecutive_distances, embed_spans, groups_from_breaks};
use super::{limit::emit_group, sentences::sentences, windows_to_cut};
use crate::chunk::sizer::cl100k_tokens;
use crate::chunk::{ChunkEnv, Chunker, Family, Params, Span};
use crate::error::Result;
use crate::strategy::Strategy;

/// `semantic`: LangChain's SemanticChunker.
pub const FAMILY: Family = Family {
    name: "semantic",
    params: "max (required), method=percentile|stddev|iqr|gradient, amount, buffer=1, min=0",
    about: "sentences embedded with neighbours, cut where the distance to the next is high (LangChain's SemanticChunker)",
    build: |s| Ok(Box::new(Breakpoint::from_strategy(s)?)),
};

/// How the distance threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Percentile,
    StdDev,
    Iqr,
    Gradient,
}

impl Method {
    pub const CHOICES: &'static [(&'static str, Method)] = &[
        ("percentile", Method::Percentile),
        ("stddev", Method::StdDev),
        ("iqr", Method::Iqr),
        ("gradient", Method::Gradient),
    ];

    /// LangChain's default `breakpoint_threshold_amount` for the method.
    pub fn default_amount(self) -> f64 {
        match self {
            Method::Percentile | Method::Gradient => 95.0,
            Method::StdDev => 3.0,
            Method::Iqr => 1.5,
        }
    }

    /// Indices `i` of the distances (between window `i` and `i + 1`) after which to cut.
    pub fn breakpoints(self, distances: &[f64], amount: f64) -> Vec<usize> {
        if distances.is_empty() {
            return Vec::new();
        }
        let gradient;
        let (values, threshold): (&[f64], f64) = match self {
            Method::Percentile => (distances, percentile(distances, amount)),
            Method::StdDev => {
                let (mean, std) = mean_std(distances);
                (distances, mean + amount * std)
            }
            Method::Iqr => {
                let (mean, _) = mean_std(distances);
                let iqr = percentile(distances, 75.0) - percentile(distances, 25.0);
                (distances, mean + amount * iqr)
            }
            Method::Gradient => {
                if distances.len() < 2 {
                    return Vec::new();
                }
                gradient = numpy_gradient(distances);
                (&gradient[..], percentile(&gradient, amount))
            }
        };
        (0..values.len())
            .filter(|&i| values[i] > threshold)
            .collect()
    }
}

/// `numpy.percentile(xs, p)` with its default linear interpolation (`xs` non-empty).
pub fn percentile(xs: &[f64], p: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (p / 100.0).clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let frac = rank - lo as f64;
    v[lo] + (v[hi] - v[lo]) * frac
}

/// Mean and population standard deviation (`numpy.mean`, `numpy.std`).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// `numpy.gradient(xs)` with unit spacing (`xs.len() >= 2`).
pub fn numpy_gradient(xs: &[f64]) -> Vec<f64> {
    let n = xs.len();
    (0..n)
        .map(|i| match i {
            0 => xs[1] - xs[0],
            _ if i == n - 1 => xs[n - 1] - xs[n - 2],
            _ => (xs[i + 1] - xs[i - 1]) / 2.0,
        })
        .collect()
}

/// The `semantic` chunker.
#[derive(Debug, Clone)]
pub struct Breakpoint {
    pub method: Method,
    pub amount: f64,
    pub buffer: usize,
    pub min: usize,
    pub max: usize,
}

impl Breakpoint {
    pub const PARAMS: &'static [&'static str] = &["method", "amount", "buffer", "min", "max"];

    pub fn from_strategy(strategy: &Strategy) -> Result<Self> {
        let mut p = Params::new(strategy);
        let method = p.choice("method", Method::CHOICES, Method::Percentile)?;
        let amount = p.f64_opt("amount")?.unwrap_or(method.default_amount());
        if matches!(method, Method::Percentile | Method::Gradient)
            && !(0.0..=100.0).contains(&amount)
        {
            return Err(p.error(format!(
                "`amount` is a percentile for method {method:?}: it must be within 0..=100, got {amount}"
            )));
        }
        let buffer = p.usize_opt("buffer")?.unwrap_or(1);
        let min = p.usize_opt("min")?.unwrap_or(0);
        let max = required_max(&mut p)?;
        let max = check_max(&p, max)?;
        if min > max {
            return Err(p.error(format!("`min` ({min}) must not exceed `max` ({max})")));
        }
        p.finish(Self::PARAMS)?;
        Ok(Breakpoint {
            method,
            amount,
            buffer,
            min,
            max,
        })
    }

    /// Merges groups under `min` tokens into the next group (the last into the previous).
    fn merge_small(&self, groups: Vec<Range<usize>>, counts: &[usize]) -> Vec<Range<usize>> {
        if self.min == 0 {
            return groups;
        }
        let size = |g: &Range<usize>| counts[g.clone()].iter().sum::<usize>();
        let mut out: Vec<Range<usize>> = Vec::with_capacity(groups.len());
        let mut carry: Option<usize> = None;
        for g in groups {
            let g = carry.take().unwrap_or(g.start)..g.end;
            if size(&g) < self.min {
                carry = Some(g.start);
            } else {
                out.push(g);
            }
        }
        if let Some(start) = carry {
            let end = counts.len();
            match out.last_mut() {
                Some(prev) => prev.end = end,
                None => out.push(start..end),
            }
        }
        out
    }
}

/// `max` is required: a semantic chunker without a size limit is how other tools emit chunks many
/// times the size a user expects.
pub(crate) fn required_max(p: &mut Params) -> Result<usize> {
    p.usize_opt("max")?.ok_or_else(|| {
        p.error("missing required parameter `max` (the hard chunk size limit in cl100k tokens), e.g. max=512")
    })
}

impl Chunker for Breakpoint {
    fn embedding_spans(&self, text: &str) -> Result<Vec<Span>> {
        Ok(windows_to_cut(&sentences(text), self.buffer))
    }

    fn chunk(&self, text: &str, env: &dyn ChunkEnv) -> Result<Vec<Span>> {
        let units = sentences(text);
        let breaks = if units.len() > 1 {
            let windows = windows_to_cut(&units, self.buffer);
            let vectors = embed_spans(text, &windows, env)?;
            self.method
                .breakpoints(&consecutive_distances(&vectors), self.amount)
        } else {
            Vec::new()
        };
        let groups = groups_from_breaks(units.len(), &breaks);
        let groups = if self.min > 0 {
            let counts: Vec<usize> = units
                .iter()
                .map(|u| cl100k_tokens(&text[u.start..u.end]))
                .collect();
            self.merge_small(groups, &counts)
        } else {
            groups
        };
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            emit_group(text, &units, g, Some(self.max), &mut out);
        }
        Ok(out)
    }

    fn needs_embeddings(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::testing::{angle, TableEnv};
    use super::*;
    use crate::chunk::build;

    #[test]
    fn percentile_matches_numpy() {
        let xs = [0.1, 0.5, 0.2, 0.9, 0.3];
        // numpy.percentile([0.1, 0.5, 0.2, 0.9, 0.3], [0, 25, 50, 90, 95, 100])
        for (p, want) in [
            (0.0, 0.1),
            (25.0, 0.2),
            (50.0, 0.3),
            (90.0, 0.74),
            (95.0, 0.82),
            (100.0, 0.9),
        ] {
            assert!((percentile(&xs, p) - want).abs() < 1e-12, "p{p}");
        }
    }

    #[test]
    fn gradient_matches_numpy() {
        // numpy.gradient([1, 2, 4, 7, 11]) == [1, 1.5, 2.5, 3.5, 4]
        assert_eq!(
            numpy_gradient(&[1.0, 2.0, 4.0, 7.0, 11.0]),
            vec![1.0, 1.5, 2.5, 3.5, 4.0]
        );
    }

    #[test]
    fn thresholds_of_each_method() {
        let d = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9];
        assert_eq!(Method::Percentile.breakpoints(&d, 95.0), vec![9]);
        // mean 0.18, std 0.24: 0.9 > 0.18 + 2·0.24 but not > 0.18 + 3.5·0.24.
        assert_eq!(Method::StdDev.breakpoints(&d, 2.0), vec![9]);
        assert!(Method::StdDev.breakpoints(&d, 3.5).is_empty());
        // IQR 0: everything above the mean is a breakpoint.
        assert_eq!(Method::Iqr.breakpoints(&d, 1.5), vec![9]);
        // Gradient [0,..,0, 0.4, 0.8]: the 95th percentile is 0.62; only the last is above.
        assert_eq!(Method::Gradient.breakpoints(&d, 95.0), vec![9]);
        assert!(Method::Gradient.breakpoints(&[0.5], 95.0).is_empty());
        assert!(Method::Percentile.breakpoints(&[], 95.0).is_empty());
    }

    fn strategy(spec: &str) -> Breakpoint {
        Breakpoint::from_strategy(&Strategy::parse(spec).unwrap()).unwrap()
    }

    /// Six sentences on two topics; vectors by window text (buffer 0: each sentence alone).
    fn two_topics() -> (&'static str, TableEnv) {
        let text = "Cats purr. Cats nap. Cats hunt. Rain falls. Rain pours. Rain stops.";
        let mut table = HashMap::new();
        for (s, a) in [
            ("Cats purr.", 0.0),
            ("Cats nap.", 5.0),
            ("Cats hunt.", 10.0),
            ("Rain falls.", 80.0),
            ("Rain pours.", 85.0),
            ("Rain stops.", 90.0),
        ] {
            table.insert(s.to_string(), angle(a));
        }
        (text, TableEnv(table))
    }

    fn texts<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn cuts_between_topics() {
        let (text, env) = two_topics();
        let c = strategy("semantic:method=percentile,amount=80,buffer=0,max=100");
        let got = c.chunk(text, &env).unwrap();
        assert_eq!(
            texts(text, &got),
            [
                "Cats purr. Cats nap. Cats hunt.",
                "Rain falls. Rain pours. Rain stops."
            ]
        );
    }

    #[test]
    fn max_is_hard_and_min_merges() {
        let (text, env) = two_topics();
        let c = strategy("semantic:method=percentile,amount=80,buffer=0,max=8");
        let got = c.chunk(text, &env).unwrap();
        assert!(got
            .iter()
            .all(|s| cl100k_tokens(&text[s.start..s.end]) <= 8));
        assert!(got.len() >= 4, "{:?}", texts(text, &got));
        // Every gap is a breakpoint at percentile 0 (ties excluded): min merges them back.
        let c = strategy("semantic:method=percentile,amount=0,buffer=0,min=6,max=100");
        let got = c.chunk(text, &env).unwrap();
        assert!(got.len() < 6, "{:?}", texts(text, &got));
    }

    #[test]
    fn merge_small_carries_forward_and_back() {
        let c = strategy("semantic:min=5,max=100");
        let groups = vec![0..1, 1..2, 2..3, 3..4, 4..5];
        let counts = [2, 2, 9, 1, 9];
        assert_eq!(c.merge_small(groups.clone(), &counts), vec![0..3, 3..5]);
        let counts = [2, 2, 9, 1, 1];
        assert_eq!(c.merge_small(groups, &counts), vec![0..5]);
        let c = strategy("semantic:min=50,max=100");
        assert_eq!(c.merge_small(vec![0..2, 2..5], &counts), vec![0..5]);
    }

    #[test]
    fn parameters_are_validated() {
        for (spec, needle) in [
            ("semantic", "missing required parameter `max`"),
            ("semantic:max=4", "at least 8"),
            ("semantic:max=100,amount=120", "within 0..=100"),
            ("semantic:max=100,method=mean", "must be one of"),
            ("semantic:max=100,min=200", "must not exceed"),
            ("semantic:max=100,size=3", "unknown parameter `size`"),
        ] {
            let e = build(&Strategy::parse(spec).unwrap()).err().expect(spec);
            assert!(e.to_string().contains(needle), "{spec}: {e}");
        }
        let c = strategy("semantic:method=stddev,max=300");
        assert_eq!((c.amount, c.buffer, c.min), (3.0, 1, 0));
        assert!(strategy("semantic:method=iqr,amount=-0.5,max=300").amount < 0.0);
    }
}
