#!/usr/bin/env bash
# Data-parallel cost on this machine, measured side by side in one run:
#  1. all-reduce bandwidth of the CPU engine (c10d Gloo) on a 135M-parameter fp32 gradient,
#     2 local ranks, through amkd's bucketed reduction (the training step's path);
#  2. step time of one process (all cores) against 2 processes (half the cores each) at the
#     same global batch (4), for fkl on dataset responses and ammd (the defaults), on the
#     quickstart pair (SmolLM2-135M-Instruct teacher, its 8-layer student): median of steps 3-STEPS.
# Usage: scripts/bench_dist.sh   (BENCH_STEPS=10 by default; models from scripts/quickstart.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python"
build="$root/${AMKD_BUILD_DIR:-build}"
steps="${BENCH_STEPS:-10}"
cmake --build "$build" --target amkd amkd_bench_allreduce >/dev/null
amkd="$build/amkd"
models="${QUICKSTART_DIR:-$root}/models"
teacher="$models/smollm2-135m-instruct" student="$models/smollm2-135m-student-8l"
[ -f "$teacher/config.json" ] && [ -f "$student/config.json" ] \
  || { echo "no quickstart models in $models: run scripts/quickstart.sh first" >&2; exit 2; }
cores="$(nproc)"
w="$build/bench/dist"
rm -rf "$w" && mkdir -p "$w"
echo "$(lscpu | sed -n 's/^Model name: *//p'), $cores cores"

echo "all-reduce, 2 ranks, 135M fp32 values (540 MB), 25 MB buckets:"
OMP_NUM_THREADS=$((cores / 2 > 0 ? cores / 2 : 1)) "$amkd" launch --nproc 2 -- \
  "$build/amkd_bench_allreduce" --params 135000000 --repeats 5 2>/dev/null | sed -n 's/^\[rank 0\] //p'

for objective in fkl ammd; do
  for nproc in 1 2; do
    out="$w/$objective-$nproc"
    OMP_NUM_THREADS=$((cores / nproc > 0 ? cores / nproc : 1)) "$amkd" launch --nproc "$nproc" \
      train "$root/recipes/quickstart.yaml" --teacher "$teacher" --student "$student" \
      --objective "$objective" --set off_policy.source=dataset --set rollout.source=dataset \
      --set sft_stage.max_steps=0 --set data.valid_size=0 --set train.batch_size=$((4 / nproc)) \
      --max-steps "$steps" --output "$out" >"$out.log" 2>&1 || { tail -n 20 "$out.log"; exit 1; }
  done
done
"$py" - "$w" "$steps" <<'PY'
import json, statistics, sys
w, steps = sys.argv[1], int(sys.argv[2])
def median_step(name):
    rows = [json.loads(l) for l in open(f"{w}/{name}/metrics.jsonl")]
    return statistics.median(r["time_s"]["step"] for r in rows if "loss" in r and r["step"] >= 3)
print(f"step time at global batch 4 (median of steps 3-{steps}):")
for objective in ("fkl", "ammd"):
    one, two = median_step(f"{objective}-1"), median_step(f"{objective}-2")
    print(f"  {objective:5s} 1 process {one:.3f} s   2 processes {two:.3f} s   2/1 = {two / one:.2f}")
PY
