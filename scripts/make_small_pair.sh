#!/usr/bin/env bash
# A small teacher/student pair for distillation tests and ablations, built in OUT:
#   OUT/train.jsonl, OUT/valid.jsonl  180 / 35 short items of the bundled Dolly dev split
#   OUT/common.yaml                   data and optimiser settings for this pair
#   OUT/teacher                       stories260K (llama2.c, converted) fine-tuned 150 steps by amkd sft
#   OUT/student                       the teacher's first 2 of its 5 layers
# Usage: scripts/make_small_pair.sh OUT   (AMKD_BIN, AMKD_PYTHON: the binary and the venv python)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$1"
bin="${AMKD_BIN:-$root/build/amkd}"
py="${AMKD_PYTHON:-${AMKD_VENV:-$HOME/.cache/amkd/venv}/bin/python}"
rm -rf "$out" && mkdir -p "$out"
"$py" "$root/scripts/convert_llama2c.py" "$root/data/models/stories260K/stories260K.bin" "$out/stories" \
  --tokenizer "$root/data/models/stories260K/tok512.bin" --no-verify >/dev/null
"$py" - "$root/data/dolly/minillm_dolly_dev_1000.jsonl" "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
short = [r for r in rows if not r["input"] and len(r["instruction"]) < 80 and len(r["output"]) < 120]
with open(f"{sys.argv[2]}/train.jsonl", "w") as f:
    f.writelines(json.dumps({"id": f"t{i}", "instruction": r["instruction"], "input": "", "output": r["output"]}) + "\n"
                 for i, r in enumerate(short[:180]))
with open(f"{sys.argv[2]}/valid.jsonl", "w") as f:
    f.writelines(json.dumps({"instruction": r["instruction"], "input": "", "output": r["output"]}) + "\n" for r in short[180:])
PY
cat >"$out/common.yaml" <<YAML
data: {train: $out/train.jsonl, valid: $out/valid.jsonl, template: plain, max_prompt_length: 48, max_length: 128}
optim: {lr: 0.003, weight_decay: 0.0}
schedule: {type: constant}
train: {batch_size: 8, log_every: 50}
YAML
"$bin" sft "$out/common.yaml" --model "$out/stories" --output "$out/teacher_run" --max-steps 150 2>&1 | tail -n 1
mv "$out/teacher_run/final" "$out/teacher"
"$py" - "$out/teacher" "$out/student" <<'PY'
import sys, torch
from transformers import AutoModelForCausalLM
m = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32)
m.model.layers = m.model.layers[:2]
m.config.num_hidden_layers = 2
m.save_pretrained(sys.argv[2])
PY
cp "$out/teacher/"tokenizer* "$out/student/"
