#!/usr/bin/env bash
# Makes sure a Python venv with the pinned bm25s exists and prints its python's
# path on stdout (everything else goes to stderr). Idempotent: when the venv is
# already set up it only checks a marker file and returns at once.
#
#   CHUNKBENCH_BM25_PYTHON="$(scripts/ensure-bm25-reference.sh)" cargo test bm25
set -euo pipefail

BM25S_VERSION="0.3.16"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/chunkbench/venv-bm25"
python="$venv/bin/python"
marker="$venv/.bm25s-$BM25S_VERSION"

if [[ ! -x "$python" || ! -f "$marker" ]]; then
    echo "setting up bm25s $BM25S_VERSION in $venv" >&2
    mkdir -p "$(dirname "$venv")"
    [[ -x "$python" ]] || python3 -m venv "$venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check \
        "bm25s==$BM25S_VERSION" >&2
    "$python" -c "import bm25s" >&2
    touch "$marker"
fi

echo "$python"
