#!/usr/bin/env bash
# The checks that need an NVIDIA GPU, in one run (CI has no GPU; run this by hand on a machine
# with one). Builds amkd against that machine's python3 torch (with CUDA), then:
#   1. the [cuda] tests (kernels vs their CPU reference, the NCCL process group),
#   2. the same 10 training steps (fkl on dataset responses, ammd with a learned critic) on the
#      CPU and on the GPU in fp32: per-step losses must agree (to 2e-3 relative),
#   3. seconds per step on the GPU in fp32 and with bf16 autocast, against the CPU,
#   4. two ranks over NCCL where the machine has two GPUs (one GPU: a second rank on the same
#      GPU must get a clear error and exit 2), and the time to sample 32 tokens for 8 prompts,
#   5. scripts/bench_forward.py's model: amkd vs transformers on the GPU, fp32 and bf16
#      (GPU_CHECK_BENCH=0 skips it).
# The machine needs python3 with torch (CUDA), transformers, cmake, ninja, g++ and nvcc; the
# C++ libraries amkd links come as Debian .deb files in DEPS_DIR (unpacked into a private
# prefix, nothing installed), made on a Debian 12 machine with
#   apt-get download libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev libfmt-dev libfmt9 \
#     nlohmann-json3-dev catch2 libsentencepiece-dev libsentencepiece0 libpcre2-dev \
#     libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libutf8proc-dev libutf8proc2 \
#     libgloo-dev pkgconf pkgconf-bin libpkgconf3
#   scripts/gpu_check.sh DEPS_DIR [WORK_DIR]      (prints a report; exit 1 when a check fails)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
deps="$(cd "${1:?usage: gpu_check.sh DEPS_DIR [WORK_DIR]}" && pwd)"
work="${2:-/tmp/amkd-gpu}"
mkdir -p "$work"
failed=()
say() { printf '[gpu_check] %s\n' "$*"; }
check() { # check NAME COMMAND...: runs, records a failure without stopping
  local name="$1"; shift
  if "$@"; then say "ok: $name"; else say "FAILED: $name"; failed+=("$name"); fi
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
gpus=$(python3 -c 'import torch; print(torch.cuda.device_count())')
say "python3 torch $(python3 -c 'import torch; print(torch.__version__)'), $gpus GPU(s), $(nproc) cores"

# The Debian libraries in a private prefix; pkg-config answers with paths inside it.
prefix="$work/deps"
mkdir -p "$prefix"
for f in "$deps"/*.deb; do dpkg-deb -x "$f" "$prefix"; done
arch_lib="$prefix/usr/lib/x86_64-linux-gnu"
export PKG_CONFIG_PATH="$arch_lib/pkgconfig:$prefix/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$prefix"
export PKG_CONFIG_LIBDIR="$PKG_CONFIG_PATH"
pkgconf="$work/pkg-config"  # Debian's pkgconf, with its own library
printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$arch_lib" "$prefix/usr/bin/pkgconf" >"$pkgconf"
chmod +x "$pkgconf"
torch_prefix="$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
build="$work/build"
start=$(date +%s)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMKD_CUDA=ON \
  -DTORCH_CUDA_ARCH_LIST="$(python3 -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())')" \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr" -DPKG_CONFIG_EXECUTABLE="$pkgconf" \
  -DAMKD_PYTHON=python3 >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target amkd amkd_cuda_tests amkd_bench_forward \
  >"$work/build.log" 2>&1 || { grep -B2 -A12 "error" "$work/build.log" | head -80; exit 1; }
say "built in $(($(date +%s) - start)) s"
export LD_LIBRARY_PATH="$arch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
amkd="$build/amkd"

# 1. [cuda] tests
check "[cuda] tests" "$build/tests/amkd_cuda_tests"

# Models: the 3.3M-parameter student of the distributed test (GPT-2 vocabulary) and its teacher.
python3 "$root/scripts/make_gpt2_teacher.py" "$work" 400 || exit 1
"$amkd" init-student --teacher "$work/teacher" --layers 2 --output "$work/student" >/dev/null 2>&1
cat >"$work/common.yaml" <<YAML
teacher: {path: $work/teacher}
student: {path: $work/student}
model: {path: $work/student}
data: {train: $work/train.jsonl, valid_size: 16, template: plain, max_prompt_length: 64, max_length: 128}
generation: {max_new_tokens: 32}
optim: {lr: 0.001}
train: {max_steps: 10, eval_every: 0, log_every: 5, seed: 3, batch_size: 8}
YAML
train() { # train NAME DEVICE PRECISION OBJECTIVE ARGS...: prints the median step time
  local name="$1" dev="$2" prec="$3" obj="$4"; shift 4
  "$amkd" train "$work/common.yaml" --output "$work/$name" --objective "$obj" --device "$dev" \
    --set train.precision="$prec" "$@" >"$work/$name.log" 2>&1 || { tail -20 "$work/$name.log"; return 1; }
  python3 - "$name" "$work/$name/metrics.jsonl" <<'PY'
import json, statistics, sys
steps = [r["time_s"]["step"] for r in map(json.loads, open(sys.argv[2])) if "time_s" in r]
print(f"{sys.argv[1]}: median {statistics.median(steps[2:]):.3f} s/step over steps 3-{len(steps)}")
PY
  grep -h "train done" "$work/$name.log"
}
same_losses() { # same_losses RUN_A RUN_B: per-step losses within 2e-3 relative
  python3 - "$work/$1/metrics.jsonl" "$work/$2/metrics.jsonl" <<'PY'
import json, sys
def losses(p):
    return {r["step"]: r["loss"] for r in map(json.loads, open(p)) if "loss" in r and "step" in r}
a, b = map(losses, sys.argv[1:3])
assert a and a.keys() == b.keys(), (sorted(a), sorted(b))
worst = max(abs(a[s] - b[s]) / max(abs(a[s]), 1e-6) for s in a)
print(f"{len(a)} steps, worst relative loss difference {worst:.2e}")
sys.exit(0 if worst < 2e-3 else 1)
PY
}
# 2. and 3.
for obj in fkl ammd; do
  args=(--set rollout.source=dataset)
  [ "$obj" = ammd ] && args+=(--set critic.form=network)
  check "$obj on cpu" train "${obj}_cpu" cpu fp32 "$obj" "${args[@]}"
  check "$obj on cuda fp32" train "${obj}_cuda" cuda fp32 "$obj" "${args[@]}"
  check "$obj: cuda fp32 losses equal cpu's" same_losses "${obj}_cpu" "${obj}_cuda"
  check "$obj on cuda bf16" train "${obj}_cuda_bf16" cuda bf16 "$obj" "${args[@]}"
done

# 4. NCCL across ranks
if [ "$gpus" -ge 2 ]; then
  check "two ranks over NCCL" "$amkd" launch --nproc 2 train "$work/common.yaml" --output "$work/nccl" \
    --objective fkl --set rollout.source=dataset --device cuda --set train.batch_size=4 \
    --set train.precision=fp32
  check "NCCL 2x4 equals 1x8" same_losses fkl_cuda nccl
else
  # Two ranks on the one GPU: NCCL refuses that; amkd must say so and exit 2.
  two_on_one() {
    local code=0
    timeout 120 "$amkd" launch --nproc 2 train "$work/common.yaml" --output "$work/nccl" \
      --objective fkl --set rollout.source=dataset --device cuda:0 --set train.batch_size=4 \
      >"$work/nccl.log" 2>&1 || code=$?
    grep -i "error" "$work/nccl.log" | head -4
    [ "$code" -eq 2 ] && grep -q "uses the same GPU" "$work/nccl.log"
  }
  check "two ranks on one GPU: a clear error, exit 2" two_on_one
fi

# Sampling on the GPU: 8 prompts, 32 new tokens, sampled and greedy (where the AMMD step's time
# goes at this size).
head -n 8 "$work/train.jsonl" >"$work/prompts.jsonl"
for mode in "" --greedy; do
  "$amkd" generate --model "$work/student" --data "$work/prompts.jsonl" --output "$work/gen.jsonl" \
    --template plain --max-new-tokens 32 --batch-size 8 --device cuda $mode 2>&1 | tail -n 1
done

# 5. forward throughput, amkd vs transformers, side by side (GPU_CHECK_BENCH=0 skips it)
[ "${GPU_CHECK_BENCH:-1}" = 1 ] && python3 "$root/scripts/bench_forward.py" make "$work/forward_model" >/dev/null
for dt in fp32 bf16; do
  [ "${GPU_CHECK_BENCH:-1}" = 1 ] || break
  for b in 8 32; do
    hf=$(python3 "$root/scripts/bench_forward.py" hf "$work/forward_model" --batch $b --seq 512 --iters 20 \
      --threads 8 --device cuda --dtype $dt)
    ours=$("$build/amkd_bench_forward" "$work/forward_model" --batch $b --seq 512 --iters 20 --threads 8 \
      --device cuda --dtype $dt)
    python3 -c "import json,sys; h,a=(json.loads(x)['tokens_per_s'] for x in sys.argv[1:3]); print(f'forward $dt batch $b x 512 on the GPU: transformers {h:.0f} tok/s, amkd {a:.0f} tok/s, ratio {a/h:.2f}')" "$hf" "$ours"
  done
done

if [ ${#failed[@]} -gt 0 ]; then say "failed: ${failed[*]}"; exit 1; fi
say "all GPU checks passed"
