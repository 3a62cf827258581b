#!/usr/bin/env python3
"""Check that a checkpoint directory (e.g. one written by amkd) loads cleanly in transformers and
reproduces reference log-probs.

Usage: python scripts/check_hf_load.py MODEL_DIR REFERENCE.jsonl [--tol 1e-4]

Checks, in order: AutoConfig loads; AutoModelForCausalLM loads (fp32, eager attention) with no
missing / unexpected / mismatched weights; for every reference line {"ids", "logprobs"} the model's
log_softmax(logits[i])[ids[i+1]] (one unpadded sequence at a time) is within tol of logprobs[i].
Exit 0 on pass, 1 on any failure.
"""
import argparse
import json
import os
import sys

import torch

from hf_reference import sequence_logprobs
from transformers import AutoConfig, AutoModelForCausalLM


def check(model_dir, ref_path, tol):
    """Return a list of failure messages (empty = pass)."""
    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        return [f"{model_dir}: no config.json (not a model directory)"]
    try:
        config = AutoConfig.from_pretrained(model_dir)
    except Exception as e:  # any parse/validation error is a failure of the checkpoint, report it
        return [f"AutoConfig failed: {type(e).__name__}: {e}"]
    print(f"config: model_type={config.model_type} architectures={getattr(config, 'architectures', None)}")
    try:
        # dtype explicit: transformers 5 defaults to dtype="auto" (the stored dtype).
        model, info = AutoModelForCausalLM.from_pretrained(
            model_dir, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    except Exception as e:
        return [f"AutoModelForCausalLM failed: {type(e).__name__}: {e}"]
    model.eval()
    errors = []
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        bad = sorted(map(str, info.get(key) or []))
        print(f"{key}: {len(bad)}")
        if bad:
            errors.append(f"{key}: {bad}")

    try:
        with open(ref_path, encoding="utf-8") as f:
            refs = [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        return errors + [f"cannot read reference {ref_path}: {e}"]
    if not refs:
        return errors + [f"reference {ref_path} is empty"]

    worst_all = 0.0
    for k, rec in enumerate(refs):
        ids, want = rec.get("ids"), rec.get("logprobs")
        if not isinstance(ids, list) or not ids or not isinstance(want, list) or len(want) != len(ids) - 1:
            errors.append(f"reference line {k + 1}: malformed (needs ids and len(ids)-1 logprobs)")
            continue
        if max(ids) >= config.vocab_size or min(ids) < 0:
            errors.append(f"reference line {k + 1}: id out of range for vocab_size {config.vocab_size}")
            continue
        got = sequence_logprobs(model, ids)
        worst = max((abs(a - b) for a, b in zip(got, want)), default=0.0)
        worst_all = max(worst_all, worst)
        print(f"line {k + 1}: len={len(ids)} max_abs_diff={worst:.3e}")
        if worst > tol:
            errors.append(f"reference line {k + 1}: max_abs_diff {worst:.3e} > tol {tol:g}")
    print(f"max_abs_diff={worst_all:.3e} tol={tol:g}")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("reference")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    errors = check(args.model_dir, args.reference, args.tol)
    for e in errors:
        print(f"FAIL: {e}", file=sys.stderr)
    print("FAIL" if errors else "PASS")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
