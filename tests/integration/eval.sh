#!/usr/bin/env bash
# amkd eval end to end: a tiny random Llama on 12 DollyEval items with two seeds. The summary must
# equal rouge-score and sacrebleu run on the written predictions; a rerun is identical; scoring the
# predictions file reproduces the seed's scores; a teacher equal to the model gives TV = KL = 0.
source "$(dirname "$0")/../lib.sh"
w="$(scratch eval)"
make_tiny_llama "$w/model"
args=(--model "$w/model" --data dolly --max-new-tokens 12 --set eval.subset=12)
"$AMKD_BIN" eval "${args[@]}" --seeds 10,20 --output "$w/a" >"$w/table.txt"
"$AMKD_BIN" eval "${args[@]}" --seeds 10,20 --output "$w/b" >/dev/null
cat "$w/table.txt"
cmp -s "$w/a/dolly.jsonl" "$w/b/dolly.jsonl" || fail "a rerun with the same seeds differs"
"$AMKD_PYTHON" - "$w/a" "$w/pred10.jsonl" <<'PY'
import json, statistics, sys
from rouge_score import rouge_scorer
import sacrebleu
rows = [json.loads(l) for l in open(f"{sys.argv[1]}/dolly.jsonl")]
summary = json.load(open(f"{sys.argv[1]}/summary.json"))["dolly"]
assert len(rows) == 24 and {r["seed"] for r in rows} == {10, 20}
by_seed = {s: [r for r in rows if r["seed"] == s] for s in (10, 20)}
assert [r["prediction"] for r in by_seed[10]] != [r["prediction"] for r in by_seed[20]], "seeds gave the same samples"
scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
rouge, bleu = [], []
for s in (10, 20):
    items = by_seed[s]
    rouge.append(100 * sum(max(scorer.score(target=ref, prediction=r["prediction"])["rougeL"].fmeasure
                               for ref in r["references"]) for r in items) / len(items))
    bleu.append(sacrebleu.corpus_bleu([r["prediction"] for r in items], [[r["references"][0] for r in items]]).score)
assert abs(summary["rougeL"]["mean"] - statistics.mean(rouge)) < 1e-6, (summary["rougeL"], rouge)
assert abs(summary["rougeL"]["std"] - statistics.pstdev(rouge)) < 1e-6
assert abs(summary["bleu"]["mean"] - statistics.mean(bleu)) < 1e-6, (summary["bleu"], bleu)
with open(sys.argv[2], "w") as f:
    for r in by_seed[10]:
        f.write(json.dumps({"id": r["id"], "prediction": r["prediction"]}) + "\n")
print(f"eval ok: ROUGE-L {statistics.mean(rouge):.4f}, BLEU {statistics.mean(bleu):.4f} (rouge-score, sacrebleu)")
PY
# Scoring a predictions file: the first 12 DollyEval items' ids are their file:line ids.
head -n 12 "$AMKD_ROOT/data/eval/minillm_dolly_eval_500.jsonl" >"$w/dolly12.jsonl"
"$AMKD_PYTHON" - "$w" <<'PY'
import json, sys
w = sys.argv[1]
rows = [json.loads(l) for l in open(f"{w}/pred10.jsonl")]
items = [json.loads(l) for l in open(f"{w}/dolly12.jsonl")]
with open(f"{w}/dolly12.jsonl", "w") as f:  # give the items ids the predictions can name
    for r, item in zip(rows, items):
        item["id"] = r["id"]
        f.write(json.dumps(item) + "\n")
PY
"$AMKD_BIN" eval --predictions "$w/pred10.jsonl" --data "$w/dolly12.jsonl" --output "$w/p" >/dev/null
"$AMKD_PYTHON" - "$w" <<'PY'
import json, sys
w = sys.argv[1]
a = json.load(open(f"{w}/a/summary.json"))["dolly"]
p = json.load(open(f"{w}/p/summary.json"))["dolly12"]
for metric in ("rougeL", "exact_match", "bleu"):
    assert abs(p[metric]["mean"] - a[metric]["per_seed"][0]) < 1e-9, metric
PY
"$AMKD_BIN" eval "${args[@]}" --seeds 10 --teacher "$w/model" --output "$w/t" >/dev/null
"$AMKD_PYTHON" - "$w/t/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["dolly"]
assert s["teacher_tv"]["mean"] < 1e-6 and abs(s["teacher_kl"]["mean"]) < 1e-6 and s["teacher_nll"]["mean"] > 0, s
PY
set +e
"$AMKD_BIN" eval --model "$w/model" --data nosuchset 2>"$w/err.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "neither a bundled set" "$w/err.txt" || fail "unknown set not refused"
echo '{"id": "x", "prediction": "y"}' >"$w/bad_pred.jsonl"
set +e
"$AMKD_BIN" eval --predictions "$w/bad_pred.jsonl" --data "$w/dolly12.jsonl" 2>"$w/err.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "no prediction for item" "$w/err.txt" || fail "missing prediction not refused"
echo "all ok"
