#!/usr/bin/env bash
# AMMD stability experiments (issue: "AMMD never wrecks a student"): from an SFT-initialised
# student, AMMD alone (objective.sft_weight 0) with one setting changed at a time, against forward
# KL on the same student, data and seeds. Each run prints, and appends to WORKDIR/results.jsonl,
# held-out TV(teacher, student) and student NLL at the start and the end, and the worst NLL seen
# at the evaluations on the way (train.eval_every).
# Usage: scripts/ammd_experiments.sh small|quickstart [VARIANT ...]
#   small       the small pair (scripts/make_small_pair.sh); student SFT 100 steps
#   quickstart  the quickstart pair (SmolLM2-135M-Instruct -> 8 layers, made as scripts/quickstart.sh
#               makes it); student SFT 150 steps, batch 4, lr 3e-4, the quickstart's data and limits
#   VARIANT     names from the table below (default: all)
# Environment: AMMD_EXP_DIR (default build/ammd_experiments/PAIR), AMMD_EXP_STEPS (default 100
#   small, 40 quickstart), AMMD_EXP_LR (default 1e-3 small, 1e-4 quickstart), AMMD_EXP_SEED (10).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pair="${1:?usage: scripts/ammd_experiments.sh small|quickstart [VARIANT ...]}"
shift
bin="${AMKD_BIN:-$root/build/amkd}"
py="${AMKD_PYTHON:-${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python}"
w="${AMMD_EXP_DIR:-$root/build/ammd_experiments/$pair}"
seed="${AMMD_EXP_SEED:-10}"
mkdir -p "$w/runs"

case "$pair" in
  small)
    steps="${AMMD_EXP_STEPS:-100}"
    lr="${AMMD_EXP_LR:-1e-3}"
    if [ ! -f "$w/pair/student/config.json" ]; then
      AMKD_PYTHON="$py" AMKD_BIN="$bin" "$root/scripts/make_small_pair.sh" "$w/pair" >/dev/null
    fi
    recipe="$w/pair/common.yaml"
    teacher="$w/pair/teacher"
    base_student="$w/pair/student"
    sft_args=(--max-steps 100)
    common=(--set generation.max_new_tokens=48 --set train.batch_size=4 --set train.eval_every=20)
    ;;
  quickstart)
    steps="${AMMD_EXP_STEPS:-40}"
    lr="${AMMD_EXP_LR:-1e-4}"
    models="${QUICKSTART_DIR:-$root}/models"
    teacher="$models/smollm2-135m-instruct"
    base_student="$models/smollm2-135m-student-8l"
    AMKD_BIN="$bin" "$root/scripts/quickstart_models.sh" "$models"
    recipe="$root/scripts/experiments/quickstart_pair.yaml"
    sft_args=(--max-steps 150 --lr 3e-4 --set train.batch_size=4 --set train.log_every=50
      --set schedule.type=cosine --set schedule.warmup_steps=5)
    common=(--set train.eval_every=10 --set train.log_every=10)
    ;;
  *) echo "unknown pair '$pair' (small or quickstart)" >&2; exit 2 ;;
esac

# The SFT-initialised student, made once per work directory.
student="$w/sft/final"
if [ ! -f "$student/config.json" ]; then
  rm -rf "$w/sft"
  "$bin" sft "$recipe" --model "$base_student" --output "$w/sft" --set train.seed="$seed" \
    "${sft_args[@]}" 2>&1 | tail -n 1
fi

# name | settings (changes from the AMMD baseline below, `ammd`)
variants=(
  "fkl|--objective fkl"
  "ammd|"
  "ammd_pg_off|--set policy_gradient.enabled=false"
  "ammd_off_only|--set objective.beta=1"
  "ammd_critic_fast|--set critic.steps=3 --set critic.lr=1e-3"
  "ammd_warmup|--set critic.warmup_steps=20"
  "ammd_mixture|--set critic.penalty=mixture --set critic.l2=1"
  "ammd_mixture_pg_off|--set critic.penalty=mixture --set critic.l2=1 --set policy_gradient.enabled=false"
  "ammd_mixture_fast_pg_off|--set critic.penalty=mixture --set critic.l2=1 --set critic.steps=3 --set critic.lr=1e-3 --set policy_gradient.enabled=false"
  "ammd_closed_form|--set critic.form=closed_form"
  "ammd_closed_form_pg_off|--set critic.form=closed_form --set policy_gradient.enabled=false"
  "cfm|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1"
  "cfm_pg_off|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1 --set policy_gradient.enabled=false"
  "cfm_discount_0.9|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1 --set policy_gradient.discount=0.9"
  "cfm_discount_0.5|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1 --set policy_gradient.discount=0.5"
  "cfm_on_only|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1 --set objective.beta=0"
  "cfm_on_only_pg_off|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1 --set objective.beta=0 --set policy_gradient.enabled=false"
  "cfm_off_only|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=1 --set objective.beta=1"
  "cfm_l2_0.5_pg_off|--set critic.form=closed_form --set critic.penalty=mixture --set critic.l2=0.5 --set policy_gradient.enabled=false"
)
selected=("$@")
for v in "${variants[@]}"; do
  name="${v%%|*}"
  settings="${v#*|}"
  if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " =~ " $name " ]]; then continue; fi
  out="$w/runs/$name"
  rm -rf "$out"
  # AMMD as it was before this study (AMMD.md's settings), so that every variant names its one
  # change whatever amkd's defaults are now; a variant's own --set comes later and wins.
  objective=(--objective ammd --set critic.form=network --set critic.penalty=uniform
    --set critic.l2=0.5 --set critic.steps=1 --set critic.lr=0 --set critic.warmup_steps=0
    --set policy_gradient.enabled=true --set policy_gradient.discount=1)
  [[ "$settings" == *"--objective"* ]] && objective=()
  # shellcheck disable=SC2086
  "$bin" train "$recipe" --teacher "$teacher" --student "$student" --output "$out" \
    --max-steps "$steps" --set optim.lr="$lr" --set train.seed="$seed" \
    --set objective.sft_weight=0 --set schedule.type=constant --set schedule.warmup_steps=0 \
    "${common[@]}" "${objective[@]}" $settings >"$out.log" 2>&1 || { tail -n 20 "$out.log"; exit 1; }
  "$py" - "$out/metrics.jsonl" "$name" "$settings" "$w/results.jsonl" <<'PY'
import json, sys
path, name, settings, results = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
v = [r for r in rows if "valid_nll" in r]
s = [r for r in rows if "loss" in r]
out = {"name": name, "settings": settings, "steps": len(s),
       "tv_start": v[0]["valid_tv"], "tv_end": v[-1]["valid_tv"],
       "nll_start": v[0]["valid_nll"], "nll_end": v[-1]["valid_nll"],
       "nll_worst": max(r["valid_nll"] for r in v),
       "s_per_step": sum(r["time_s"]["step"] for r in s) / len(s)}
with open(results, "a") as f:
    f.write(json.dumps(out) + "\n")
print(f"{name:<28} TV {out['tv_start']:.4f} -> {out['tv_end']:.4f}   NLL {out['nll_start']:.3f} -> "
      f"{out['nll_end']:.3f} (worst {out['nll_worst']:.3f}, {100 * (out['nll_worst'] / out['nll_start'] - 1):+.1f}%)"
      f"   {out['s_per_step']:.2f} s/step")
PY
done
