#!/usr/bin/env bash
# Encode throughput of amkd's tokenizers vs Hugging Face's (Rust `tokenizers` for tokenizer.json,
# `sentencepiece` for tokenizer.model), one thread each, same 15009 texts, measured in one run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
py="${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python"
build="$root/${AMKD_BUILD_DIR:-build}"
cmake --build "$build" --target amkd_bench_tokenize >/dev/null
ref="$build/bench/tokenizer_reference"
[ -f "$ref/gpt2/reference.jsonl" ] || "$py" "$root/scripts/make_tokenizer_reference.py" "$ref" "$root/data" >/dev/null
echo "one thread each; $(lscpu | sed -n 's/^Model name: *//p')"
for name in gpt2 mistral_json bpe_trained mistral_sp sp_unigram_trained; do
  hf=$("$py" "$root/scripts/make_tokenizer_reference.py" bench "$ref/$name" 3)
  amkd=$(OMP_NUM_THREADS=1 "$build/amkd_bench_tokenize" "$ref/$name" --repeats 3)
  "$py" - "$name" "$hf" "$amkd" <<'PY'
import json, sys
name, amkd = sys.argv[1], json.loads(sys.argv[3])
# The faster of Hugging Face's two modes (a Python loop of encode, or one encode_batch on one thread).
hf = max((json.loads(line) for line in sys.argv[2].splitlines()), key=lambda r: r["lines_per_s"])
print(f"{name:20s} {hf['impl']:14s} {hf['lines_per_s']:9.0f} lines/s   amkd {amkd['lines_per_s']:9.0f} lines/s"
      f"   amkd/{hf['impl']} = {amkd['lines_per_s'] / hf['lines_per_s']:.2f}")
PY
done
