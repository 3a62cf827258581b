#!/usr/bin/env bash
# Fixture: a GGUF file with every value type and every storage type amkd reads, and its tensors
# dequantised by the gguf package, for tests/unit/test_gguf.cpp.
source "$(dirname "$0")/../lib.sh"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_gguf_reference.py" "$AMKD_WORK/gguf_reference"
