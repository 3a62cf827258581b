#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs every test with ctest.
# Extra arguments go to ctest, e.g. ./scripts/test.sh -L unit
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root/${AMKD_BUILD_DIR:-build}"
# --timeout: a hung test fails after 20 minutes instead of stalling the run (tests may set less).
exec ctest --output-on-failure --timeout 1200 -j "$(nproc)" "$@"
