#!/usr/bin/env bash
# AMMD never wrecks a student (docs/AMMD.md, "What must be true"): on the small pair
# (scripts/make_small_pair.sh), a student fine-tuned by the recipe's SFT stage, then 100 steps of
# AMMD alone (no cross-entropy term) with the default AMMD settings: the held-out NLL never rises
# more than 5% over its start at any evaluation, and the held-out TV(teacher, student) falls.
# Also: the SFT stage is reused when its output exists and run again when its recipe changes.
source "$(dirname "$0")/../lib.sh"
w="$(scratch ammd_stability)"
AMKD_PYTHON="$AMKD_PYTHON" AMKD_BIN="$AMKD_BIN" "$AMKD_ROOT/scripts/make_small_pair.sh" "$w/pair" >/dev/null
train() {  # train NAME ARGS...
  local name="$1"; shift
  "$AMKD_BIN" train "$w/pair/common.yaml" --teacher "$w/pair/teacher" --student "$w/pair/student" \
    --objective ammd --output "$w/runs/$name" --set sft_stage.max_steps=100 \
    --set sft_stage.dir="$w/stages" --set objective.sft_weight=0 --set optim.lr=0.001 \
    --set train.batch_size=4 --set generation.max_new_tokens=48 --set train.eval_every=20 \
    "$@" >"$w/$name.log" 2>&1 || { cat "$w/$name.log"; fail "train $name"; }
}
train ammd --max-steps 100
grep -q "sft stage: 100 steps of supervised fine-tuning" "$w/ammd.log" || fail "the SFT stage did not run"
"$AMKD_PYTHON" - "$w/runs/ammd/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
valid = [r for r in rows if "valid_nll" in r]
assert [r["step"] for r in valid] == [0, 20, 40, 60, 80, 100], [r["step"] for r in valid]
nll0, tv0 = valid[0]["valid_nll"], valid[0]["valid_tv"]
for r in valid:
    print(f"step {r['step']:>3}: held-out TV {r['valid_tv']:.4f}, NLL {r['valid_nll']:.4f}")
    assert r["valid_nll"] <= 1.05 * nll0, f"held-out NLL rose more than 5% at step {r['step']}"
assert valid[-1]["valid_tv"] < tv0, f"held-out TV did not fall ({tv0:.4f} -> {valid[-1]['valid_tv']:.4f})"
PY
stage="$(ls -d "$w"/stages/sft-*)"
[ "$(echo "$stage" | wc -l)" -eq 1 ] && [ -f "$stage/final/config.json" ] || fail "no SFT stage output in $w/stages"

# Same stage settings: reused. A changed stage (its learning rate): run again into its own directory.
train reuse --max-steps 1
grep -q "sft stage: reusing $stage/final" "$w/reuse.log" || { cat "$w/reuse.log"; fail "the SFT stage was not reused"; }
train changed --max-steps 1 --set sft_stage.lr=0.002
grep -q "sft stage: 100 steps of supervised fine-tuning" "$w/changed.log" || fail "a changed SFT stage was not run again"
[ "$(ls -d "$w"/stages/sft-* | wc -l)" -eq 2 ] || fail "a changed SFT stage did not get its own directory"
echo "all ok"
