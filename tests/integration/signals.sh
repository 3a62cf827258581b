#!/usr/bin/env bash
# Signals end a run cleanly: SIGTERM (sft) and SIGUSR1 (train) finish the current step, write
# checkpoint-STEP and exit 128 + the signal's number; a second SIGINT exits at once (130); under
# amkd launch, SIGTERM reaches both ranks, which stop at the same step with one checkpoint.
source "$(dirname "$0")/../lib.sh"
w="$(scratch signals)"
make_tiny_llama "$w/model"
head -n 200 "$AMKD_ROOT/data/dolly/minillm_dolly_train_11435.jsonl" >"$w/train.jsonl"
cat >"$w/recipe.yaml" <<YAML
model: {path: $w/model}
teacher: {path: $w/model}
student: {path: $w/model}
data: {train: $w/train.jsonl, valid_size: 4, template: plain, max_prompt_length: 32, max_length: 48}
train: {batch_size: 2, max_steps: 100000, log_every: 1}
YAML
# start NAME COMMAND ARGS...: runs amkd in the background (pid in $pid), waits for its step 3.
start() {
  local name="$1"; shift
  "$AMKD_BIN" "$@" >"$w/$name.log" 2>&1 &
  pid=$!
  until grep -q "step 3/" "$w/$name.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$w/$name.log"; fail "$name ended before step 3"; }
    sleep 0.2
  done
}
# stopped NAME SIGNAL CODE: sends SIGNAL, expects exit CODE and a complete checkpoint.
stopped() {
  local name="$1" signal="$2" code="$3" rc=0
  kill -s "$signal" "$pid"
  wait "$pid" || rc=$?
  [ "$rc" -eq "$code" ] || { tail -n 5 "$w/$name.log"; fail "$name: exit $rc after SIG$signal, expected $code"; }
  local line step
  line="$(grep -E "stopping on SIG$signal after step [0-9]+: the student is in " "$w/$name.log")" \
    || { tail -n 5 "$w/$name.log"; fail "$name: no stop message"; }
  step="$(sed -E 's/.*after step ([0-9]+).*/\1/' <<<"$line")"
  [ "$step" -ge 3 ] || fail "$name: stopped at step $step, before the signal"
  "$AMKD_BIN" inspect "$w/$name/checkpoint-$step" >/dev/null || fail "$name: checkpoint-$step does not load"
  [ "$(grep -c '"loss"' "$w/$name/metrics.jsonl")" -eq "$step" ] || fail "$name: metrics.jsonl does not end at step $step"
  echo "ok  $name: SIG$signal -> exit $rc, checkpoint-$step"
}

start sft_term sft "$w/recipe.yaml" --output "$w/sft_term"
stopped sft_term TERM 143
start train_usr1 train "$w/recipe.yaml" --objective fkl --set rollout.source=dataset --output "$w/train_usr1"
stopped train_usr1 USR1 138

# Ctrl-C twice: out at once, exit 130.
start sft_int sft "$w/recipe.yaml" --output "$w/sft_int"
kill -INT "$pid"; kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || fail "two SIGINTs: exit $rc, expected 130"
echo "ok  sft_int: SIGINT twice -> exit 130"

# Two ranks under amkd launch: launch forwards SIGTERM; both ranks stop after the same step.
start launched launch --nproc 2 sft "$w/recipe.yaml" --output "$w/launched"
stopped launched TERM 143
[ "$(grep -c "stopping on SIGTERM" "$w/launched.log")" -eq 1 ] || fail "launched: only rank 0 reports the stop"
ls -d "$w/launched"/checkpoint-* | wc -l | grep -qx 1 || fail "launched: expected one checkpoint"
echo "all ok"
