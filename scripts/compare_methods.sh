#!/usr/bin/env bash
# The published methods side by side at the same step budget, data, seeds and SFT-initialised
# student: SFT, KD (forward KL on dataset responses), SeqKD (SFT on teacher samples), GKD (JSD,
# on-policy with probability 0.5), DistiLLM (skew KL, adaptive student outputs with replay) and
# AMMD (amkd's defaults). For each: held-out TV(teacher, student) and NLL at the start and end,
# and ROUGE-L of the final student on DollyEval and subsets of SelfInst, Vicuna, S-NI and UnNI
# (MiniLLM's protocol: sampling at temperature 1, several seeds), written to WORKDIR/table.md.
# Usage: scripts/compare_methods.sh small|quickstart [WORKDIR]
# Environment (budget): COMPARE_STEPS (default 100 small, 60 quickstart), COMPARE_EVAL_ITEMS
#   (items per evaluation set, default 50), COMPARE_EVAL_TOKENS (default 64), COMPARE_SEEDS
#   (default "10,20,30"), COMPARE_METHODS (default all), COMPARE_SFT_STEPS (the SFT stage;
#   default 100 small, 150 quickstart), COMPARE_EVAL_EVERY (held-out evaluation during training,
#   default every 20 steps; "worst NLL" is the highest of them relative to the start),
#   COMPARE_EVAL_SETS (default "dolly selfinst vicuna sni unni").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pair="${1:?usage: scripts/compare_methods.sh small|quickstart [WORKDIR]}"
w="${2:-$root/build/compare_methods/$pair}"
bin="${AMKD_BIN:-$root/build/amkd}"
py="${AMKD_PYTHON:-${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python}"
items="${COMPARE_EVAL_ITEMS:-50}"
tokens="${COMPARE_EVAL_TOKENS:-64}"
seeds="${COMPARE_SEEDS:-10,20,30}"
methods="${COMPARE_METHODS:-sft kd seqkd gkd distillm ammd}"
every="${COMPARE_EVAL_EVERY:-20}"
read -r -a sets <<<"${COMPARE_EVAL_SETS:-dolly selfinst vicuna sni unni}"
say() { printf '[compare] %s\n' "$*" >&2; }
mkdir -p "$w/runs" "$w/eval"

case "$pair" in
  small)
    steps="${COMPARE_STEPS:-100}"
    if [ ! -f "$w/pair/student/config.json" ]; then
      AMKD_PYTHON="$py" AMKD_BIN="$bin" "$root/scripts/make_small_pair.sh" "$w/pair" >/dev/null
    fi
    recipe="$w/pair/common.yaml"
    teacher="$w/pair/teacher"
    student="$w/pair/student"
    common=(--set optim.lr=0.001 --set train.batch_size=4 --set generation.max_new_tokens=48
      --set sft_stage.max_steps="${COMPARE_SFT_STEPS:-100}")
    template=plain
    ;;
  quickstart)
    steps="${COMPARE_STEPS:-60}"
    models="${QUICKSTART_DIR:-$root}/models"
    teacher="$models/smollm2-135m-instruct"
    student="$models/smollm2-135m-student-8l"
    AMKD_BIN="$bin" "$root/scripts/quickstart_models.sh" "$models"
    recipe="$root/recipes/quickstart.yaml"
    common=(--set sft_stage.max_steps="${COMPARE_SFT_STEPS:-150}")
    template=chat
    ;;
  *) echo "unknown pair '$pair' (small or quickstart)" >&2; exit 2 ;;
esac

# Every method: the same recipe, student, SFT stage (run once, then reused), seed and steps.
base=(--teacher "$teacher" --student "$student" --max-steps "$steps" --set train.seed=10
  --set train.eval_every="$every" --set sft_stage.dir="$w/stages" --set objective.sft_weight=0 "${common[@]}")
for m in $methods; do
  case "$m" in
    sft) args=(--objective sft --set rollout.source=dataset) ;;
    kd) args=(--objective fkl --set rollout.source=dataset) ;;
    seqkd) args=(--objective sft --set rollout.source=teacher) ;;
    gkd) args=(--objective jsd --set objective.beta=0.5 --set rollout.source=mixed --set rollout.on_policy_prob=0.5) ;;
    distillm) args=(--objective skl --set objective.skew=0.1 --set rollout.source=adaptive
      --set rollout.adaptive_init_prob=0.0) ;;
    ammd) args=(--objective ammd) ;;
    *) echo "unknown method '$m'" >&2; exit 2 ;;
  esac
  out="$w/runs/$m"
  if [ ! -f "$out/final/config.json" ]; then
    rm -rf "$out"
    say "$m: $steps steps"
    "$bin" train "$recipe" "${base[@]}" "${args[@]}" --output "$out" >"$out.log" 2>&1 \
      || { tail -n 20 "$out.log"; exit 1; }
  fi
done

# The SFT-initialised student itself, then every method's final student.
stage="$(ls -d "$w"/stages/sft-*/final | head -n 1)"
evaluate() {  # NAME MODEL_DIR
  [ -f "$w/eval/$1/summary.json" ] && return 0
  say "evaluating $1"
  local data=()
  for s in "${sets[@]}"; do data+=(--data "$s"); done
  "$bin" eval --model "$2" "${data[@]}" --template "$template" --seeds "$seeds" \
    --max-new-tokens "$tokens" --set "eval.subset=$items" \
    --output "$w/eval/$1" >"$w/eval/$1.log" 2>&1 || { tail -n 20 "$w/eval/$1.log"; exit 1; }
}
evaluate sft_init "$stage"
for m in $methods; do evaluate "$m" "$w/runs/$m/final"; done

"$py" - "$w" "$methods" "$steps" "$items" "$seeds" "$pair" "${sets[*]}" <<'PY' | tee "$w/table.md"
import json, sys
w, methods, steps, items, seeds, pair, sets = sys.argv[1:]
sets = sets.split()
def rouge(name):
    s = json.load(open(f"{w}/eval/{name}/summary.json"))
    return [s[k]["rougeL"]["mean"] if k in s else float("nan") for k in sets]
print(f"{pair} pair, {steps} steps from the SFT-initialised student, ROUGE-L on the first {items} items "
      f"of each set, seeds {seeds}\n")
print("| method | held-out TV start -> end | held-out NLL start -> end | worst NLL | " + " | ".join(sets) + " |")
print("|---|---|---|---|" + "---|" * len(sets))
print("| SFT-initialised student | | | | " + " | ".join(f"{x:.2f}" for x in rouge("sft_init")) + " |")
for m in methods.split():
    rows = [json.loads(l) for l in open(f"{w}/runs/{m}/metrics.jsonl")]
    v = [r for r in rows if "valid_nll" in r]
    tv = f"{v[0]['valid_tv']:.3f} -> {v[-1]['valid_tv']:.3f}" if "valid_tv" in v[0] else "-"
    worst = max(r["valid_nll"] for r in v) / v[0]["valid_nll"] - 1
    print(f"| {m} | {tv} | {v[0]['valid_nll']:.3f} -> {v[-1]['valid_nll']:.3f} | {100 * worst:+.1f}% | "
          + " | ".join(f"{x:.2f}" for x in rouge(m)) + " |")
PY
