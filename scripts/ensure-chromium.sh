#!/usr/bin/env bash
# Installs Debian's chromium, which tests/html_report.rs uses to load report.html headless. Does
# nothing when chromium is already on PATH (or CHUNKBENCH_CHROMIUM names a browser), so `make test`
# can call it every time. Needs root (or sudo) and the Debian package archive.
set -euo pipefail
if [ -n "${CHUNKBENCH_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "chromium is missing and this is not root: install it with 'apt-get install -y chromium'" >&2; exit 2; }
  sudo=sudo
fi
echo "installing chromium (Debian package) for the HTML report test..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "chromium did not install" >&2; exit 2; }
chromium --version >&2
