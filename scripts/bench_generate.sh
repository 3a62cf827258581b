#!/usr/bin/env bash
# Generation throughput (new tokens/s) of amkd generate vs transformers' generate, greedy, same
# model (Llama, 8 layers, width 512, vocab 32000, Mistral's tokenizer), same DollyEval prompts,
# 128 new tokens, batch sizes 1, 8 and 32, CPU, measured in one run. Prints the ratios.
#   AMKD_BENCH_THREADS (nproc)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
py="${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python"
build="$root/${AMKD_BUILD_DIR:-build}"
model="$build/bench/generate_model"
k="${AMKD_BENCH_THREADS:-$(nproc)}"
if [ ! -f "$model/tokenizer.json" ]; then
  "$py" "$root/scripts/bench_forward.py" make "$model" >/dev/null
  cp "$root/data/tokenizers/mistral_v1/tokenizer.json" "$root/data/tokenizers/mistral_v1/tokenizer_config.json" "$model/"
fi
echo "greedy, 128 new tokens, $k threads; $(lscpu | sed -n 's/^Model name: *//p')"
for b in 1 8 32; do
  n=$(( b == 1 ? 4 : b ))
  head -n "$n" "$root/data/eval/minillm_dolly_eval_500.jsonl" >"$build/bench/prompts_$b.jsonl"
  hf=$("$py" "$root/scripts/bench_generate.py" "$model" "$build/bench/prompts_$b.jsonl" --batch "$b" --new 128 --threads "$k")
  amkd_log=$(OMP_NUM_THREADS="$k" "$build/amkd" generate --model "$model" --data "$build/bench/prompts_$b.jsonl" \
    --output "$build/bench/out_$b.jsonl" --greedy --max-new-tokens 128 --batch-size "$b" 2>&1 | tail -n 1)
  "$py" - "$b" "$hf" "$amkd_log" <<'PY'
import json, re, sys
b, hf = sys.argv[1], json.loads(sys.argv[2])
m = re.search(r"\((\d+) tokens\) in ([0-9.]+)s", sys.argv[3])
amkd = int(m.group(1)) / float(m.group(2))
print(f"batch {b:>2}: transformers {hf['tokens_per_s']:7.1f} tok/s ({hf['new_tokens']} tokens), "
      f"amkd {amkd:7.1f} tok/s ({m.group(1)} tokens), amkd/transformers = {amkd / hf['tokens_per_s']:.2f}")
PY
done
