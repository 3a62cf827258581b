#!/usr/bin/env bash
# A trained model: stories260K (llama2.c) must reproduce the reference teacher-forced NLL of its
# greedy continuation (from an independent numpy port). That every greedy id is the argmax is
# checked by the unit test "stories260K greedy decoding with the KV cache reproduces the reference".
source "$(dirname "$0")/../lib.sh"
out="$(scratch stories260k)"
ref="$AMKD_ROOT/data/models/stories260K/reference_greedy_100.json"
"$AMKD_PYTHON" - "$ref" "$out/input.jsonl" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
json.dump({"ids": [ref["bos_id"]] + ref["greedy_ids"]}, open(sys.argv[2], "w"))
PY
"$AMKD_BIN" score --model "$STORIES" --input "$out/input.jsonl" --output "$out/scored.jsonl"
"$AMKD_PYTHON" - "$ref" "$out/scored.jsonl" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
lp = json.loads(open(sys.argv[2]).readline())["logprobs"]
assert len(lp) == len(ref["greedy_ids"]), (len(lp), len(ref["greedy_ids"]))
nll = -sum(lp) / len(lp)
want = ref["teacher_forced_mean_nll_of_greedy_ids"]
print(f"mean NLL amkd {nll:.7f} reference {want:.7f}")
assert abs(nll - want) < 1e-4, "NLL differs from the reference"
PY
