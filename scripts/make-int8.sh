#!/usr/bin/env bash
# make-int8.sh — the optional int8 variant of the bundled embedding model, made offline.
#
# Takes $MODELS_DIR/all-MiniLM-L6-v2/model.onnx (the fp32 graph `make models` converts) and
# quantises its weights to int8 with ONNX Runtime's dynamic quantisation
# (onnxruntime.quantization.quantize_dynamic, weights QInt8, per-tensor; activations are
# quantised per batch at run time), in a throwaway venv with the same onnxruntime version as
# the runtime library. The tokenizer and pooling files are copied unchanged:
#   -> $MODELS_DIR/all-MiniLM-L6-v2-int8/{model.onnx, tokenizer.json, config.json,
#        special_tokens_map.json, tokenizer_config.json, sentence_bert_config.json (256 word
#        pieces), 1_Pooling/config.json (mean pooling), MANIFEST.sha256, .complete}
# Run it with `chunkbench run --embed-model all-MiniLM-L6-v2-int8`: its vectors have their own
# cache key (the model file's hash), so they never mix with the fp32 model's.
#
# Before accepting the file it embeds 6 fixed sentences with both graphs (onnxruntime, mean
# pooling) and requires cosine >= 0.98 between each pair; it prints the minimum.
#
# Usage: scripts/make-int8.sh [-f|--force] [MODELS_DIR]
#   MODELS_DIR defaults to ${CHUNKBENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/chunkbench/models}
# Idempotent: a complete int8 dir whose stamp names the current fp32 graph's hash is kept.
set -euo pipefail

ORT_VERSION=1.24.4
PINS=(numpy==2.4.6 onnx==1.23.2 protobuf==7.36.2 tokenizers==0.23.3 "onnxruntime==${ORT_VERSION}")
FORCE=0
if [[ ${1:-} == -f || ${1:-} == --force ]]; then FORCE=1; shift; fi
MODELS_DIR=${1:-${CHUNKBENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/chunkbench/models}}
PYTHON=${PYTHON:-python3}
SRC=$MODELS_DIR/all-MiniLM-L6-v2
DST=$MODELS_DIR/all-MiniLM-L6-v2-int8

die() { echo "make-int8.sh: $*" >&2; exit 1; }
[[ -f $SRC/model.onnx ]] || die "$SRC/model.onnx is missing; run 'make models' first"
FP32_SHA=$(sha256sum "$SRC/model.onnx" | cut -d' ' -f1)
STAMP="chunkbench-int8 v2 onnxruntime==${ORT_VERSION} fp32=${FP32_SHA}"
if [[ $FORCE == 0 && -f $DST/.complete && $(cat "$DST/.complete") == "$STAMP" ]] \
   && (cd "$DST" && sha256sum --quiet -c MANIFEST.sha256 >/dev/null 2>&1); then
  echo "all-MiniLM-L6-v2-int8 already present in $MODELS_DIR"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "==> creating throwaway python venv"
"$PYTHON" -m venv "$WORK/venv" >/dev/null || die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
"$WORK/venv/bin/python" -m pip --disable-pip-version-check install -q "${PINS[@]}" \
  || die "pip install ${PINS[*]} failed (is the PyPI registry reachable?)"

STAGE="$MODELS_DIR/.int8-staging.$$"
rm -rf "$STAGE"
mkdir -p "$STAGE/1_Pooling"
echo "==> quantising $SRC/model.onnx to int8"
"$WORK/venv/bin/python" - "$SRC" "$STAGE" <<'PY'
import sys, numpy as np, onnxruntime as ort
from onnxruntime.quantization import quantize_dynamic, QuantType
from tokenizers import Tokenizer
src, dst = sys.argv[1], sys.argv[2]
# Per-channel weights, MatMul only: per-tensor scales gave min cosine 0.950 to the fp32 vectors
# on the sentences below, per-channel 0.992 (measured with onnxruntime 1.24.4).
quantize_dynamic(f"{src}/model.onnx", f"{dst}/model.onnx", weight_type=QuantType.QInt8,
                 per_channel=True, op_types_to_quantize=["MatMul"])
tok = Tokenizer.from_file(f"{src}/tokenizer.json")
tok.enable_truncation(256); tok.enable_padding()
sentences = ["The lighthouse keeper logged the storm at midnight.",
             "Sourdough needs a starter fed twice a day.",
             "Bees swarm when the colony outgrows its hive.",
             "Exact retrieval ranks every chunk for every question.",
             "A short one.",
             "Chunking decides what a retriever can find and what a generator is handed."]
enc = tok.encode_batch(sentences)
feed = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
def embed(path):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = {i.name for i in s.get_inputs()}
    out = s.run(None, {k: v for k, v in feed.items() if k in names})[0]
    m = feed["attention_mask"][..., None]
    v = (out * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)
cos = (embed(f"{src}/model.onnx") * embed(f"{dst}/model.onnx")).sum(1)
print(f"    int8 vs fp32 cosine on {len(sentences)} sentences: min {cos.min():.5f}, mean {cos.mean():.5f}")
if cos.min() < 0.98:
    sys.exit(f"int8 graph rejected: min cosine {cos.min():.5f} < 0.98")
PY
for f in tokenizer.json config.json special_tokens_map.json tokenizer_config.json; do
  cp "$SRC/$f" "$STAGE/$f"
done
# The settings `chunkbench` gives the bundled model (mean pooling, 256 word pieces, as
# sentence-transformers runs all-MiniLM-L6-v2), written down so a model directory read on its own
# gets the same: without them the tokenizer's 512 would apply and the int8 run would read longer
# inputs than the fp32 one it is compared with.
printf '{"max_seq_length": 256, "do_lower_case": false}\n' > "$STAGE/sentence_bert_config.json"
printf '{"word_embedding_dimension": 384, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}\n' > "$STAGE/1_Pooling/config.json"
(cd "$STAGE" && find . -type f ! -name MANIFEST.sha256 | sort | xargs sha256sum > MANIFEST.sha256)
echo "$STAMP" > "$STAGE/.complete"
rm -rf "$DST"
mv "$STAGE" "$DST"
echo "==> all-MiniLM-L6-v2-int8 installed in $DST ($(stat -c %s "$DST/model.onnx") bytes, sha256 $(sha256sum "$DST/model.onnx" | cut -c1-16)…)"
