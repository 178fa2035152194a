#!/usr/bin/env bash
# install-build-deps.sh — the system packages chunkbench's build needs beyond Rust.
#
# llama-cpp-2 (the embedded language model) compiles llama.cpp from source: it needs cmake, a C/C++
# compiler, and libclang for bindgen. On Debian/Ubuntu this installs `cmake clang libclang-dev`
# when any is missing (as root, or through sudo), running `apt-get update` first. Idempotent: when
# everything is present it prints one line and changes nothing. Called by `make build`/`make test`.
set -euo pipefail

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v clang >/dev/null || missing+=(clang)
# bindgen needs libclang.so; on Debian it comes with libclang-dev.
if ! ldconfig -p 2>/dev/null | grep -q 'libclang[-0-9.]*\.so' \
   && ! compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null; then
  missing+=(libclang-dev)
fi
if ((${#missing[@]} == 0)); then
  echo "build dependencies present (cmake, clang, libclang)"
  exit 0
fi

# Install the full set: clang and libclang-dev must come from the same LLVM version.
pkgs=(cmake clang libclang-dev)
echo "==> installing build dependencies (missing: ${missing[*]}): ${pkgs[*]}"
command -v apt-get >/dev/null \
  || { echo "install-build-deps: error: no apt-get; install ${pkgs[*]} (cmake, a C++ compiler, libclang) with your package manager" >&2; exit 1; }
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null \
    || { echo "install-build-deps: error: not root and no sudo; run: apt-get install ${pkgs[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${pkgs[@]}" >/dev/null
echo "    installed ${pkgs[*]}"
