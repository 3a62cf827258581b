#!/usr/bin/env python3
"""Greedy continuations from transformers' generate() for the reference models.

Usage: python scripts/make_generation_reference.py REF_DIR

For each model directory made by make_reference_models.py (except dynamic RoPE, whose frequencies
transformers keeps between calls), runs one left-padded batch of three prompts through
model.generate(do_sample=False, max_new_tokens=24) with an attention mask, and writes
REF_DIR/<name>/generate_reference.jsonl: {"prompt": [...], "greedy": [...]} per prompt, where
"greedy" holds the new tokens up to and including the first EOS (the model's eos_token_id).
"""
import json
import os
import sys

import torch

from hf_reference import transformers  # noqa: F401  (offline, quiet, 2 threads)
from transformers import AutoModelForCausalLM

MODELS = ["llama_gqa_llama3", "llama_tied", "qwen2", "mistral", "gpt2"]
PAD = 0


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    ref_dir = sys.argv[1]
    for idx, name in enumerate(MODELS):
        path = os.path.join(ref_dir, name)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").eval()
        vocab = model.config.vocab_size
        eos = model.generation_config.eos_token_id
        eos = [] if eos is None else ([eos] if isinstance(eos, int) else list(eos))
        g = torch.Generator().manual_seed(7000 + idx)
        prompts = [torch.randint(1, vocab, (n,), generator=g).tolist() for n in (3, 12, 7)]
        longest = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), longest), PAD, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, p in enumerate(prompts):
            ids[i, longest - len(p):] = torch.tensor(p)
            mask[i, longest - len(p):] = 1
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=24,
                                 pad_token_id=PAD, eos_token_id=eos or None)
        with open(os.path.join(path, "generate_reference.jsonl"), "w") as f:
            for i, p in enumerate(prompts):
                new = out[i, longest:].tolist()
                for k, t in enumerate(new):
                    if t in eos:
                        new = new[:k + 1]
                        break
                f.write(json.dumps({"prompt": p, "greedy": new}) + "\n")
        print(f"{name}: eos {eos}, greedy lengths {[len(json.loads(l)['greedy']) for l in open(os.path.join(path, 'generate_reference.jsonl'))]}")


if __name__ == "__main__":
    main()
