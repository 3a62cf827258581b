#!/usr/bin/env python3
"""The teacher of the distributed and GPU checks: a random 4-layer Llama with GPT-2's tokenizer
(vocabulary 50257; `amkd init-student --layers 2` makes the 3.3M-parameter student that crashed the
store-based reduction), and the first LINES Dolly training examples.

Usage: python scripts/make_gpt2_teacher.py OUT_DIR LINES   (writes OUT_DIR/teacher, OUT_DIR/train.jsonl)
"""
import os
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, lines = sys.argv[1], int(sys.argv[2])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50257, hidden_size=64, intermediate_size=172, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                         bos_token_id=50256, eos_token_id=50256)
    LlamaForCausalLM(config).save_pretrained(f"{out}/teacher")
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(f"{root}/data/tokenizers/gpt2/{f}", f"{out}/teacher/{f}")
    with open(f"{root}/data/dolly/minillm_dolly_train_11435.jsonl") as src, open(f"{out}/train.jsonl", "w") as dst:
        dst.writelines(list(src)[:lines])


if __name__ == "__main__":
    main()
