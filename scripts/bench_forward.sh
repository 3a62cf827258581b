#!/usr/bin/env bash
# Forward throughput (tokens/s) of amkd vs transformers' eager forward, same model, batch and
# threads, device and dtype, measured side by side in one run. Prints both and the ratio.
#   AMKD_BENCH_BATCH (4) AMKD_BENCH_SEQ (128) AMKD_BENCH_ITERS (5) AMKD_BENCH_THREADS (nproc)
#   AMKD_BENCH_DEVICE (cpu; cuda on a GPU machine) AMKD_BENCH_DTYPE (fp32 or bf16)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
py="${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python"
build="$root/${AMKD_BUILD_DIR:-build}"
cmake --build "$build" --target amkd_bench_forward >/dev/null
model="$build/bench/forward_model"
[ -f "$model/config.json" ] || "$py" "$root/scripts/bench_forward.py" make "$model"
b="${AMKD_BENCH_BATCH:-4}" t="${AMKD_BENCH_SEQ:-128}" n="${AMKD_BENCH_ITERS:-5}" k="${AMKD_BENCH_THREADS:-$(nproc)}"
dev="${AMKD_BENCH_DEVICE:-cpu}" dt="${AMKD_BENCH_DTYPE:-fp32}"
echo "model: Llama 8 layers, width 512, vocab 32000 ($dt on $dev); batch $b x $t tokens, $n iterations, $k threads; $(lscpu | sed -n 's/^Model name: *//p')"
hf=$("$py" "$root/scripts/bench_forward.py" hf "$model" --batch "$b" --seq "$t" --iters "$n" --threads "$k" --device "$dev" --dtype "$dt")
amkd=$("$build/amkd_bench_forward" "$model" --batch "$b" --seq "$t" --iters "$n" --threads "$k" --device "$dev" --dtype "$dt")
echo "$hf"
echo "$amkd"
"$py" - "$hf" "$amkd" <<'PY'
import json, sys
hf, amkd = (json.loads(a)["tokens_per_s"] for a in sys.argv[1:3])
print(f"transformers {hf:.0f} tok/s, amkd {amkd:.0f} tok/s, ratio amkd/transformers = {amkd / hf:.2f}")
PY
