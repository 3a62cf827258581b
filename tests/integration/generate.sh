#!/usr/bin/env bash
# amkd generate end to end: a tiny random Llama with Mistral's tokenizer on DollyEval prompts;
# fields, prompts equal to MiniLLM's, reproducible sampling, stop strings, bad data lines.
source "$(dirname "$0")/../lib.sh"
w="$(scratch generate)"
make_tiny_llama "$w/model"
head -n 20 "$AMKD_ROOT/data/eval/minillm_dolly_eval_500.jsonl" >"$w/dolly20.jsonl"

"$AMKD_BIN" generate --model "$w/model" --data "$w/dolly20.jsonl" --output "$w/a.jsonl" --max-new-tokens 8 --batch-size 6 --seed 3
"$AMKD_BIN" generate --model "$w/model" --data "$w/dolly20.jsonl" --output "$w/b.jsonl" --max-new-tokens 8 --batch-size 4 --seed 3
"$AMKD_BIN" generate --model "$w/model" --data "$w/dolly20.jsonl" --output "$w/c.jsonl" --max-new-tokens 8 --seed 4
"$AMKD_BIN" generate --model "$w/model" --data "$w/dolly20.jsonl" --output "$w/g.jsonl" --max-new-tokens 8 --greedy --stop "e"
"$AMKD_PYTHON" - "$w" <<'PY'
import json, sys
w = sys.argv[1]
rows = lambda f: [json.loads(l) for l in open(f"{w}/{f}")]
src, a, b, c, g = rows("dolly20.jsonl"), rows("a.jsonl"), rows("b.jsonl"), rows("c.jsonl"), rows("g.jsonl")
assert len(a) == 20 and all(set(r) == {"id", "prompt", "response", "ids", "finish_reason"} for r in a)
assert all(r["prompt"] == s["prompt"] for r, s in zip(a, src)), "prompt differs from MiniLLM's"
assert all(1 <= len(r["ids"]) <= 8 for r in a)
assert [r["ids"] for r in a] == [r["ids"] for r in b], "same seeds, other batch size: samples differ"
assert [r["ids"] for r in a] != [r["ids"] for r in c], "another seed gave the same samples"
assert all("e" not in r["response"] for r in g) and any(r["finish_reason"] == "stop" for r in g)
print("generate ok:", a[0]["finish_reason"], repr(a[0]["response"][:40]))
PY
printf '{"instruction": "x"}\n{"nothing": 1}\n' >"$w/bad.jsonl"
set +e
"$AMKD_BIN" generate --model "$w/model" --data "$w/bad.jsonl" --output "$w/o.jsonl" 2>"$w/err.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "bad.jsonl:2: cannot tell the format" "$w/err.txt" || { cat "$w/err.txt"; fail "bad line not reported"; }
"$AMKD_BIN" generate --model "$w/model" --data "$w/bad.jsonl" --output "$w/o.jsonl" --max-new-tokens 2 \
  --set data.on_bad_line=skip 2>"$w/err.txt"
grep -q "skipped 1 bad lines" "$w/err.txt" || fail "skipped line not counted"
echo "all ok"
