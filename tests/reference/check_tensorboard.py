#!/usr/bin/env python3
"""Reads RUN_DIR/tensorboard with the tensorboard package's own event reader and checks that it
holds exactly the numbers of RUN_DIR/metrics.jsonl: every numeric value (nested objects as
"outer/inner"), at its row's step, as float32, and nothing else.

Usage: check_tensorboard.py RUN_DIR
"""
import json
import sys
from collections import defaultdict

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def flatten(value, tag, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{tag}/{k}" if tag else k, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[tag] = value


def main():
    run = sys.argv[1]
    expected = defaultdict(list)  # tag -> [(step, value)]
    for line in open(f"{run}/metrics.jsonl"):
        row = json.loads(line)
        values = {}
        for k, v in row.items():
            if k != "step":
                flatten(v, k, values)
        for tag, v in values.items():
            expected[tag].append((row["step"], np.float32(v)))
    acc = EventAccumulator(f"{run}/tensorboard", size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert sorted(tags) == sorted(expected), (sorted(tags), sorted(expected))
    count = 0
    for tag in tags:
        got = [(e.step, np.float32(e.value)) for e in acc.Scalars(tag)]
        assert got == expected[tag], (tag, got[:3], expected[tag][:3])
        count += len(got)
    print(f"tensorboard: {len(tags)} tags, {count} scalars, equal to metrics.jsonl")


if __name__ == "__main__":
    main()
