#!/usr/bin/env bash
# Fixture: tokenizers (real GPT-2 and Mistral, plus BPE/sentencepiece ones trained on bundled text)
# with the ids Hugging Face's tokenizers and sentencepiece give for 15000 lines.
source "$(dirname "$0")/../lib.sh"
rm -rf "$AMKD_WORK/tokenizer_reference"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_tokenizer_reference.py" "$AMKD_WORK/tokenizer_reference" "$AMKD_ROOT/data"
