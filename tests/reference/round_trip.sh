#!/usr/bin/env bash
# A model loaded and saved by amkd (sharded, to exercise the index) loads in transformers with no
# missing/unexpected tensors and gives the reference log-probs.
source "$(dirname "$0")/../lib.sh"
model="$1"
out="$(scratch "round_trip_$model")"
"$AMKD_BIN" convert --model "$REF/$model" --output "$out/saved" --max-shard-size 100KB
[ -f "$out/saved/model.safetensors.index.json" ] || fail "expected a sharded checkpoint with an index"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/check_hf_load.py" "$out/saved" "$REF/$model/reference.jsonl" --tol 1e-4
# Unsharded too, and amkd reads its own output back to the same numbers.
"$AMKD_BIN" convert --model "$out/saved" --output "$out/single"
[ -f "$out/single/model.safetensors" ] || fail "expected a single model.safetensors"
"$AMKD_BIN" score --model "$out/single" --input "$REF/$model/input.jsonl" --output "$out/scored.jsonl"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/compare_logprobs.py" "$out/scored.jsonl" "$REF/$model/reference.jsonl" --tol 1e-4
