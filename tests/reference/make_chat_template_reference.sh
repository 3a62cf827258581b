#!/usr/bin/env bash
# Fixture: tokenizer directories with chat templates in the structure of SmolLM2's, Qwen2's,
# Llama-3's, Mistral's and Gemma's, and transformers' apply_chat_template renderings, ids and
# assistant masks for them; plus the SmolLM2 GGUF teacher's own template when it is fetched.
source "$(dirname "$0")/../lib.sh"
gguf="${AMKD_TEACHER_GGUF:-$HOME/.cache/amkd/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
args=("$AMKD_WORK/chat_template_reference" "$AMKD_ROOT/data")
[ -f "$gguf" ] && args+=("$gguf")
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_chat_template_reference.py" "${args[@]}"
