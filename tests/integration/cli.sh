#!/usr/bin/env bash
# The command line: help with examples, --set and --dump-config, inspect against an independent count.
source "$(dirname "$0")/../lib.sh"
w="$(scratch cli)"

"$AMKD_BIN" --help | grep -q "score" || fail "top-level help lists no commands"
for cmd in inspect score convert; do
  "$AMKD_BIN" "$cmd" --help >"$w/help_$cmd.txt" || fail "$cmd --help exited non-zero"
  grep -q "Examples:" "$w/help_$cmd.txt" || fail "$cmd --help has no examples"
  grep -q -- "--dump-config" "$w/help_$cmd.txt" || fail "$cmd --help lacks --dump-config"
done

# Precedence: recipe < flags < --set; the dump loads back to the same recipe.
printf 'model:\n  dtype: bf16\noptim:\n  lr: 0.001\n' >"$w/recipe.yaml"
"$AMKD_BIN" score --recipe "$w/recipe.yaml" --model /some/model --input "$w/recipe.yaml" --output "$w/x" \
  --set optim.lr=2e-5 --set train.seed=7 --dump-config >"$w/dump.yaml"
grep -qx "  path: /some/model" "$w/dump.yaml" || fail "--model did not set model.path"
grep -qx "  dtype: bf16" "$w/dump.yaml" || fail "recipe value lost"
grep -qx "  lr: 2e-05" "$w/dump.yaml" || fail "--set optim.lr not applied"
grep -qx "  seed: 7" "$w/dump.yaml" || fail "--set train.seed not applied"
"$AMKD_BIN" inspect --recipe "$w/dump.yaml" --dump-config >"$w/dump2.yaml"
cmp "$w/dump.yaml" "$w/dump2.yaml" || fail "dumped recipe does not load back to itself"
[ ! -e "$w/x" ] || fail "--dump-config ran the command"

# inspect: compare with counts made by Python from the safetensors files.
for model in llama_gqa_llama3 llama_tied gpt2; do
  "$AMKD_BIN" inspect "$REF/$model" --json >"$w/$model.json"
  "$AMKD_BIN" inspect "$REF/$model" >"$w/$model.txt"
  grep -q "parameters" "$w/$model.txt" || fail "text inspect lacks parameters"
  "$AMKD_PYTHON" - "$REF/$model" "$w/$model.json" <<'PY'
import glob, json, sys
from safetensors import safe_open
d, info = sys.argv[1], json.load(open(sys.argv[2]))
cfg = json.load(open(d + "/config.json"))
n, dtypes = 0, set()
for f in glob.glob(d + "/*.safetensors"):
    with safe_open(f, "pt") as st:
        for k in st.keys():
            t = st.get_slice(k)
            numel = 1
            for s in t.get_shape(): numel *= s
            n += numel
            dtypes.add(t.get_dtype())
assert info["parameters"] == n, (info["parameters"], n)
assert info["layers"] == cfg.get("num_hidden_layers", cfg.get("n_layer")), info
assert info["vocab_size"] == cfg["vocab_size"]
assert info["kv_heads"] == cfg.get("num_key_value_heads", cfg.get("n_head")), info
assert set(info["stored_dtypes"]) == dtypes, (info["stored_dtypes"], dtypes)
print(f"ok inspect {d}: {n} parameters, {sorted(dtypes)}")
PY
done
echo "cli ok"
