"""Reference BM25 scores from bm25s, for chunkbench's BM25 agreement test.

Usage:
    python bm25_reference.py INPUT.json

INPUT.json is {"k1": float, "b": float, "corpus": [[term, ...], ...],
"queries": [[term, ...], ...]} with documents and queries already tokenized.
Prints {"scores": [[score of doc 0, doc 1, ...] for each query]} to stdout.

Scoring is bm25s's method="lucene": idf = ln(1 + (N - df + 0.5) / (df + 0.5))
and weight idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)), i.e. without the
(k1 + 1) factor. Computed in float64. bm25s sums over the query terms as given,
so a repeated query term counts once per occurrence. Needs `pip install bm25s`.
"""

import json
import sys

import bm25s


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    corpus, queries = spec["corpus"], spec["queries"]
    if not any(corpus):
        # bm25s cannot index a corpus without terms; every score is zero then.
        print(json.dumps({"scores": [[0.0] * len(corpus) for _ in queries]}))
        return
    model = bm25s.BM25(k1=spec["k1"], b=spec["b"], method="lucene", dtype="float64")
    model.index(corpus, show_progress=False)
    scores = []
    for query in queries:
        ids = model.get_tokens_ids(query)  # drops terms absent from the corpus
        row = model.get_scores_from_ids(ids) if ids else [0.0] * len(corpus)
        scores.append([float(s) for s in row])
    print(json.dumps({"scores": scores}))


if __name__ == "__main__":
    main()
