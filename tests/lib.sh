# Shared helpers for the shell-driven tests (sourced). ctest sets AMKD_BIN, AMKD_PYTHON,
# AMKD_ROOT and AMKD_WORK.
set -euo pipefail
: "${AMKD_BIN:?run through ctest}" "${AMKD_PYTHON:?}" "${AMKD_ROOT:?}" "${AMKD_WORK:?}"
REF="$AMKD_WORK/reference_models"
STORIES="$AMKD_WORK/stories260K"
fail() { echo "FAIL: $*" >&2; exit 1; }
# A fresh scratch directory for one test.
scratch() { local d="$AMKD_WORK/scratch/$1"; rm -rf "$d"; mkdir -p "$d"; echo "$d"; }
