#!/usr/bin/env bash
# The main job on the bundled default, from a fresh clone: installs what is missing and builds
# (scripts/setup.sh), fetches SmolLM2-135M-Instruct as a GGUF file, converts it with
# `amkd convert`, makes an 8-layer student with `amkd init-student`, and runs
# recipes/quickstart.yaml on the bundled Dolly training split: the recipe's SFT stage fine-tunes
# the student, then AMMD distils the teacher into it. Every prompt uses the teacher's own chat
# template. Prints ROUGE-L on held-out DollyEval prompts for the teacher and the student before,
# after SFT and after AMMD. Idempotent: models are converted once, the SFT stage is reused while
# its settings are unchanged (runs/sft-stages), and every run writes a new run directory.
#   QUICKSTART_DIR        where models/ and runs/ go (default: the repository)
#   QUICKSTART_STEPS      AMMD steps (default: the recipe's train.max_steps)
#   QUICKSTART_SFT_STEPS  SFT stage steps (default: the recipe's sft_stage.max_steps)
#   QUICKSTART_EVAL       DollyEval prompts scored (default 48; sampled at temperature 1, seed 10)
#   QUICKSTART_EVAL_TOKENS  new tokens per evaluated response (default 96)
#   QUICKSTART_SKIP_SETUP=1 use an existing build (AMKD_BIN, default build/amkd)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '[quickstart] %s\n' "$*"; }
die() { printf '[quickstart] error: %s\n' "$*" >&2; exit 1; }
start=$(date +%s)

if [ "${QUICKSTART_SKIP_SETUP:-0}" != 1 ]; then ./scripts/setup.sh; fi
amkd="${AMKD_BIN:-$root/build/amkd}"
[ -x "$amkd" ] || die "no amkd binary at $amkd (run scripts/setup.sh)"
gguf="$(./scripts/fetch_teacher.sh)"

base="${QUICKSTART_DIR:-$root}"
teacher="$base/models/smollm2-135m-instruct"
student="$base/models/smollm2-135m-student-8l"
run="$base/runs/quickstart-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$base/models" "$base/runs"
if [ ! -f "$teacher/config.json" ]; then
  say "converting the teacher from $gguf"
  "$amkd" convert --gguf "$gguf" --output "$teacher"
else
  say "teacher present: $teacher"
fi
if [ ! -f "$student/config.json" ]; then
  say "making the student: 8 of the teacher's 30 layers"
  "$amkd" init-student --teacher "$teacher" --layers 8 --output "$student"
else
  say "student present: $student"
fi

sets=(--set "teacher.path=$teacher" --set "student.path=$student")
sets+=(--set "sft_stage.dir=$base/runs/sft-stages")
[ -n "${QUICKSTART_STEPS:-}" ] && sets+=(--set "train.max_steps=$QUICKSTART_STEPS")
[ -n "${QUICKSTART_SFT_STEPS:-}" ] && sets+=(--set "sft_stage.max_steps=$QUICKSTART_SFT_STEPS")
recipe="$root/recipes/quickstart.yaml"
# MiniLLM's evaluation protocol (sampling at temperature 1, prompt + response at most 512 tokens)
# on the first prompts of DollyEval, one seed, so that it takes a minute or two; the prompt is
# the teacher's chat template (the student carries the same tokenizer files).
evaluate() {  # NAME MODEL_DIR
  say "evaluating $1 on held-out DollyEval prompts"
  "$amkd" eval --model "$2" --data dolly --template chat --seeds 10 \
    --max-new-tokens "${QUICKSTART_EVAL_TOKENS:-96}" --set "eval.subset=${QUICKSTART_EVAL:-48}" \
    --output "$run/eval/$1" 2>&1 | tail -n 3
}
mkdir -p "$run/eval"
evaluate teacher "$teacher"
evaluate student_before "$student"
say "SFT stage, then AMMD (recipes/quickstart.yaml), into $run"
"$amkd" train "$recipe" "${sets[@]}" --set "train.output_dir=$run/train" 2>&1 | tee "$run/train.log"
sft_model="$(sed -n 's/^sft stage: reusing \(.*\) (same.*/\1/p; s/^sft stage: .* into \(.*\)$/\1\/final/p' "$run/train.log" | head -n 1)"
[ -f "$sft_model/config.json" ] || die "no SFT stage output found in $run/train.log"
evaluate student_sft "$sft_model"
evaluate student_after "$run/train/final"

"${AMKD_PYTHON:-$HOME/.cache/amkd/venv/bin/python}" - "$run/eval" <<'PY'
import json, sys
root = sys.argv[1]
rows = [("teacher (SmolLM2-135M-Instruct, 30 layers)", "teacher"),
        ("student before (8 layers)", "student_before"),
        ("student after SFT", "student_sft"),
        ("student after SFT, then AMMD", "student_after")]
print()
print(f"{'model':<44} {'ROUGE-L':>8} {'items':>6}")
for label, name in rows:
    s = json.load(open(f"{root}/{name}/summary.json"))["dolly"]
    print(f"{label:<44} {s['rougeL']['mean']:>8.2f} {s['items']:>6}")
PY
echo
say "student checkpoint: $run/train/final (Hugging Face layout; loads in transformers)"
say "training metrics:   $run/train/metrics.jsonl"
say "evaluation outputs: $run/eval/{teacher,student_before,student_sft,student_after}/"
say "done in $(( $(date +%s) - start )) s"
