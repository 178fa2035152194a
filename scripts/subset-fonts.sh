#!/usr/bin/env bash
# Rebuilds assets/fonts/DejaVuSans{,-Bold}-subset.ttf, the fonts the PNG figures are drawn with
# (embedded in the binary, so nothing is needed at build or run time). Not part of the build: run
# it only to change the character coverage. Needs Debian's fonts-dejavu-core (2.37) and fontTools
# from PyPI (installed into a throwaway venv). The output is deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/share/fonts/truetype/dejavu
[ -f "$src/DejaVuSans.ttf" ] || { echo "install fonts-dejavu-core first: apt-get install -y fonts-dejavu-core" >&2; exit 2; }
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet 'fonttools==4.68.0'
# Latin (with Extended-A/B), Greek, Cyrillic, punctuation, super/subscripts, currency, letterlike
# symbols, arrows, mathematical operators, geometric shapes, and the replacement character.
unicodes="U+0020-007E,U+00A0-024F,U+0370-03FF,U+0400-04FF,U+2000-206F,U+2070-209F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2200-22FF,U+25A0-25FF,U+FFFD"
for face in DejaVuSans DejaVuSans-Bold; do
  "$venv/bin/pyftsubset" "$src/$face.ttf" --unicodes="$unicodes" --no-hinting \
    --layout-features='kern' --legacy-kern --drop-tables+=MATH,FFTM --name-IDs='*' \
    --output-file="assets/fonts/$face-subset.ttf"
done
sha256sum assets/fonts/*.ttf
