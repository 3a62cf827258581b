#!/usr/bin/env bash
# Bad input of every kind: exit code 2, one message naming the problem, no crash, and nothing
# already on disk damaged.
source "$(dirname "$0")/../lib.sh"
w="$(scratch bad_input)"
good="$REF/qwen2"

# expect_input_error NAME MESSAGE-SUBSTRING -- amkd args...
expect_input_error() {
  local name="$1" want="$2"; shift 3
  set +e
  "$AMKD_BIN" "$@" >"$w/$name.out" 2>"$w/$name.err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$w/$name.err"; fail "$name: exit code $rc, expected 2"; }
  grep -qF -- "$want" "$w/$name.err" || { cat "$w/$name.err"; fail "$name: message lacks '$want'"; }
  if grep -qiE "terminate called|stack trace|Exception raised from|segmentation" "$w/$name.err"; then
    cat "$w/$name.err"; fail "$name: crash-like output"
  fi
  echo "ok  $name: $(head -n 3 "$w/$name.err" | tr '\n' ' ')"
}

# broken_model NAME PYTHON: a copy of the good model whose files the Python snippet edits.
# The snippet sees `st` (path of model.safetensors), `cfg` (path of config.json),
# `header`/`data` (the parsed safetensors header and data bytes) and `save(header, data)`.
broken_model() {
  local dir="$w/$1"
  rm -rf "$dir"; cp -r "$good" "$dir"
  "$AMKD_PYTHON" - "$dir" "$2" <<'PY'
import json, struct, sys
d, code = sys.argv[1], sys.argv[2]
st, cfg = d + "/model.safetensors", d + "/config.json"
raw = open(st, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
def save(h, body, length=None):
    text = json.dumps(h).encode()
    open(st, "wb").write(struct.pack("<Q", len(text) if length is None else length) + text + body)
def first_tensor():
    return next(k for k in header if k != "__metadata__")
exec(code)
PY
  echo "$dir"
}

in="$REF/qwen2/input.jsonl"
m=$(broken_model truncated 'open(st, "wb").write(raw[:5])')
expect_input_error truncated "truncated" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model header_too_long 'save(header, data, length=len(raw) * 2)')
expect_input_error header_too_long "larger than the file" -- inspect "$m"
m=$(broken_model cut_data 'open(st, "wb").write(raw[:len(raw) - 100])')
expect_input_error cut_data "reach past the data section" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model overlap '
names = [k for k in header if k != "__metadata__"]
a, b = header[names[0]], header[names[1]]
size = b["data_offsets"][1] - b["data_offsets"][0]
b["data_offsets"] = [a["data_offsets"][0], a["data_offsets"][0] + size]
save(header, data)')
expect_input_error overlap "overlap" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model out_of_range '
t = header[first_tensor()]
t["data_offsets"] = [len(data) + 8, len(data) + 8]
t["shape"] = [0] * len(t["shape"])
save(header, data)')
expect_input_error out_of_range "reach past the data section" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model unknown_dtype 'header[first_tensor()]["dtype"] = "F12"; save(header, data)')
expect_input_error unknown_dtype "unknown dtype 'F12'" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model shape_bytes 'header[first_tensor()]["shape"][0] += 1; save(header, data)')
expect_input_error shape_bytes "bytes but data_offsets span" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model missing_tensor '
name = "model.layers.1.mlp.up_proj.weight"
del header[name]
save(header, data)')
expect_input_error missing_tensor "missing tensors (1)" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
grep -qF "model.layers.1.mlp.up_proj.weight" "$w/missing_tensor.err" || fail "missing tensor not named"
m=$(broken_model extra_tensor '
header["model.layers.9.extra.weight"] = {"dtype": "F32", "shape": [1], "data_offsets": [len(data), len(data) + 4]}
save(header, data + b"\0\0\0\0")')
expect_input_error extra_tensor "unexpected tensors (1)" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model tensor_twice '
import os, shutil
for i in (1, 2):
    shutil.copy(st, f"{d}/model-0000{i}-of-00002.safetensors")
os.remove(st)
names = [k for k in header if k != "__metadata__"]
json.dump({"weight_map": {n: f"model-0000{1 + i % 2}-of-00002.safetensors" for i, n in enumerate(names)}},
          open(d + "/model.safetensors.index.json", "w"))')
expect_input_error tensor_twice "is stored twice, in" -- score --model "$m" --input "$in" --output "$w/o.jsonl"
m=$(broken_model config_not_json 'open(cfg, "w").write("{\"model_type\": \"qwen2\",")')
expect_input_error config_not_json "config.json: not valid JSON" -- inspect "$m"
m=$(broken_model config_missing_field '
c = json.load(open(cfg)); del c["num_hidden_layers"]; json.dump(c, open(cfg, "w"))')
expect_input_error config_missing_field "missing required field 'num_hidden_layers'" -- inspect "$m"
m=$(broken_model config_bad_type '
c = json.load(open(cfg)); c["model_type"] = "mamba"; json.dump(c, open(cfg, "w"))')
expect_input_error config_unknown_type "model_type 'mamba' is not supported" -- inspect "$m"
# Sizes and values a corrupt config.json could hold: refused before anything is allocated.
config_case() {  # NAME MESSAGE PYTHON-EDIT-OF-c
  m=$(broken_model "$1" "c = json.load(open(cfg)); $3; json.dump(c, open(cfg, 'w'))")
  expect_input_error "$1" "$2" -- inspect "$m"
}
config_case config_huge_layers "'num_hidden_layers' is 1000000000, above the largest amkd accepts (1024)" \
  'c["num_hidden_layers"] = 1000000000'
config_case config_huge_vocab "'vocab_size' is 4294967296, above the largest" 'c["vocab_size"] = 2**32'
config_case config_uint64 "'hidden_size' must be a positive integer, found 18446744073709551615" \
  'c["hidden_size"] = 2**64 - 1'
config_case config_architectures "'architectures' must be a list of names, found \"X\"" 'c["architectures"] = "X"'
config_case config_architectures_list "'architectures' must be a list of names, found [1]" 'c["architectures"] = [1]'
config_case config_eps "'rms_norm_eps' must be positive, found -1" 'c["rms_norm_eps"] = -1'
config_case config_odd_head_dim "head_dim 7 must be even" 'c["head_dim"] = 7'
config_case config_rope_original "original_max_position_embeddings must be in [1, 16777216], found 1e+300" \
  'c["rope_parameters"] = {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 1e300}'
config_case config_low_freq "low_freq_factor must be positive" \
  'c["rope_parameters"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 0}'

# Recipes.
printf 'train:\n  batch_size: many\n' >"$w/wrong_type.yaml"
expect_input_error recipe_wrong_type "wrong_type.yaml:2: train.batch_size: expected an integer, found 'many'" -- \
  inspect "$good" --recipe "$w/wrong_type.yaml"
printf 'optim:\n  learning_rate: 0.1\n' >"$w/unknown_key.yaml"
expect_input_error recipe_unknown_key "unknown key 'optim.learning_rate'" -- inspect "$good" --recipe "$w/unknown_key.yaml"
printf 'optim:\n  lr: -5e-4\n' >"$w/negative_lr.yaml"
expect_input_error recipe_negative_lr "optim.lr: expected a number > 0, found -0.0005" -- \
  score --model "$good" --input "$in" --output "$w/o.jsonl" --recipe "$w/negative_lr.yaml"
printf 'optim:\n  lr: 0.1\n  lr: 0.2\n' >"$w/twice.yaml"
expect_input_error recipe_key_twice "twice.yaml:3: 'optim.lr' is given twice" -- inspect "$good" --recipe "$w/twice.yaml"
printf 'optim:\n  weight_decay: .inf\n' >"$w/inf.yaml"
expect_input_error recipe_inf "optim.weight_decay: expected a finite number, found" -- \
  score --model "$good" --input "$in" --output "$w/o.jsonl" --recipe "$w/inf.yaml"
make_tiny_llama "$w/tiny"
expect_input_error recipe_batch_overflow "is too large (at most 2^40 sequences a step)" -- \
  sft --model "$w/tiny" --data "$AMKD_ROOT/data/dolly/minillm_dolly_train_11435.jsonl" --output "$w/overflow" \
  --set train.batch_size=4611686018427387904 --set train.grad_accum=4
expect_input_error set_bad_dtype "model.dtype: expected one of fp32, bf16, fp16, found fp8" -- \
  score --model "$good" --input "$in" --output "$w/o.jsonl" --dtype fp8

# Data lines and flags.
printf '{"ids": [1, 2, 3]}\n{"ids": [1, "x"]}\n' >"$w/bad_ids.jsonl"
expect_input_error bad_ids_line "bad_ids.jsonl:2: ids holds \"x\"" -- score --model "$good" --input "$w/bad_ids.jsonl" --output "$w/o.jsonl"
printf '{"ids": [1, 99999]}\n' >"$w/oov.jsonl"
expect_input_error out_of_vocab "token id 99999 is outside the vocabulary" -- score --model "$good" --input "$w/oov.jsonl" --output "$w/o.jsonl"
printf 'not json\n' >"$w/not_json.jsonl"
expect_input_error not_json_line "not_json.jsonl:1: not valid JSON" -- score --model "$good" --input "$w/not_json.jsonl" --output "$w/o.jsonl"
expect_input_error unknown_flag "--frobnicate" -- inspect "$good" --frobnicate
expect_input_error no_model_dir "model directory does not exist" -- inspect "$w/does-not-exist"

# Tokenizer files and tokenize input.
tok="$w/tokenizer"
rm -rf "$tok" && mkdir -p "$tok" && cp "$AMKD_ROOT/data/tokenizers/gpt2/"* "$tok/"
printf '{"text": "hello"}\n' >"$w/texts.jsonl"
head -c 100000 "$AMKD_ROOT/data/tokenizers/gpt2/tokenizer.json" >"$tok/tokenizer.json"
expect_input_error tokenizer_truncated "tokenizer.json: not valid JSON" -- tokenize --model "$tok" --input "$w/texts.jsonl" --output "$w/o.jsonl"
"$AMKD_PYTHON" - "$AMKD_ROOT/data/tokenizers/gpt2/tokenizer.json" "$tok/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["model"]["merges"][5] = "Ġt nosuchtoken"
json.dump(t, open(sys.argv[2], "w"))
PY
expect_input_error tokenizer_bad_merge "which is not in the vocab" -- tokenize --model "$tok" --input "$w/texts.jsonl" --output "$w/o.jsonl"
cp "$AMKD_ROOT/data/tokenizers/gpt2/tokenizer.json" "$tok/"
printf '{"ids": [15496, -4]}\n' >"$w/bad_tok_ids.jsonl"
expect_input_error tokenizer_bad_ids "token id -4 is not in the vocabulary" -- tokenize --model "$tok" --decode --input "$w/bad_tok_ids.jsonl" --output "$w/o.jsonl"
printf '{"txt": "hello"}\n' >"$w/no_text.jsonl"
"$AMKD_PYTHON" - "$AMKD_ROOT/data/tokenizers/gpt2/tokenizer.json" "$tok/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["model"]["vocab"]["a"] = 1073741824
json.dump(t, open(sys.argv[2], "w"))
PY
expect_input_error tokenizer_huge_id "vocab['a'] has id 1073741824, far beyond the vocabulary's" -- tokenize --model "$tok" --input "$w/texts.jsonl" --output "$w/o.jsonl"
cp "$AMKD_ROOT/data/tokenizers/gpt2/tokenizer.json" "$tok/"
expect_input_error tokenize_no_text "no_text.jsonl:1: expected an object with a \"text\" string" -- tokenize --model "$tok" --input "$w/no_text.jsonl" --output "$w/o.jsonl"

# Several processes: a launch without ranks or command, and a rank outside the world size.
expect_input_error launch_nproc "--nproc 0 is not between 1 and 1024" -- launch --nproc 0 inspect "$good"
expect_input_error launch_no_command "give the command to run" -- launch --nproc 2
RANK=2 WORLD_SIZE=2 expect_input_error rank_too_big "rank 2 is not below the world size 2" -- sft --model "$good" --data "$w/x.jsonl"
expect_input_error dist_recipe_rank "dist: rank 3 and local_rank 0 must be below world_size 2" -- sft --model "$good" --set dist.world_size=2 --set dist.rank=3

# A scoring line longer than the model's positions: GPT-2's learned positions end at
# n_positions; RoPE models are bounded so that one line's T^2 attention fits in memory.
n_pos="$("$AMKD_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["n_positions"])' "$REF/gpt2/config.json")"
"$AMKD_PYTHON" -c 'import json, sys; print(json.dumps({"ids": [1] * (int(sys.argv[1]) + 1)}))' "$n_pos" >"$w/gpt2_long.jsonl"
expect_input_error score_gpt2_too_long "gpt2_long.jsonl:1: $((n_pos + 1)) ids, more than amkd scores in one line of this model ($n_pos)" -- \
  score --model "$REF/gpt2" --input "$w/gpt2_long.jsonl" --output "$w/o.jsonl"
"$AMKD_PYTHON" -c 'import json; print(json.dumps({"ids": [1] * 1000000}))' >"$w/long_ids.jsonl"
expect_input_error score_too_long "long_ids.jsonl:1: 1000000 ids, more than amkd scores in one line of this model (16384)" -- \
  score --model "$good" --input "$w/long_ids.jsonl" --output "$w/o.jsonl"

# Nothing on disk is damaged: a failing run leaves an existing output file as it was.
echo "precious" >"$w/keep.jsonl"
expect_input_error keep_output "ids holds" -- score --model "$good" --input "$w/bad_ids.jsonl" --output "$w/keep.jsonl"
[ "$(cat "$w/keep.jsonl")" = "precious" ] || fail "existing output was overwritten by a failing run"
echo "all bad inputs refused cleanly"
