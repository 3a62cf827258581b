#!/usr/bin/env python3
"""Independent reference for `amkd convert --gguf`: transformers' own GGUF loading.

Usage: python scripts/gguf_reference.py GGUF_FILE TEXTS.jsonl OUT_DIR [--score N]

Reads GGUF_FILE with transformers (`from_pretrained(..., gguf_file=...)`, its own reader and
dequantiser) and writes, for each {"text": ...} line of TEXTS.jsonl:
  OUT_DIR/ids.jsonl        {"text", "ids"}: the tokenizer's ids (default special tokens)
  OUT_DIR/chat.jsonl       {"text"}: the chat template applied to the text as a user message
                           with the generation prompt, and {"ids"} of that rendering
  OUT_DIR/reference.jsonl  {"ids", "logprobs"} for the first N chat renderings:
                           logprobs[i] = log p(ids[i+1] | ids[:i+1]) in fp32
"""
import argparse
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("texts")
    ap.add_argument("out")
    ap.add_argument("--score", type=int, default=6)
    a = ap.parse_args()
    folder, name = os.path.split(os.path.abspath(a.gguf))
    texts = [json.loads(line)["text"] for line in open(a.texts, encoding="utf-8") if line.strip()]
    os.makedirs(a.out, exist_ok=True)

    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    with open(os.path.join(a.out, "ids.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t, "ids": tok(t).input_ids}, ensure_ascii=False) + "\n")
    chats = [tok.apply_chat_template([{"role": "user", "content": t}], tokenize=False,
                                     add_generation_prompt=True) for t in texts]
    chat_ids = [tok(c, add_special_tokens=False).input_ids for c in chats]
    with open(os.path.join(a.out, "chat.jsonl"), "w", encoding="utf-8") as f:
        for c, ids in zip(chats, chat_ids):
            f.write(json.dumps({"text": c, "ids": ids}, ensure_ascii=False) + "\n")

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    with open(os.path.join(a.out, "reference.jsonl"), "w") as f, torch.no_grad():
        for ids in chat_ids[: a.score]:
            x = torch.tensor([ids])
            logp = torch.log_softmax(model(x).logits[0].float(), dim=-1)
            lp = logp[:-1].gather(1, x[0, 1:, None])[:, 0]
            f.write(json.dumps({"ids": ids, "logprobs": lp.tolist()}) + "\n")
    print(f"wrote {len(texts)} texts, {min(a.score, len(texts))} scored, to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
