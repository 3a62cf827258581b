#!/usr/bin/env python3
"""ROUGE-L reference scores from Google's rouge-score package, for amkd's C++ port.

Usage: python scripts/make_rouge_reference.py DATA_DIR OUT.jsonl

Writes one {"prediction", "reference", "rougeL"} line per pair, where rougeL is
RougeScorer(['rougeL'], use_stemmer=True).score(target=reference, prediction=prediction)
['rougeL'].fmeasure -- the scorer MiniLLM's and DistiLLM's evaluation use. Pairs (at least 2000)
come from the outputs of the bundled evaluation sets in DATA_DIR/eval, perturbed (words dropped,
swapped, re-cased, stemming variants) and paired across items, plus edge cases: empty strings,
punctuation only, unicode (accents, CJK, emoji, the Kelvin sign and dotted capital I, which
Python's lower() maps to ASCII), repeated words, digits and very long texts.
"""
import glob
import json
import random
import sys

from rouge_score import rouge_scorer

random.seed(7)
data_dir, out = sys.argv[1], sys.argv[2]
texts = []
for path in sorted(glob.glob(f"{data_dir}/eval/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        value = row.get("output", row.get("answer", ""))
        texts += value if isinstance(value, list) else [value]
texts = [t for t in texts if t]
random.shuffle(texts)


def perturb(text):
    words = text.split()
    kind = random.randrange(5)
    if kind == 0 and len(words) > 2:
        del words[random.randrange(len(words))]
    elif kind == 1 and len(words) > 2:
        i, j = random.randrange(len(words)), random.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    elif kind == 2:
        words = [w.upper() if random.random() < 0.3 else w for w in words]
    elif kind == 3:
        words = [w + random.choice(["s", "ing", "ed", "ly", "ies", "ation"]) if random.random() < 0.3 else w
                 for w in words]
    else:
        words = words[: max(1, len(words) // 2)]
    return " ".join(words)


pairs = []
for i in range(1600):
    ref = texts[i % len(texts)]
    pairs.append((perturb(ref), ref))
for i in range(300):
    pairs.append((texts[i], texts[i + 1]))
edge = [
    ("", ""), ("", "a reference"), ("a prediction", ""), ("!!! ... ???", "!!!"), ("...", "the cat"),
    ("Café naïve résumé", "cafe naive resume"), ("東京 is big", "東京 big"), ("emoji 😀 test", "emoji test 😀"),
    ("KELVIN \u212a scale", "kelvin k scale"), ("\u0130stanbul city", "istanbul city"), ("\u0130\u0130", "i i"),
    ("the the the the", "the the"), ("a a b b a a", "a b a b"), ("3,000 dollars 4.5%", "3 000 dollars 4 5"),
    ("running runner runs ran", "run running runs"), ("generalization generalizations", "generalize"),
    ("caresses ponies ties caress cats", "caress poni ti caress cat"), ("Hello,World", "hello world"),
    ("tab\tseparated\nnewlines", "tab separated newlines"), ("under_score and-dash", "under score and dash"),
]
pairs += edge
long_text = " ".join(texts[:400])
pairs.append((long_text, " ".join(texts[200:600])))
pairs.append((perturb(long_text), long_text))

scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
with open(out, "w", encoding="utf-8") as f:
    for prediction, reference in pairs:
        score = scorer.score(target=reference, prediction=prediction)["rougeL"].fmeasure
        f.write(json.dumps({"prediction": prediction, "reference": reference, "rougeL": score}) + "\n")
print(f"wrote {len(pairs)} pairs to {out}")
