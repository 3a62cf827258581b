#!/usr/bin/env bash
# amkd convert --gguf on SmolLM2-135M-Instruct (Q4_1, Q8_0 and F32 tensors) against transformers'
# own GGUF loading: the same token ids, chat rendering and fp32 log-probs; and transformers loads
# the converted directory as it is, to the same numbers.
source "$(dirname "$0")/../lib.sh"
gguf="$(teacher_gguf)"
out="$(scratch gguf_convert)"
"$AMKD_BIN" convert --gguf "$gguf" --output "$out/model"

# Texts: held-out Dolly prompts plus digits, whitespace runs, non-ASCII and special tokens.
"$AMKD_PYTHON" - "$AMKD_ROOT/data/dolly/minillm_dolly_dev_1000.jsonl" "$out/texts.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")][:24]
texts = [r["prompt"] for r in rows]
texts += ["Pi is 3.14159265, not 22/7; 1,000,000 > 99999.", "  two  spaces\t\ttabs\n\n\nlines  ",
          "naïve café, Größe, 東京タワー, emoji 🤖👍🏽", "<|im_start|>user\nhi<|im_end|>\n<|endoftext|>",
          "don't won't it's I'M we'LL", ""]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for t in texts:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
PY
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/gguf_reference.py" "$gguf" "$out/texts.jsonl" "$out/ref" --score 6

"$AMKD_BIN" tokenize --model "$out/model" --input "$out/texts.jsonl" --output "$out/ids.jsonl"
"$AMKD_BIN" tokenize --model "$out/model" --input "$out/ref/chat.jsonl" --output "$out/chat_ids.jsonl" --no-special
"$AMKD_BIN" score --model "$out/model" --input "$out/ref/reference.jsonl" --output "$out/scored.jsonl"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/compare_logprobs.py" "$out/scored.jsonl" "$out/ref/reference.jsonl" --tol 1e-4
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/check_hf_load.py" "$out/model" "$out/ref/reference.jsonl" --tol 1e-4

"$AMKD_PYTHON" - "$out" <<'PY'
import json, sys
from transformers import AutoTokenizer
out = sys.argv[1]
def rows(p): return [json.loads(l) for l in open(p, encoding="utf-8")]
bad = []
for name, mine, ref in [("ids", "ids.jsonl", "ref/ids.jsonl"), ("chat ids", "chat_ids.jsonl", "ref/chat.jsonl")]:
    a, b = rows(f"{out}/{mine}"), rows(f"{out}/{ref}")
    assert len(a) == len(b), (name, len(a), len(b))
    bad += [f"{name} line {i + 1}: amkd {x['ids'][:12]}... vs transformers {y['ids'][:12]}..."
            for i, (x, y) in enumerate(zip(a, b)) if x["ids"] != y["ids"]]
# transformers reading amkd's tokenizer files gives the GGUF tokenizer's ids and chat rendering.
tok = AutoTokenizer.from_pretrained(f"{out}/model")
for i, (t, c) in enumerate(zip(rows(f"{out}/ref/ids.jsonl"), rows(f"{out}/ref/chat.jsonl"))):
    if tok(t["text"]).input_ids != t["ids"]:
        bad.append(f"transformers on amkd's tokenizer.json, line {i + 1}: ids differ")
    rendered = tok.apply_chat_template([{"role": "user", "content": t["text"]}], tokenize=False,
                                       add_generation_prompt=True)
    if rendered != c["text"]:
        bad.append(f"chat template on amkd's tokenizer_config.json, line {i + 1}: {rendered!r}")
if tok.eos_token != "<|im_end|>" or tok.bos_token != "<|im_start|>":
    bad.append(f"special tokens: bos {tok.bos_token!r} eos {tok.eos_token!r}")
print("\n".join(bad) or f"{len(rows(out + '/ids.jsonl'))} texts: ids, chat ids and template agree")
sys.exit(1 if bad else 0)
PY

# amkd init-student keeps teacher layers 0, 10, 19 and 29 of 30 (--layers 4, spread): the same
# model built in transformers by deleting the other layers gives its log-probs, and
# transformers loads the student directory as it is.
"$AMKD_BIN" init-student --teacher "$out/model" --layers 4 --output "$out/student"
"$AMKD_PYTHON" - "$out" <<'PY'
import json, sys, torch
sys.path.insert(0, __import__("os").environ["AMKD_ROOT"] + "/scripts")
from hf_reference import sequence_logprobs
from transformers import AutoModelForCausalLM
out = sys.argv[1]
m = AutoModelForCausalLM.from_pretrained(f"{out}/model", dtype=torch.float32, attn_implementation="eager")
m.model.layers = torch.nn.ModuleList([m.model.layers[i] for i in (0, 10, 19, 29)])
for i, layer in enumerate(m.model.layers):
    layer.self_attn.layer_idx = i
m.config.num_hidden_layers = 4
m.eval()
with open(f"{out}/student_reference.jsonl", "w") as f:
    for line in open(f"{out}/ref/reference.jsonl"):
        ids = json.loads(line)["ids"]
        f.write(json.dumps({"ids": ids, "logprobs": sequence_logprobs(m, ids)}) + "\n")
PY
"$AMKD_BIN" score --model "$out/student" --input "$out/student_reference.jsonl" --output "$out/student_scored.jsonl"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/compare_logprobs.py" "$out/student_scored.jsonl" "$out/student_reference.jsonl" --tol 1e-4
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/check_hf_load.py" "$out/student" "$out/student_reference.jsonl" --tol 1e-4
