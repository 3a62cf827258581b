#!/usr/bin/env bash
# amkd check: compatible pairs pass (with warnings for what amkd masks), incompatible ones exit 2.
source "$(dirname "$0")/../lib.sh"
w="$(scratch check)"
tok="$AMKD_WORK/tokenizer_reference"
# model_dir NAME TOKENIZER VOCAB: a model directory (config.json only; check loads no weights).
model_dir() {
  mkdir -p "$w/$1" && cp "$tok/$2"/tokenizer* "$tok/$2"/special_tokens_map.json "$w/$1/" 2>/dev/null || true
  printf '{"model_type": "llama", "vocab_size": %s, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1}\n' "$3" >"$w/$1/config.json"
}
model_dir teacher mistral_json 32000
model_dir student_sp mistral_sp 32064
model_dir gpt2 gpt2 50257
model_dir no_bos mistral_sp 32000
sed -i 's/"add_bos_token": true/"add_bos_token": false/' "$w/no_bos/tokenizer_config.json"

"$AMKD_BIN" check --teacher "$w/teacher" --student "$w/student_sp" >"$w/ok.txt"
cat "$w/ok.txt"
grep -q "agree token by token on all 32000" "$w/ok.txt" || fail "vocabulary agreement not reported"
grep -q "64 padded rows get logit -inf" "$w/ok.txt" || fail "padded head rows not reported"

expect2() {
  set +e; "$AMKD_BIN" check --teacher "$w/teacher" --student "$w/$1" >"$w/$1.out" 2>"$w/$1.err"; rc=$?; set -e
  cat "$w/$1.err"
  [ "$rc" -eq 2 ] || fail "$1: exit $rc, expected 2"
  grep -qF "$2" "$w/$1.err" || fail "$1: report lacks '$2'"
}
expect2 gpt2 "vocabularies differ at"
expect2 no_bos "template sample tokenizes differently"

printf 'teacher:\n  path: %s\nstudent:\n  path: %s\ndata:\n  template: chatml\n' "$w/teacher" "$w/student_sp" >"$w/recipe.yaml"
"$AMKD_BIN" check "$w/recipe.yaml" | grep -q "the chatml template sample" || fail "recipe template not used"
echo "check ok"
