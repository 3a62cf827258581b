#!/usr/bin/env python3
"""Compare `amkd score` output with a reference log-prob file.

Usage: python scripts/compare_logprobs.py OUT.jsonl REFERENCE.jsonl [--tol 1e-4]

Both files hold one JSON object per line: {"ids": [...], "logprobs": [...]}, where
logprobs[i] = log p(ids[i+1] | ids[:i+1]), so len(logprobs) == len(ids) - 1.
Passes (exit 0) when both files have the same number of lines, the same ids on every line, the
expected lengths, finite numbers, and max |out - ref| <= tol. Anything else exits 1 with a message
naming the file and line. Deliberately pure stdlib (json/math), so it runs without torch.
"""
import argparse
import json
import math
import sys


class Bad(Exception):
    pass


def read_jsonl(path):
    """Return the list of {"ids", "logprobs"} records, or raise Bad naming the file/line at fault."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise Bad(f"cannot read {path}: {e.strerror or e}")
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():  # tolerate blank lines (e.g. a trailing one), they carry no record
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise Bad(f"{path}:{n}: not valid JSON ({e.msg})")
        if not isinstance(rec, dict):
            raise Bad(f"{path}:{n}: expected a JSON object")
        ids, lps = rec.get("ids"), rec.get("logprobs")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise Bad(f"{path}:{n}: 'ids' missing or not a list of integers")
        if not isinstance(lps, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in lps):
            raise Bad(f"{path}:{n}: 'logprobs' missing or not a list of numbers")
        if len(ids) == 0:
            raise Bad(f"{path}:{n}: empty 'ids'")
        if len(lps) != len(ids) - 1:
            raise Bad(f"{path}:{n}: {len(lps)} logprobs for {len(ids)} ids (expected {len(ids) - 1})")
        if not all(math.isfinite(v) for v in lps):
            raise Bad(f"{path}:{n}: non-finite logprob")
        records.append((n, ids, lps))
    if not records:
        raise Bad(f"{path}: no records (empty file)")
    return records


def compare(out_path, ref_path, tol):
    out, ref = read_jsonl(out_path), read_jsonl(ref_path)
    if len(out) != len(ref):
        raise Bad(f"{out_path} has {len(out)} records, {ref_path} has {len(ref)}")
    worst_all, worst_where, failures = 0.0, None, []
    for k, ((n_o, ids_o, lp_o), (n_r, ids_r, lp_r)) in enumerate(zip(out, ref)):
        if ids_o != ids_r:
            first = next((i for i, (a, b) in enumerate(zip(ids_o, ids_r)) if a != b), min(len(ids_o), len(ids_r)))
            raise Bad(f"record {k} ({out_path}:{n_o} vs {ref_path}:{n_r}): ids differ "
                      f"(lengths {len(ids_o)} vs {len(ids_r)}, first difference at index {first})")
        diffs = [abs(a - b) for a, b in zip(lp_o, lp_r)]
        worst = max(diffs, default=0.0)
        pos = diffs.index(worst) if diffs else None
        print(f"record {k}: len={len(ids_o)} max_abs_diff={worst:.3e}"
              + (f" at position {pos}" if pos is not None else " (no next-token log-probs)"))
        if pos is not None and (worst_where is None or worst > worst_all):
            worst_all, worst_where = worst, f"record {k}, position {pos}"
        if worst > tol:
            failures.append(k)
    print(f"max_abs_diff={worst_all:.3e} ({worst_where or 'no log-probs at all'}) tol={tol:g}")
    if failures:
        raise Bad(f"{len(failures)} record(s) exceed tol {tol:g}: {failures}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("reference")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    try:
        compare(args.out, args.reference, args.tol)
    except Bad as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
