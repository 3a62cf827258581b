#!/usr/bin/env bash
# Fixture: the llama2.c stories260K checkpoint converted to the HF layout (verified by transformers).
source "$(dirname "$0")/../lib.sh"
rm -rf "$STORIES"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/convert_llama2c.py" "$AMKD_ROOT/data/models/stories260K/stories260K.bin" \
  "$STORIES" --tokenizer "$AMKD_ROOT/data/models/stories260K/tok512.bin" --reference "$AMKD_ROOT/data/models/stories260K/reference_greedy_100.json"
