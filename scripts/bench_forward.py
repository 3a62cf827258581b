#!/usr/bin/env python3
"""Python half of the forward-pass benchmark: builds the benchmark model and times transformers on it.

Usage:
  python scripts/bench_forward.py make MODEL_DIR
  python scripts/bench_forward.py hf MODEL_DIR --batch B --seq T --iters N --threads K [--device D] [--dtype fp32|bf16]

`make` saves a random fp32 LlamaForCausalLM (8 layers, hidden 512, 8 heads, intermediate 1376,
vocab 32000, untied; ~58M parameters, ~233 MB) to MODEL_DIR.
`hf` times transformers' eager forward on random ids [B, T] (on D, default cpu; inference_mode, no KV cache, full
logits for every position, 2 warm-up iterations) and prints one JSON line:
{"impl": "transformers", "tokens_per_s": ..., "batch": B, "seq": T}.
"""
import argparse
import json
import os
import sys
import time

# Local directories only (never the Hub); set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM  # noqa: E402

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()


def make(model_dir):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=32000, hidden_size=512, intermediate_size=1376, num_hidden_layers=8,
        num_attention_heads=8, num_key_value_heads=8, max_position_embeddings=2048,
        rms_norm_eps=1e-5, tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    )
    model = LlamaForCausalLM(config)  # transformers' own init: weights only need realistic shapes
    model.save_pretrained(model_dir)
    n = sum(p.numel() for p in model.parameters())
    print(f"saved {model_dir}: {n} parameters, fp32")


def bench_hf(model_dir, batch, seq, iters, threads, device, dtype):
    torch.set_num_threads(threads)  # before loading, so every op uses the requested thread count
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation="eager")
    model.to(device).eval()
    assert model.config._attn_implementation == "eager"
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=g).to(device)
    sync = torch.cuda.synchronize if ids.is_cuda else (lambda: None)
    with torch.inference_mode():
        for _ in range(2):  # warm-up: first calls pay for allocator growth and kernel selection
            model(input_ids=ids, use_cache=False)
        sync()
        t0 = time.perf_counter()
        for _ in range(iters):
            model(input_ids=ids, use_cache=False)  # no KV cache: a pure scoring forward
        sync()
        dt = time.perf_counter() - t0
    print(json.dumps({"impl": "transformers", "tokens_per_s": batch * seq * iters / dt,
                      "batch": batch, "seq": seq}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make", help="create the random benchmark model")
    m.add_argument("model_dir")
    h = sub.add_parser("hf", help="time transformers' eager forward")
    h.add_argument("model_dir")
    h.add_argument("--batch", type=int, required=True)
    h.add_argument("--seq", type=int, required=True)
    h.add_argument("--iters", type=int, required=True)
    h.add_argument("--threads", type=int, required=True)
    h.add_argument("--device", default="cpu")
    h.add_argument("--dtype", default="fp32", choices=["fp32", "bf16", "fp16"])
    args = ap.parse_args()
    if args.cmd == "make":
        make(args.model_dir)
    else:
        if min(args.batch, args.seq, args.iters, args.threads) < 1:
            ap.error("--batch, --seq, --iters and --threads must be >= 1")
        bench_hf(args.model_dir, args.batch, args.seq, args.iters, args.threads, args.device, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
