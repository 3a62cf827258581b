#!/usr/bin/env bash
# amkd sft end to end: a tiny random Llama with Mistral's tokenizer overfits four Dolly-style
# examples (loss < 0.05, greedy generation reproduces every response), its final validation loss
# equals transformers' mean response NLL of the saved model, and bad data is reported.
source "$(dirname "$0")/../lib.sh"
w="$(scratch sft)"
"$AMKD_PYTHON" - "$w/model" <<'PY'
import sys, torch
from transformers import LlamaConfig, LlamaForCausalLM
torch.manual_seed(0)
c = LlamaConfig(vocab_size=32000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, bos_token_id=1, eos_token_id=2,
                tie_word_embeddings=True)
LlamaForCausalLM(c).save_pretrained(sys.argv[1])
PY
cp "$AMKD_ROOT/data/tokenizers/mistral_v1/"tokenizer.json "$AMKD_ROOT/data/tokenizers/mistral_v1/"tokenizer_config.json "$w/model/"
cat >"$w/train.jsonl" <<'JSONL'
{"instruction": "Name the largest planet.", "context": "", "response": "Jupiter is the largest planet."}
{"instruction": "What colour is the sky?", "context": "", "response": "Blue, on a clear day."}
{"instruction": "Summarise the text.", "context": "Cats sleep a lot and hunt at night.", "response": "Cats are nocturnal sleepers."}
{"instruction": "Translate to French: hello", "context": "", "response": "Bonjour"}
JSONL
cat >"$w/recipe.yaml" <<YAML
model: {path: $w/model}
data: {train: $w/train.jsonl, valid: $w/train.jsonl, template: dolly}
optim: {lr: 0.01, weight_decay: 0.0}
schedule: {type: constant}
train: {batch_size: 2, grad_accum: 2, max_steps: 120, log_every: 40, eval_every: 60, save_every: 100, output_dir: $w/run}
YAML
"$AMKD_BIN" sft "$w/recipe.yaml" 2>&1 | tee "$w/log.txt"
[ -f "$w/run/final/model.safetensors" ] && [ -f "$w/run/final/recipe.yaml" ] && [ -f "$w/run/checkpoint-100/config.json" ] \
  || fail "checkpoints missing"
"$AMKD_PYTHON" "$AMKD_ROOT/tests/reference/check_tensorboard.py" "$w/run"
"$AMKD_BIN" generate --model "$w/run/final" --data "$w/train.jsonl" --output "$w/gen.jsonl" --greedy --max-new-tokens 24
"$AMKD_PYTHON" - "$w" <<'PY'
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
w = sys.argv[1]
rows = [json.loads(l) for l in open(f"{w}/run/metrics.jsonl")]
steps = [r for r in rows if "loss" in r]
valid = [r for r in rows if "valid_loss" in r]
assert [r["step"] for r in steps] == list(range(1, 121)), "one metrics line per step"
assert steps[-1]["loss"] < 0.05, f"did not overfit: final loss {steps[-1]['loss']}"
assert [r["step"] for r in valid] == [60, 120]
# transformers' mean NLL over response tokens (+ EOS) of the saved model, written independently.
tok = AutoTokenizer.from_pretrained(f"{w}/run/final")
model = AutoModelForCausalLM.from_pretrained(f"{w}/run/final", dtype=torch.float32).eval()
nll, count = 0.0, 0
data = [json.loads(l) for l in open(f"{w}/train.jsonl")]
for ex in data:
    ctx = f"\n\n### Input:\n{ex['context']}" if ex["context"] else ""
    prompt = ("Below is an instruction that describes a task" + (", paired with an input that provides further context" if ctx else "")
              + ". Write a response that appropriately completes the request.\n\n"
              + f"### Instruction:\n{ex['instruction']}{ctx}\n\n### Response:\n")
    p = tok(prompt, add_special_tokens=True)["input_ids"]
    r = tok(ex["response"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids = torch.tensor([p + r])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].double(), -1)
    for t in range(len(p) - 1, len(p) + len(r) - 1):
        nll -= logp[t, ids[0, t + 1]].item(); count += 1
hf = nll / count
assert abs(hf - valid[-1]["valid_loss"]) < 1e-4, f"valid loss {valid[-1]['valid_loss']} vs transformers {hf}"
gen = [json.loads(l) for l in open(f"{w}/gen.jsonl")]
for g, ex in zip(gen, data):
    assert g["response"] == ex["response"] and g["finish_reason"] == "eos", (g["response"], ex["response"])
print(f"sft ok: final loss {steps[-1]['loss']:.4f}, valid {valid[-1]['valid_loss']:.5f} = transformers {hf:.5f}")
PY

# Bad data: reported with file:line, or skipped and counted; long prompts truncated and counted.
long="$(printf 'word %.0s' $(seq 400))"
{
  cat "$w/train.jsonl"
  echo '{"instruction": "No answer here", "context": "", "response": "   "}'
  echo '{"instruction": "Missing response field"}'
  echo 'not json'
  echo "{\"instruction\": \"$long\", \"context\": \"\", \"response\": \"ok\"}"
} >"$w/bad.jsonl"
expect_error() {  # expect_error PATTERN ARGS...: exit 2 with PATTERN on stderr
  local pattern="$1"; shift
  set +e; "$AMKD_BIN" "$@" >"$w/out.txt" 2>"$w/err.txt"; local rc=$?; set -e
  [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$w/err.txt" || { cat "$w/err.txt"; fail "expected exit 2 and '$pattern' (got $rc)"; }
}
expect_error "bad.jsonl:5: the response is empty" sft "$w/recipe.yaml" --data "$w/bad.jsonl" --output "$w/bad_run"
[ ! -e "$w/bad_run" ] || fail "a run that failed while loading left its directory behind"
"$AMKD_BIN" sft "$w/recipe.yaml" --data "$w/bad.jsonl" --output "$w/skip_run" --max-steps 2 \
  --set data.on_bad_line=skip --set data.valid_size=0 --set 'data.valid=""' 2>"$w/err.txt"
grep -q "skipped 3 bad lines (first: .*bad.jsonl:5: the response is empty" "$w/err.txt" || { cat "$w/err.txt"; fail "skips not counted"; }
grep -q "train: 1 prompt longer than data.max_prompt_length=256 tokens kept its beginning" "$w/err.txt" || { cat "$w/err.txt"; fail "truncation not reported"; }
# An existing run is never overwritten; wrong settings are refused before anything is written.
cp "$w/run/metrics.jsonl" "$w/metrics.before"
expect_error "holds an earlier run" sft "$w/recipe.yaml"
cmp -s "$w/run/metrics.jsonl" "$w/metrics.before" || fail "earlier run damaged"
expect_error "fewer than one step's batch" sft "$w/recipe.yaml" --output "$w/r2" --set train.batch_size=8
expect_error "model.dtype: sft keeps fp32 weights" sft "$w/recipe.yaml" --output "$w/r3" --set model.dtype=bf16
expect_error "data.max_prompt_length (600) must be below data.max_length (512)" sft "$w/recipe.yaml" --output "$w/r4" --set data.max_prompt_length=600
echo "all ok"
