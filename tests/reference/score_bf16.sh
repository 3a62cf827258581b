#!/usr/bin/env bash
# bf16 compute: amkd's log-probs stay within bf16 rounding of transformers' fp32 numbers. These
# random models have large logits (weights ~ N(0, 0.2)), so bf16 rounding alone moves log-probs by
# up to ~0.2 nats (transformers' own bf16 forward differs from its fp32 one by as much); a broken
# conversion moves them by whole nats.
source "$(dirname "$0")/../lib.sh"
model="$1"
out="$(scratch "score_bf16_$model")"
"$AMKD_BIN" score --model "$REF/$model" --input "$REF/$model/input.jsonl" --output "$out/scored.jsonl" --dtype bf16
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/compare_logprobs.py" "$out/scored.jsonl" "$REF/$model/reference.jsonl" --tol 0.3
