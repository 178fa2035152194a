#!/usr/bin/env bash
# Time chunkbench's chunkers against chonkie, LangChain's text splitters and semchunk on the
# same text, tokenizer (tiktoken cl100k_base) and sizes; print one Markdown table.
#
#   bash benches/peers/run.sh [peers.py options]     # e.g. --runs 5 --out results/peers.md
#
# Makes (once) a throwaway venv with the pinned packages of requirements.txt at
# ${CHUNKBENCH_PEERS_VENV:-$HOME/.cache/chunkbench/venv-peers}, reinstalling when
# requirements.txt changes, then runs peers.py with it. Needs `cargo build --release` first.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${CHUNKBENCH_PEERS_VENV:-$HOME/.cache/chunkbench/venv-peers}"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "peers: creating the venv $venv" >&2
    mkdir -p "$(dirname "$venv")"
    "${PYTHON:-python3}" -m venv "$venv" || {
        echo "peers: \`${PYTHON:-python3} -m venv\` failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    }
fi
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "peers: installing $(grep -cv '^\s*\(#\|$\)' "$req") pinned packages into the venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" >"$stamp"
fi

# tiktoken fetches cl100k_base from outside PyPI on first use; peers.py seeds this cache from
# tiktoken-rs's copy in the Cargo registry (same SHA-256) when it can.
export TIKTOKEN_CACHE_DIR="${TIKTOKEN_CACHE_DIR:-$venv/tiktoken-cache}"
exec "$venv/bin/python" "$here/peers.py" "$@"
