#!/usr/bin/env bash
# scripts/quickstart.sh shortened (4 SFT-stage steps, 2 AMMD steps, 4 evaluated prompts of 16
# tokens): the GGUF teacher converts, the student is made, fine-tuned by the SFT stage, distilled
# and evaluated with the teacher's chat template, and the table and paths print.
source "$(dirname "$0")/../lib.sh"
teacher_gguf >/dev/null
out="$(scratch quickstart)"
run_quickstart() {
  QUICKSTART_SKIP_SETUP=1 QUICKSTART_DIR="$out" QUICKSTART_STEPS=2 QUICKSTART_SFT_STEPS=4 QUICKSTART_EVAL=4 \
    QUICKSTART_EVAL_TOKENS=16 bash "$AMKD_ROOT/scripts/quickstart.sh" >"$out/$1" 2>&1 \
    || { cat "$out/$1"; fail "quickstart failed"; }
}
run_quickstart first.log
cat "$out/first.log"
for row in "teacher (SmolLM2-135M-Instruct, 30 layers)" "student before (8 layers)" "student after SFT" \
  "student after SFT, then AMMD"; do
  grep -F "$row" "$out/first.log" | grep -Eq ' [0-9]+\.[0-9]{2} +4$' || fail "no table row for '$row'"
done
run="$(ls -d "$out"/runs/quickstart-*)"
[ -f "$run/train/final/model.safetensors" ] || fail "no student checkpoint in $run/train/final"
[ "$(grep -c '"step"' "$run/train/metrics.jsonl")" -ge 2 ] || fail "metrics.jsonl lacks the 2 steps"
grep -q "student checkpoint: $run/train/final" "$out/first.log" || fail "checkpoint path not printed"
"$AMKD_BIN" inspect "$run/train/final" | grep -Eq "^ *layers +8$" || fail "the student does not have 8 layers"

# Idempotent: a second run reuses the converted models and writes a new run directory.
sleep 1
run_quickstart second.log
# (fetch_teacher.sh prints its own "teacher present" line every run: look for quickstart's.)
grep -q "^\[quickstart\] teacher present: $out/models/" "$out/second.log" \
  && ! grep -q "converting the teacher" "$out/second.log" || fail "second run converted the teacher again"
[ "$(ls -d "$out"/runs/quickstart-* | wc -l)" -eq 2 ] || fail "second run did not write its own run directory"
grep -q "sft stage: reusing $out/runs/sft-stages/sft-" "$out/second.log" || fail "second run did not reuse the SFT stage"
