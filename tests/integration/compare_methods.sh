#!/usr/bin/env bash
# scripts/compare_methods.sh end to end on the small pair with a tiny budget (the full runs are in
# docs/RESULTS.md): every method trains from the same SFT-initialised student, every final student
# is scored on the five evaluation sets, and the table's numbers are those of the runs.
source "$(dirname "$0")/../lib.sh"
w="$(scratch compare_methods)"
AMKD_BIN="$AMKD_BIN" AMKD_PYTHON="$AMKD_PYTHON" COMPARE_STEPS=4 COMPARE_EVAL_EVERY=2 \
  COMPARE_SFT_STEPS=10 COMPARE_EVAL_ITEMS=2 COMPARE_EVAL_TOKENS=8 COMPARE_SEEDS=10 \
  "$AMKD_ROOT/scripts/compare_methods.sh" small "$w" >"$w/compare.log" 2>&1 \
  || { cat "$w/compare.log"; fail "compare_methods.sh small"; }
[ "$(ls -d "$w"/stages/sft-* | wc -l)" -eq 1 ] || fail "the methods did not share one SFT stage"
"$AMKD_PYTHON" - "$w" <<'PY'
import json, sys
w = sys.argv[1]
methods = ["sft", "kd", "seqkd", "gkd", "distillm", "ammd"]
sets = ["dolly", "selfinst", "vicuna", "sni", "unni"]
table = [l for l in open(f"{w}/table.md") if l.startswith("| ") and not l.startswith("| method")]
assert len(table) == 1 + len(methods), table
starts = set()
for m, line in zip(methods, table[1:]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    assert cells[0] == m, (m, cells)
    rows = [json.loads(l) for l in open(f"{w}/runs/{m}/metrics.jsonl")]
    valid = [r for r in rows if "valid_nll" in r]
    assert [r["step"] for r in valid] == [0, 2, 4], (m, [r["step"] for r in valid])
    starts.add(round(valid[0]["valid_nll"], 6))
    assert cells[2] == f"{valid[0]['valid_nll']:.3f} -> {valid[-1]['valid_nll']:.3f}", (m, cells[2])
    worst = max(r["valid_nll"] for r in valid) / valid[0]["valid_nll"] - 1
    assert cells[3] == f"{100 * worst:+.1f}%", (m, cells[3])
    if m != "sft":
        assert cells[1] == f"{valid[0]['valid_tv']:.3f} -> {valid[-1]['valid_tv']:.3f}", (m, cells[1])
    summary = json.load(open(f"{w}/eval/{m}/summary.json"))
    for k, cell in zip(sets, cells[4:]):
        assert summary[k]["items"] == 2, (m, k, summary[k]["items"])
        assert cell == f"{summary[k]['rougeL']['mean']:.2f}", (m, k, cell)
assert len(starts) == 1, f"methods started from different students: {starts}"
print("all ok")
PY
