#!/usr/bin/env bash
# amkd score on a transformers-built model must give transformers' log-probs (fp32, 1e-4).
source "$(dirname "$0")/../lib.sh"
model="$1"
out="$(scratch "score_$model")"
"$AMKD_BIN" score --model "$REF/$model" --input "$REF/$model/input.jsonl" --output "$out/scored.jsonl"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/compare_logprobs.py" "$out/scored.jsonl" "$REF/$model/reference.jsonl" --tol 1e-4
