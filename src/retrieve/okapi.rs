//! Okapi BM25 lexical retrieval over chunks.
//!
//! **Tokenizer** ([`Tokenizer::terms`]): Unicode words by UAX #29 word
//! boundaries (`unicode_words()`, which drops pieces without a letter or digit
//! and keeps `don't`, `3.14` and `1,000` whole), each lower-cased with
//! `str::to_lowercase`; then, optionally, the 33 stop words of Lucene's
//! `EnglishAnalyzer` ([`STOP_WORDS`], matched before stemming) are removed;
//! then, optionally, each word is stemmed with Snowball English (Porter2).
//!
//! **Scoring**: with `N` documents, `df(t)` the number of documents containing
//! term `t`, `tf` its count in document `d`, `dl` the number of terms of `d`
//! and `avgdl` the mean `dl` over the corpus:
//!
//! ```text
//! idf(t)   = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
//! w(t, d)  = idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
//! score(d) = sum of w(t, d) over the query terms, in query order
//! ```
//!
//! This is the variant **without** the `(k1 + 1)` numerator factor, exactly as
//! the reference, bm25s `method="lucene"` (and Lucene's `BM25Similarity` since
//! 8.0): the factor is constant, so rankings equal classic Okapi BM25's and
//! only the scale differs. A term repeated in the query counts once per
//! occurrence (bm25s does not dedupe either); terms absent from the corpus add
//! nothing. Empty documents (they score 0) and an empty corpus are allowed.
//! Check against bm25s with `CHUNKBENCH_BM25_PYTHON="$(scripts/ensure-bm25-reference.sh)"
//! cargo test bm25` (the `agrees_with_the_reference_implementation` test).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::mem::size_of;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// Lucene `EnglishAnalyzer`'s default stop words (33 words).
pub const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// How text becomes terms: Unicode words (UAX #29, `unicode_words()`),
/// lower-cased with `str::to_lowercase`; optionally English stop words removed
/// ([`STOP_WORDS`]), then optionally Snowball English (Porter2) stemming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tokenizer {
    /// Stem each term with the Snowball English (Porter2) stemmer.
    pub stem: bool,
    /// Drop the English stop words in [`STOP_WORDS`] (before stemming).
    pub stop_words: bool,
}

impl Tokenizer {
    /// The terms of `text`, in order of appearance (duplicates kept).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let stemmer = self.stem.then(|| Stemmer::create(Algorithm::English));
        text.unicode_words()
            .map(str::to_lowercase)
            .filter(|word| !(self.stop_words && STOP_WORDS.contains(&word.as_str())))
            .map(|word| match &stemmer {
                Some(stemmer) => stemmer.stem(&word).into_owned(),
                None => word,
            })
            .collect()
    }
}

/// BM25's free parameters: `k1` (term-frequency saturation) and `b` (length
/// normalisation); the defaults are 1.2 and 0.75.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation; 0 makes a term count once however often it occurs.
    pub k1: f64,
    /// Length normalisation, from 0 (none) to 1 (full).
    pub b: f64,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self { k1: 1.2, b: 0.75 }
    }
}

/// An inverted index over documents given as terms, scored with BM25 (see the
/// module documentation for the exact formula).
#[derive(Debug, Clone)]
pub struct Bm25Index {
    params: Bm25Params,
    /// Term to term id (index into `postings` and `idf`).
    vocab: HashMap<String, u32>,
    /// Per term id: `(doc, tf)` sorted by doc.
    postings: Vec<Vec<(u32, u32)>>,
    /// Number of terms of each document.
    doc_lens: Vec<u32>,
    avgdl: f64,
    idf: Vec<f64>,
}

impl Bm25Index {
    /// Builds the index over documents given as their terms (doc i = docs[i]).
    ///
    /// # Panics
    /// If there are more than `u32::MAX` documents, distinct terms or terms in a document.
    pub fn new(docs: &[Vec<String>], params: Bm25Params) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut doc_lens = Vec::with_capacity(docs.len());
        let mut ids = Vec::new();
        for (doc, terms) in docs.iter().enumerate() {
            let doc = u32::try_from(doc).expect("too many documents");
            ids.clear();
            for term in terms {
                if !vocab.contains_key(term.as_str()) {
                    let id = u32::try_from(postings.len()).expect("too many terms");
                    vocab.insert(term.clone(), id);
                    postings.push(Vec::new());
                }
                ids.push(vocab[term.as_str()]);
            }
            ids.sort_unstable();
            for run in ids.chunk_by(|a, b| a == b) {
                let tf = u32::try_from(run.len()).expect("document too long");
                postings[run[0] as usize].push((doc, tf));
            }
            doc_lens.push(u32::try_from(terms.len()).expect("document too long"));
        }
        postings.iter_mut().for_each(Vec::shrink_to_fit);
        let n = docs.len() as f64;
        let total: u64 = doc_lens.iter().map(|&dl| u64::from(dl)).sum();
        let avgdl = if n > 0.0 { total as f64 / n } else { 0.0 };
        let idf = postings
            .iter()
            .map(|p| lucene_idf(n, p.len() as f64))
            .collect();
        Self {
            params,
            vocab,
            postings,
            doc_lens,
            avgdl,
            idf,
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.doc_lens.len()
    }

