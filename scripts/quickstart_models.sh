#!/usr/bin/env bash
# Makes sure the quickstart pair exists under MODELS_DIR: the teacher converted from its GGUF file
# (scripts/fetch_teacher.sh) and its 8-layer student; does nothing when both are there.
# Usage: scripts/quickstart_models.sh MODELS_DIR   (AMKD_BIN: the amkd binary, default build/amkd)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
models="${1:?usage: scripts/quickstart_models.sh MODELS_DIR}"
bin="${AMKD_BIN:-$root/build/amkd}"
teacher="$models/smollm2-135m-instruct"
if [ ! -f "$teacher/config.json" ]; then
  "$bin" convert --gguf "$("$root/scripts/fetch_teacher.sh")" --output "$teacher"
fi
if [ ! -f "$models/smollm2-135m-student-8l/config.json" ]; then
  "$bin" init-student --teacher "$teacher" --layers 8 --output "$models/smollm2-135m-student-8l"
fi
