# Shared helpers for the shell-driven tests (sourced). ctest sets AMKD_BIN, AMKD_PYTHON,
# AMKD_ROOT and AMKD_WORK.
set -euo pipefail
: "${AMKD_BIN:?run through ctest}" "${AMKD_PYTHON:?}" "${AMKD_ROOT:?}" "${AMKD_WORK:?}"
REF="$AMKD_WORK/reference_models"
STORIES="$AMKD_WORK/stories260K"
fail() { echo "FAIL: $*" >&2; exit 1; }
# A fresh scratch directory for one test.
scratch() { local d="$AMKD_WORK/scratch/$1"; rm -rf "$d"; mkdir -p "$d"; echo "$d"; }
# make_tiny_llama DIR: a 1-layer random Llama (vocab 32000) with Mistral's tokenizer.
make_tiny_llama() {
  "$AMKD_PYTHON" - "$1" <<'PY'
import sys, torch
from transformers import LlamaConfig, LlamaForCausalLM
torch.manual_seed(0)
c = LlamaConfig(vocab_size=32000, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                num_attention_heads=2, num_key_value_heads=1, bos_token_id=1, eos_token_id=2)
LlamaForCausalLM(c).save_pretrained(sys.argv[1])
PY
  cp "$AMKD_ROOT/data/tokenizers/mistral_v1/"tokenizer.json "$AMKD_ROOT/data/tokenizers/mistral_v1/"tokenizer_config.json "$1/"
}
# The quickstart teacher's GGUF file, fetched by scripts/setup.sh.
teacher_gguf() {
  local f="${AMKD_TEACHER_GGUF:-$HOME/.cache/amkd/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
  [ -f "$f" ] || fail "no $f: run scripts/fetch_teacher.sh (scripts/setup.sh does)"
  echo "$f"
}