    /// Whether the index has no documents.
    pub fn is_empty(&self) -> bool {
        self.doc_lens.is_empty()
    }

    /// BM25 score of every document for the query terms (duplicates in the query
    /// count once per occurrence), f64, len() entries.
    pub fn scores(&self, query: &[String]) -> Vec<f64> {
        let mut acc = vec![0.0; self.len()];
        let Bm25Params { k1, b } = self.params;
        for term in query {
            let Some(&id) = self.vocab.get(term.as_str()) else {
                continue;
            };
            let idf = self.idf[id as usize];
            for &(doc, tf) in &self.postings[id as usize] {
                let dl = f64::from(self.doc_lens[doc as usize]);
                // avgdl > 0 here: a posting means some document has terms.
                let tf = f64::from(tf);
                acc[doc as usize] += idf * (tf / (k1 * (1.0 - b + b * dl / self.avgdl) + tf));
            }
        }
        acc
    }

    /// The n best documents with a score > 0, best first: (doc, score). Ties
    /// broken by lower doc index. Deterministic (sum over query terms in query
    /// order).
    pub fn top(&self, query: &[String], n: usize) -> Vec<(usize, f64)> {
        if n == 0 {
            return Vec::new();
        }
        let mut hits: Vec<(usize, f64)> = self.scores(query).into_iter().enumerate().collect();
        hits.retain(|&(_, score)| score > 0.0);
        if hits.len() > n {
            hits.select_nth_unstable_by(n - 1, best_first);
            hits.truncate(n);
        }
        hits.sort_unstable_by(best_first);
        hits
    }

    /// Heap bytes held by the index (vocabulary strings + postings + lengths +
    /// idf), for a size report. The hash table is counted as its capacity times
    /// an entry plus one control byte, which is what `std`'s table allocates.
    pub fn bytes(&self) -> usize {
        let strings: usize = self.vocab.keys().map(String::capacity).sum();
        let lists: usize = self.postings.iter().map(Vec::capacity).sum();
        self.vocab.capacity() * (size_of::<(String, u32)>() + 1)
            + strings
            + self.postings.capacity() * size_of::<Vec<(u32, u32)>>()
            + lists * size_of::<(u32, u32)>()
            + self.doc_lens.capacity() * size_of::<u32>()
            + self.idf.capacity() * size_of::<f64>()
    }
}

