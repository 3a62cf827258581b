#!/usr/bin/env bash
# Several processes on the CPU (c10d Gloo), started by amkd launch, at the size that crashed the
# store-based reduction (issue 13: GPT-2's 50257-token vocabulary, a 4-layer teacher and its
# 2-layer student, 3.3M student parameters). Global-batch invariance: 2 ranks with batch 2 must
# end 5 steps with the parameters of 1 rank with batch 4 (to 1e-5), for sft, fkl on dataset
# responses, jsd on the student's own samples, DistiLLM's adaptive source, and ammd with a
# learned critic and the policy-gradient term (its baseline over the global batch). Only rank 0
# writes metrics.jsonl; held-out evaluations are sharded over the ranks and summed. amkd eval
# and amkd generate share their batches over 2 ranks and write what one process writes.
# Failures: a rank that fails its set-up stops the others at once; a rank killed mid-run makes
# the other exit with an error naming the failed collective; a rank that hangs makes the other
# give up after dist.timeout_s, naming it; amkd launch stops the survivors.
source "$(dirname "$0")/../lib.sh"
w="$(scratch dist_train)"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_gpt2_teacher.py" "$w" 160
"$AMKD_BIN" init-student --teacher "$w/teacher" --layers 2 --output "$w/student" 2>"$w/init.log"
grep -q "3.3M parameters" "$w/init.log" || { cat "$w/init.log"; fail "the student is not the 3.3M-parameter size"; }
cat >"$w/common.yaml" <<YAML
teacher: {path: $w/teacher}
student: {path: $w/student}
model: {path: $w/student}
data: {train: $w/train.jsonl, valid_size: 12, template: plain, max_prompt_length: 48, max_length: 80,
       length_grouping: true}
