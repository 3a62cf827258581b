#!/usr/bin/env bash
# Installs what amkd needs (Debian packages, a Python venv with torch and the reference
# packages) and builds Release into build/. Idempotent: a second run only checks and rebuilds.
#   AMKD_VENV        venv location (default ~/.cache/amkd/venv)
#   AMKD_BUILD_DIR   build directory (default build)
#   AMKD_CMAKE_ARGS  extra arguments for cmake's configure step
#   AMKD_HOST_PYTHON the interpreter the venv is made from (default python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

apt_packages=(build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev catch2
  libsentencepiece-dev libopenblas-dev libpcre2-dev libutf8proc-dev
  libgloo-dev)  # headers for c10d's ProcessGroupGloo (the gloo code itself is the wheel's)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
host_python="${AMKD_HOST_PYTHON:-python3}"
if ! command -v "$host_python" >/dev/null; then missing+=(python3); fi
if command -v "$host_python" >/dev/null && ! "$host_python" -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo_cmd="sudo"
  fi
  $sudo_cmd apt-get update -qq || die "apt-get update failed (is Debian's package registry reachable?)"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
else
  say "Debian packages present"
fi

venv="${AMKD_VENV:-$HOME/.cache/amkd/venv}"
req="$root/scripts/requirements.txt"
stamp="$venv/.amkd-requirements"
if [ ! -x "$venv/bin/python" ]; then
  say "creating Python venv at $venv"
  mkdir -p "$(dirname "$venv")"
  "$host_python" -m venv "$venv" || die "could not create a venv at $venv"
fi
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
  say "installing Python packages into $venv (torch, transformers, tokenizers, safetensors, numpy)"
  "$venv/bin/pip" install --disable-pip-version-check -q --progress-bar off -r "$req" \
    || die "pip install -r $req failed (is PyPI reachable?)"
  cp "$req" "$stamp"
else
  say "Python packages present in $venv"
fi
"$root/scripts/fetch_teacher.sh" >/dev/null || die "could not fetch the quickstart teacher"
torch_prefix="$("$venv/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')" \
  || die "torch is not importable from $venv"

build="${AMKD_BUILD_DIR:-build}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  say "configuring $build (LibTorch from $torch_prefix)"
  # shellcheck disable=SC2086
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DAMKD_PYTHON="$venv/bin/python" ${AMKD_CMAKE_ARGS:-} \
    || die "cmake configure failed"
fi
say "building $build"
cmake --build "$build" -j "$(nproc)" || die "build failed"
say "done: binary at $build/amkd"
