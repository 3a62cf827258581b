#!/usr/bin/env python3
"""Python half of scripts/bench_generate.sh: transformers' greedy generate() on the same prompts.

Usage: python scripts/bench_generate.py MODEL_DIR PROMPTS.jsonl --batch B --new N --threads K

Prompts ("prompt" fields) are tokenized with the model directory's tokenizer.json (Hugging Face
`tokenizers`, with BOS), left-padded into batches of B, and run through generate(do_sample=False,
max_new_tokens=N) with eager attention and the KV cache. Prints one JSON line:
{"impl": "transformers", "batch": B, "new_tokens": T, "seconds": S, "tokens_per_s": T / S}.
"""
import argparse
import json
import time

import torch

from hf_reference import transformers  # noqa: F401  (offline, quiet)
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("prompts")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer.from_file(f"{args.model}/tokenizer.json")
    prompts = [tok.encode(json.loads(line)["prompt"]).ids for line in open(args.prompts)]
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager").eval()
    eos = model.generation_config.eos_token_id
    new_tokens, seconds = 0, 0.0
    for start in range(0, len(prompts), args.batch):
        batch = prompts[start:start + args.batch]
        longest = max(len(p) for p in batch)
        ids = torch.zeros((len(batch), longest), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, p in enumerate(batch):
            ids[i, longest - len(p):] = torch.tensor(p)
            mask[i, longest - len(p):] = 1
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=args.new,
                                 pad_token_id=0, eos_token_id=eos)
        seconds += time.perf_counter() - t0
        for row in out[:, longest:].tolist():  # count up to and including EOS, as amkd does
            new_tokens += next((k + 1 for k, t in enumerate(row) if t == eos), len(row))
    print(json.dumps({"impl": "transformers", "batch": args.batch, "new_tokens": new_tokens, "seconds": seconds,
                      "tokens_per_s": new_tokens / seconds}))


if __name__ == "__main__":
    main()