generation: {max_new_tokens: 12}
optim: {lr: 0.001}
train: {max_steps: 5, eval_every: 2, log_every: 1, seed: 3}
dist: {check_every: 1, bucket_mb: 2}
YAML
run() {  # run NAME NPROC BATCH COMMAND ARGS...
  local name="$1" nproc="$2" batch="$3" cmd="$4"; shift 4
  "$AMKD_BIN" launch --nproc "$nproc" "$cmd" "$w/common.yaml" --output "$w/$name" \
    --set train.batch_size="$batch" "$@" >"$w/$name.log" 2>&1 || { cat "$w/$name.log"; fail "$name"; }
}
cases=(
  "sft|sft|"
  "fkl|train|--objective fkl --set rollout.source=dataset"
  "jsd|train|--objective jsd --set rollout.source=student"
  "adaptive|train|--objective skl --set rollout.source=adaptive --set rollout.adaptive_init_prob=0.5 --set rollout.replay_capacity=8"
  "ammd|train|--objective ammd --set critic.form=network --set policy_gradient.enabled=true"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name cmd args <<<"$c"
  # shellcheck disable=SC2086
  run "${name}_1" 1 4 "$cmd" $args
  # shellcheck disable=SC2086
  run "${name}_2" 2 2 "$cmd" $args
  grep -q "^\[rank 0\] .*2 rank(s)" "$w/${name}_2.log" || fail "$name: not a 2-rank run"
  if grep "^\[rank 1\]" "$w/${name}_2.log" | grep -qv -i "warn\|error"; then
    grep "^\[rank 1\]" "$w/${name}_2.log"; fail "$name: rank 1 printed progress (only rank 0 reports)"
  fi
done
"$AMKD_PYTHON" - "$w" <<'PY'
import json, sys
from safetensors.numpy import load_file
w = sys.argv[1]
for name in ("sft", "fkl", "jsd", "adaptive", "ammd"):
    one, two = (load_file(f"{w}/{name}_{n}/final/model.safetensors") for n in (1, 2))
    start = load_file(f"{w}/student/model.safetensors")
    assert one.keys() == two.keys()
    worst = max(float(abs(one[k] - two[k]).max()) for k in one)
    moved = max(float(abs(one[k] - start[k]).max()) for k in one)
    rows = {n: [json.loads(l) for l in open(f"{w}/{name}_{n}/metrics.jsonl")] for n in (1, 2)}
    steps = {n: [r["step"] for r in rows[n] if "loss" in r] for n in (1, 2)}
    print(f"{name}: parameters moved up to {moved:.3e}; 2 ranks vs 1: max |diff| {worst:.3e}")
    assert moved > 1e-4, f"{name}: training did not change the student"
    assert worst <= 1e-5, f"{name}: 2 ranks x batch 2 differ from 1 rank x batch 4 by {worst:.3e}"
    assert steps[1] == steps[2] == [1, 2, 3, 4, 5], (name, steps)
    for a, b in zip(rows[1], rows[2]):
        for k in ("loss", "valid_nll", "valid_tv"):
            if k in a:
                assert abs(a[k] - b[k]) <= 1e-5 * max(1, abs(a[k])), (name, a["step"], k, a[k], b[k])
PY

# eval (with teacher diagnostics) and generate on 2 ranks: the same files as on 1, byte for byte;
# rank 0 generated only its batches (0 and 2 of 3), and only it reports.
ev=(eval --model "$w/fkl_1/final" --teacher "$w/teacher" --data dolly --template plain --seeds 10,20
    --max-new-tokens 12 --set eval.subset=10 --set generation.batch_size=4)
head -n 13 "$w/train.jsonl" >"$w/prompts.jsonl"
gen=(generate --model "$w/fkl_1/final" --data "$w/prompts.jsonl" --template plain --max-new-tokens 16
     --batch-size 3 --stop ".")
"$AMKD_BIN" "${ev[@]}" --output "$w/eval_1" >"$w/eval_1.log" 2>&1 || { cat "$w/eval_1.log"; fail "eval"; }
"$AMKD_BIN" "${gen[@]}" --output "$w/gen_1.jsonl" >"$w/gen_1.log" 2>&1 || { cat "$w/gen_1.log"; fail "generate"; }
"$AMKD_BIN" launch --nproc 2 "${ev[@]}" --output "$w/eval_2" >"$w/eval_2.log" 2>&1 || { cat "$w/eval_2.log"; fail "eval on 2 ranks"; }
"$AMKD_BIN" launch --nproc 2 "${gen[@]}" --output "$w/gen_2.jsonl" >"$w/gen_2.log" 2>&1 || { cat "$w/gen_2.log"; fail "generate on 2 ranks"; }
for f in eval_1/dolly.jsonl eval_1/summary.json gen_1.jsonl; do
  cmp "$w/$f" "$w/${f/_1/_2}" || fail "on 2 ranks, ${f/_1/} differs from the single-process one"
done
grep -q '"teacher":{"kl"' "$w/eval_1/dolly.jsonl" || fail "eval rows carry no teacher diagnostics"
grep -q '"finish_reason":"stop"' "$w/gen_1.jsonl" || fail "no generation ended at the stop string"
grep -q "seed 10: 8/10 prompts" "$w/eval_1.log" || fail "one process should report 8/10 prompts"
grep -q "^\[rank 0\] eval dolly seed 10: 10/10 prompts" "$w/eval_2.log" || fail "rank 0's progress"
grep -q "^\[rank 0\] eval dolly seed 10: 8/10" "$w/eval_2.log" && fail "rank 0 generated rank 1's batch"
grep "^\[rank 1\]" "$w/eval_2.log" "$w/gen_2.log" | grep -qv -i "warn\|error" && fail "rank 1 printed output"

# Started by hand (no launcher to stop anyone): rank 0 refuses its output directory (it exists),
# rank 1 must stop at the set-up agreement, not after dist.timeout_s.
ranks() {  # ranks NAME ARGS...: starts ranks 0 and 1 in the background, pids in $pids
  local name="$1"; shift
  local port; port="$("$AMKD_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  pids=()
  for r in 0 1; do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$AMKD_BIN" train "$w/common.yaml" --objective fkl --set train.batch_size=2 "$@" \
      >"$w/$name.$r.log" 2>&1 &
    pids+=($!)
  done
}
ranks refused --output "$w/fkl_2" --set dist.timeout_s=600
start=$SECONDS
wait "${pids[0]}" && fail "rank 0 accepted an existing output directory"
code1=0; wait "${pids[1]}" || code1=$?
[ "$code1" -eq 2 ] || { cat "$w/refused.1.log"; fail "rank 1 exited $code1, not 2, after rank 0 failed its set-up"; }
grep -q "output" "$w/refused.0.log" || { cat "$w/refused.0.log"; fail "rank 0 did not say why"; }
grep -q "stopping because rank 0 failed to set up" "$w/refused.1.log" || { cat "$w/refused.1.log"; fail "rank 1's message"; }
[ $((SECONDS - start)) -lt 60 ] || fail "the ranks took $((SECONDS - start)) s to stop"

# Rank 1 killed mid-run: rank 0 stops with an error instead of hanging.
ranks killed --output "$w/killed" --max-steps 100000 --set dist.timeout_s=600
until grep -q "^step 2/" "$w/killed.0.log" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$w/killed.0.log"; fail "rank 0 died early"; }
  sleep 0.5
done
kill -9 "${pids[1]}"
start=$SECONDS
code0=0; wait "${pids[0]}" || code0=$?
[ "$code0" -ne 0 ] || fail "rank 0 exited 0 after its peer was killed"
grep -q "all-reduce over 2 ranks failed" "$w/killed.0.log" || { tail -n 5 "$w/killed.0.log"; fail "rank 0's message"; }
[ $((SECONDS - start)) -lt 60 ] || fail "rank 0 took $((SECONDS - start)) s to stop"

# Rank 1 stopped (SIGSTOP) mid-run: rank 0 gives up after dist.timeout_s and names it.
ranks hung --output "$w/hung" --max-steps 100000 --set dist.timeout_s=10
until grep -q "^step 2/" "$w/hung.0.log" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$w/hung.0.log"; fail "rank 0 died early"; }
  sleep 0.5
done
kill -STOP "${pids[1]}"
start=$SECONDS
code0=0; wait "${pids[0]}" || code0=$?
kill -9 "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
[ "$code0" -ne 0 ] || fail "rank 0 exited 0 while its peer was stopped"
grep -q "rank 1 stopped answering" "$w/hung.0.log" || { tail -n 5 "$w/hung.0.log"; fail "rank 0 did not name rank 1"; }
[ $((SECONDS - start)) -lt 60 ] || fail "rank 0 took $((SECONDS - start)) s to stop (dist.timeout_s is 10)"

# Under amkd launch: a killed rank stops the other, and launch exits with the killed rank's code.
"$AMKD_BIN" launch --nproc 2 train "$w/common.yaml" --objective fkl --set train.batch_size=2 \
  --output "$w/launched" --max-steps 100000 >"$w/launched.log" 2>&1 &
launcher=$!
until grep -q "^\[rank 0\] step 2/" "$w/launched.log" 2>/dev/null; do sleep 0.5; done
for pid in $(pgrep -f "amkd train $w/common.yaml --objective fkl --set train.batch_size=2 --output $w/launched"); do
  tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "RANK=1" && kill -9 "$pid"
done
code=0; wait "$launcher" || code=$?
# Rank 0 fails too as soon as its peer is gone; launch exits with whichever failure it saw first.
grep -q "launch: rank 1 exited with code 137" "$w/launched.log" || { tail -n 5 "$w/launched.log"; fail "launch's message"; }
first="$(grep -m1 -o "exited with code [0-9]*; stopping the other ranks" "$w/launched.log" | grep -o "[0-9]*")"
[ "$code" -ne 0 ] && [ "$code" -eq "$first" ] || fail "launch exited $code; the first failure had code $first"
echo "all ok"