/// `ln(1 + (n - df + 0.5) / (df + 0.5))`: never negative, unlike Robertson's IDF.
fn lucene_idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Higher score first, then lower doc index: a total order, so `top` is deterministic.
fn best_first(a: &(usize, f64), b: &(usize, f64)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Space-separated terms.
    fn q(terms: &str) -> Vec<String> {
        terms.split_whitespace().map(String::from).collect()
    }

    /// An index with default parameters over space-separated documents.
    fn index(docs: &[&str]) -> Bm25Index {
        let docs: Vec<Vec<String>> = docs.iter().map(|d| q(d)).collect();
        Bm25Index::new(&docs, Bm25Params::default())
    }

    fn ids(hits: &[(usize, f64)]) -> Vec<usize> {
        hits.iter().map(|h| h.0).collect()
    }

    const FULL: Tokenizer = Tokenizer {
        stem: true,
        stop_words: true,
    };

    #[test]
    fn tokenizer_on_a_written_example() {
        let text = "The Café's naïve CATS were Running; it isn't 3.14, or 1,000 -- that's 42!";
        let terms = |stem, stop_words| Tokenizer { stem, stop_words }.terms(text).join(" ");
        let plain = "the café's naïve cats were running it isn't 3.14 or 1,000 that's 42";
        assert_eq!(terms(false, false), plain);
        let no_stop = "café's naïve cats were running isn't 3.14 1,000 that's 42";
        assert_eq!(terms(false, true), no_stop);
        assert_eq!(
            terms(true, false),
            "the café naïv cat were run it isn't 3.14 or 1,000 that 42"
        );
        assert_eq!(
            terms(true, true),
            "café naïv cat were run isn't 3.14 1,000 that 42"
        );
        assert!(FULL.terms("  ... -- !! ").is_empty());
        assert!(FULL.terms("the and of it").is_empty());
    }

    #[test]
    fn scores_match_a_hand_computed_corpus() {
        // N = 3, dl = 3, 2, 1, avgdl = 2; df(apple) = df(cherry) = 1, df(banana) = 2.
        let idx = index(&["apple banana apple", "banana cherry", "date"]);
        let (idf1, idf2) = ((1.0f64 + 2.5 / 1.5).ln(), (1.0f64 + 1.5 / 2.5).ln());
        // k1 (1 - b + b dl/avgdl) = 1.2 * (0.25 + 0.75 * dl / 2): 1.65, 1.2, 0.75.
        let expected = [idf1 * 2.0 / 3.65 + idf2 / 2.65, idf2 / 2.2, 0.0];
        let got = idx.scores(&q("apple banana unknown"));
        assert_eq!(got.len(), 3);
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
        }
        let twice = idx.scores(&q("cherry cherry"));
        assert!((twice[1] - 2.0 * idf1 / 2.2).abs() < 1e-12, "{twice:?}");
        assert_eq!(ids(&idx.top(&q("banana"), 5)), [1, 0], "shorter doc wins");
    }

    #[test]
    fn ties_are_broken_by_lower_index() {
        // 100 docs: "x x" at 60 scores best, every 7th is "y", the rest tie on "x".
        let mut docs: Vec<&str> = (0..100)
            .map(|i| if i % 7 == 3 { "y" } else { "x" })
            .collect();
        docs[60] = "x x";
        let idx = index(&docs);
        let ties = (0..100).filter(|&i| i != 60 && i % 7 != 3);
        let expected: Vec<usize> = std::iter::once(60).chain(ties).collect();
        assert_eq!(ids(&idx.top(&q("x"), 10)), expected[..10]);
        assert_eq!(ids(&idx.top(&q("x"), 1000)), expected);
    }

    #[test]
    fn top_excludes_zero_scores_and_respects_n() {
        let idx = index(&["a b", "c", "a a d", "", "e"]);
        let all = idx.top(&q("a"), 10);
        assert_eq!(ids(&all), [2, 0]);
        assert!(all.iter().all(|h| h.1 > 0.0));
        assert_eq!(idx.top(&q("a"), 1), all[..1]);
        assert!(idx.top(&q("a"), 0).is_empty());
        assert!(idx.top(&q("nothing"), 10).is_empty());
    }

    #[test]
    fn empty_corpus_and_empty_query() {
        let empty = index(&[]);
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
        assert!(empty.scores(&q("a")).is_empty());
        assert!(empty.top(&q("a"), 3).is_empty());
        let blank = index(&["", ""]);
        assert_eq!(blank.scores(&q("a")), [0.0, 0.0]);
        assert!(blank.top(&q("a"), 3).is_empty());
        let idx = index(&["a", "", "b a"]);
        assert_eq!(idx.scores(&[]), [0.0, 0.0, 0.0]);
        assert!(idx.top(&[], 3).is_empty());
        assert!(idx.scores(&q("a b")).iter().all(|s| s.is_finite()));
        assert!(idx.bytes() > blank.bytes());
    }

    /// Original prose the generated documents and queries are drawn from.
    const PROSE: &str = "The river town woke slowly. Fishermen dragged their nets across the \
        gravel while the baker, covered in flour, argued with a driver about the price of rye. \
        Nobody remembered when the old library closed; its windows were boarded, yet children \
        claimed they heard pages turning at night. In the spring the river flooded again, \
        carrying chairs, bottles and a bewildered goat toward the sea. Engineers arrived with \
        maps, measuring the banks and proposing a concrete wall that would cost twice the \
        estimate. Farmers sold apples, cheese, honey and strong coffee from wooden stalls, and \
        tourists photographed the goat, which had become famous. A retired teacher started a \
        reading club in the bakery, reading novels aloud between batches of bread. Someone \
        suggested planting willows along the river instead, since roots hold soil and trees \
        are cheaper than concrete. The teacher's club planted four hundred willows in one \
        weekend, singing badly and drinking too much coffee. By autumn the banks were green, \
        the goat had a statue, and the library's windows were open at last, letting light \
        fall across shelves of dusty atlases, encyclopedias and forgotten poetry.";

    fn next(state: &mut u64) -> usize {
        *state = state.wrapping_mul(0x5851_f42d_4c95_7f2d).wrapping_add(1);
        (*state >> 33) as usize
    }

    /// 240 documents (overlapping PROSE windows of varying length, plus empty,
    /// one-word, all-stop-word and repetitive ones) and 40 queries, tokenized
    /// with stemming and stop words.
    fn sample_corpus() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        let words: Vec<&str> = PROSE.split_whitespace().collect();
        let window = |start: usize, len: usize| {
            let picked: Vec<&str> = (0..len).map(|i| words[(start + i) % words.len()]).collect();
            picked.join(" ")
        };
        let mut rng = 42;
        let docs: Vec<Vec<String>> = (0..240)
            .map(|i| match i % 40 {
                7 => String::new(),
                13 => words[next(&mut rng) % words.len()].to_string(),
                21 => "River, river; RIVER rivers the river's flood flooded. ".repeat(1 + i / 40),
                33 => "it is not the one that they will".to_string(),
                _ => window(next(&mut rng), 1 + next(&mut rng) % (20 + i / 3)),
            })
            .map(|d| FULL.terms(&d))
            .collect();
        let mut queries: Vec<String> = (0..36)
            .map(|_| window(next(&mut rng), 1 + next(&mut rng) % 7))
            .collect();
        let special = ["river river flood", "goat zyzzyva", "the of and", "willows"];
        queries.extend(special.map(String::from));
        (docs, queries.iter().map(|q| FULL.terms(q)).collect())
    }

    #[test]
    fn top_agrees_with_a_full_sort() {
        let (corpus, queries) = sample_corpus();
        let idx = Bm25Index::new(&corpus, Bm25Params::default());
        for query in &queries {
            let mut all: Vec<(usize, f64)> = idx.scores(query).into_iter().enumerate().collect();
            all.retain(|h| h.1 > 0.0);
            all.sort_by(best_first);
            for n in [1, 5, 1000] {
                assert_eq!(idx.top(query, n), all[..all.len().min(n)], "{query:?}");
            }
        }
    }

    /// Runs the bm25s script on `spec` (see scripts/bm25_reference.py).
    fn reference_scores(python: &str, spec: &serde_json::Value) -> Vec<Vec<f64>> {
        use std::process::Command;
        let name = format!("chunkbench-bm25-{}-{}.json", std::process::id(), spec["k1"]);
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, spec.to_string()).unwrap();
        let script = std::env::var("CHUNKBENCH_BM25_SCRIPT").unwrap_or_else(|_| {
            format!("{}/scripts/bm25_reference.py", env!("CARGO_MANIFEST_DIR"))
        });
        let out = Command::new(python).arg(&script).arg(&path).output();
        std::fs::remove_file(&path).unwrap();
        let out = out.expect("running the reference python");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{script} failed: {stderr}");
        let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        serde_json::from_value(parsed["scores"].clone()).unwrap()
    }

    #[test]
    fn agrees_with_the_reference_implementation() {
        let python = std::env::var("CHUNKBENCH_BM25_PYTHON").unwrap_or_default();
        if python.is_empty() {
            println!("skipped: set CHUNKBENCH_BM25_PYTHON to a python with bm25s");
            return;
        }
        let (corpus, queries) = sample_corpus();
        assert!(corpus.len() >= 200 && queries.len() >= 30);
        for (k1, b) in [(1.2, 0.75), (1.5, 0.3)] {
            let idx = Bm25Index::new(&corpus, Bm25Params { k1, b });
            let spec = serde_json::json!({"k1": k1, "b": b, "corpus": corpus, "queries": queries});
            let reference = reference_scores(&python, &spec);
            assert_eq!(reference.len(), queries.len());
            let mut max_diff = 0.0f64;
            for (query, expected) in queries.iter().zip(&reference) {
                let got = idx.scores(query);
                assert_eq!(got.len(), expected.len());
                let diffs = got.iter().zip(expected).map(|(g, e)| (g - e).abs());
                max_diff = diffs.fold(max_diff, f64::max);
            }
            let pairs = queries.len() * corpus.len();
            println!("k1={k1} b={b}: max |rust - bm25s| = {max_diff:e} over {pairs} pairs");
            assert!(max_diff <= 1e-6, "max abs difference {max_diff}");
        }
    }
}
