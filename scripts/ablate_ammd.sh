#!/usr/bin/env bash
# AMMD ablation on the small pair (scripts/make_small_pair.sh) with a learned critic
# (critic.form: network, the policy-gradient term on): critic.l2, critic.steps, objective.beta
# and critic.lr, 200 steps each, against forward KL on the same pair. Prints the
# held-out token-level TV(teacher, student) at the start and the end of each run.
# Usage: scripts/ablate_ammd.sh [WORKDIR]   (AMKD_ABLATE_STEPS, default 200)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
w="${1:-$root/build/ablate_ammd}"
steps="${AMKD_ABLATE_STEPS:-200}"
py="${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python"
AMKD_PYTHON="$py" "$root/scripts/make_small_pair.sh" "$w/pair" >/dev/null
run() {  # run NAME ARGS...
  local name="$1"; shift
  rm -rf "$w/$name"
  "$root/build/amkd" train "$w/pair/common.yaml" --teacher "$w/pair/teacher" --student "$w/pair/student" \
    --output "$w/$name" --max-steps "$steps" --set generation.max_new_tokens=48 --set optim.lr=0.001 \
    --set train.batch_size=4 --set critic.form=network --set policy_gradient.enabled=true "$@" 2>"$w/$name.log"
  "$py" - "$w/$name/metrics.jsonl" "$name" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
v = [r for r in rows if "valid_tv" in r]
s = [r for r in rows if "loss" in r]
print(f"{sys.argv[2]:<28} held-out TV {v[0]['valid_tv']:.4f} -> {v[-1]['valid_tv']:.4f}   "
      f"student NLL {v[0]['valid_nll']:.3f} -> {v[-1]['valid_nll']:.3f}   {sum(r['time_s']['step'] for r in s) / len(s):.3f} s/step")
PY
}
run fkl --objective fkl
for l2 in 0.05 0.5 2.0; do run "ammd l2=$l2" --objective ammd --set critic.l2=$l2; done
run "ammd l2=0.5 steps=3" --objective ammd --set critic.steps=3
run "ammd beta=0 (on-policy)" --objective ammd --set objective.beta=0
run "ammd beta=1 (off-policy)" --objective ammd --set objective.beta=1
run "ammd critic.lr=0.01" --objective ammd --set critic.lr=0.01
run "ammd no policy gradient" --objective ammd --set policy_gradient.enabled=false
