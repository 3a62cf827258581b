#!/usr/bin/env python3
"""Reference corpus BLEU scores for amkd's C++ port (lib/eval/bleu.cpp), computed by sacrebleu itself.

Usage: python scripts/make_bleu_reference.py OUT.jsonl [DATADIR]

Writes one JSON line per test corpus:
  {"hypotheses": [h, ...], "references": [[r, ...], ...], "bleu": score, "precisions": [p1..p4],
   "bp": bp, "sys_len": n, "ref_len": n}
references[i] is hypothesis i's list of references (one or more; the count may vary per item). The
scores are sacrebleu.corpus_bleu(hypotheses, streams) with every default (13a tokenizer, mixed case,
exp smoothing, max order 4, no effective order), where streams is the reference-stream layout
sacrebleu expects: stream k holds every item's k-th reference, padded with None where an item has
fewer (sacrebleu drops None references, so items may have different reference counts).

The corpora (1 to 50 items) are built from the "output" fields of DATADIR/eval/*.jsonl (S-NI's output
is a list of references; GSM8K's "answer" is used instead) with random perturbations of a reference as
the hypothesis: word drops, swaps, duplications, insertions from other items, case changes,
punctuation edits, truncation, or another item's output. Some items get extra references (perturbed
copies). Hand-written corpora follow: empty hypotheses and references, whitespace-only text, Unicode
(accents, CJK, emoji, Unicode spaces), punctuation only, HTML entities, "<skipped>" and "-\\n",
repeated words, numbers with commas and periods, texts of more than 2000 words, ties in closest
reference length, and several references per item. No network; deterministic output (seeded).
"""
import json
import random
import sys
from pathlib import Path

import sacrebleu

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"
RANDOM_CORPORA = 220  # about 5000 hypothesis/reference pairs


def load_items(data_dir):
    """Every eval item's references (a list of strings), in file order."""
    items = []
    for path in sorted((data_dir / "eval").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                out = row.get("output", row.get("answer"))
                refs = out if isinstance(out, list) else [out]
                refs = [r for r in refs if isinstance(r, str)]
                if refs:
                    items.append(refs)
    return items


PUNCT = [".", ",", "!", "?", ";", ":", "-", "'", '"', "(", ")", "...", "&", "/", "$", "%"]


def perturb(text, rng, pool):
    """A hypothesis made from a reference by a few random edits."""
    kind = rng.random()
    if kind < 0.04:
        return text  # exact copy
    if kind < 0.08:
        return rng.choice(pool)[0]  # unrelated output
    if kind < 0.10:
        return ""
    words = text.split(" ")
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(9)
        if not words:
            break
        i = rng.randrange(len(words))
        if op == 0 and len(words) > 1:
            del words[i]  # word drop
        elif op == 1:
            j = rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]  # swap
        elif op == 2:
            words.insert(i, words[i])  # repeat
        elif op == 3:
            other = rng.choice(pool)[0].split()
            if other:
                words.insert(i, rng.choice(other))  # foreign word
        elif op == 4:
            words[i] = words[i].upper() if rng.random() < 0.5 else words[i].lower()
        elif op == 5:
            words[i] = words[i].capitalize() if rng.random() < 0.5 else words[i].swapcase()
        elif op == 6:
            words[i] = words[i] + rng.choice(PUNCT)  # punctuation edit
        elif op == 7:
            words = words[: max(1, int(len(words) * rng.uniform(0.3, 0.9)))]  # truncation
        else:
            words[i] = words[i].strip(".,!?;:")
    sep = rng.choice([" ", " ", " ", "  ", "\n"])
    return sep.join(words)


def random_corpora(items, rng):
    corpora = []
    for _ in range(RANDOM_CORPORA):
        size = rng.choice([1, 1, 2, 3, 5, 8, 10, 16, 20, 25, 32, 40, 50])
        hyps, refs = [], []
        for _ in range(size):
            item_refs = list(rng.choice(items))
            if rng.random() < 0.15:  # extra references: perturbed copies
                item_refs += [perturb(item_refs[0], rng, items) for _ in range(rng.randint(1, 3))]
            hyps.append(perturb(rng.choice(item_refs), rng, items))
            refs.append(item_refs)
        corpora.append((hyps, refs))
    return corpora


def long_text(items, rng, min_words):
    words = []
    while len(words) < min_words:
        words += rng.choice(items)[0].split()
    return " ".join(words)


def edge_corpora(items, rng):
    one = lambda h, *r: ([h], [list(r)])  # noqa: E731  (one item, its references)
    long_ref = long_text(items, rng, 2500)
    long_hyp = perturb(long_ref, random.Random(7), items)
    long_ref2 = long_text(items, rng, 4000)
    cases = [
        # Empty and whitespace-only texts.
        one("", "a reference sentence ."),
        one("a hypothesis sentence .", ""),
        one("", ""),
        (["", "", ""], [["x y z"], [""], ["a"]]),
        one("   \n\t ", "the cat"),
        one("the cat", " \u00a0\u3000 "),
        (["the cat sat", ""], [["the cat sat"], ["the dog"]]),
        # Very short texts: higher orders have no n-grams at all.
        one("cat", "cat"),
        one("the cat", "the cat"),
        one("the cat sat", "the cat sat"),
        one("the cat sat on", "the cat sat on"),
        (["a", "b c"], [["a"], ["b c"]]),
        # Exact and near matches.
        one("The quick brown fox jumps over the lazy dog.", "The quick brown fox jumps over the lazy dog."),
        one("the quick brown fox jumps over the lazy dog.", "The quick brown fox jumps over the lazy dog."),
        one("THE QUICK BROWN FOX", "the quick brown fox"),
        one("dog lazy the over jumps fox brown quick The", "The quick brown fox jumps over the lazy dog"),
        # Unicode.
        one("Café résumé naïve façade.", "Cafe résumé naive façade."),
        one("北京是中国的首都。", "北京是中国的首都。"),
        one("北京 是 中国 的 首都 。", "北京是中国的首都。"),
        one("日本語、テスト。これは文です.", "日本語、テスト。これは文です。"),
        one("I ❤️ emoji 🎉🎉 so much!", "I ❤️ emoji 🎉 so much !"),
        one("👨‍👩‍👧‍👦 family, 🇺🇸 flag.", "👨‍👩‍👧‍👦 family , 🇺🇸 flag ."),
        one("Привет, мир! Как дела?", "Привет мир! Как дела ?"),
        one("a\u00a0b\u2003c\u3000d\u2028e\x1cf\x85g h", "a b c d e f g h"),
        one("zero\u200bwidth\u200bspace here", "zero width space here"),
        one("soft\u00adhyphen and\ufeffbom", "soft hyphen and bom"),
        one("é.è,ü.ö,", "é . è , ü . ö ,"),
        one("x.é ,ñ .中 ,😀", "x . é , ñ . 中 , 😀"),
        one("\u0663.\u0664,\u0665-", "\u0663 . \u0664 , \u0665 -"),  # Arabic-Indic digits are not [0-9]
        one("e\u0301le\u0300ve", "éléve"),
        # Punctuation only.
        one("!!!", "!!!"),
        one("...", "..."),
        one(",,,", ", , ,"),
        one("?!.;:", "? ! . ; :"),
        one("---", "---"),
        one("'''", "'''"),
        one("\"()[]{}<>", "\" ( ) [ ] { } < >"),
        one("~`^_*+=|\\/@#$%&", "~ ` ^ _ * + = | \\ / @ # $ % &"),
        one(". , . , . ,", ".,.,.,"),
        # HTML entities and mteval's special strings.
        one("&quot;quoted&quot; &amp; &lt;tag&gt;", "\"quoted\" & <tag>"),
        one("&amp;lt; &amp;amp; &AMP; &quot", "&lt; &amp; &AMP; &quot"),
        one("word<skipped>word <skipped> end", "wordword end"),
        one("hyphen-\nated line\nbreak", "hyphenated line break"),
        one("trailing hyphen-\n", "trailing hyphen-"),
        one("trailing hyphen- \n", "trailing hyphen -"),
        one("windows\r\nline\r\nendings\r\n", "windows line endings"),
        one("-\n-\n", "-"),
        # Numbers with commas and periods, dashes after digits.
        one("It costs $1,234.56 or 1.000,50 EUR.", "It costs $ 1,234.56 or 1.000,50 EUR ."),
        one("Pi is 3.14159, e is 2.71828.", "Pi is 3.14159 , e is 2.71828 ."),
        one("1,000,000 people in 2024-01-15.", "1,000,000 people in 2024 - 01 - 15 ."),
        one("10-20 items, 5.-6. place, .5 and 5. and ,5 and 5,", "10 - 20 items , 5. - 6. place"),
        one("v1.2.3 a.b,c 1.a a.1 1,a a,1", "v1.2.3 a . b , c 1 . a a . 1"),
        one("3-4-5 -5 x-y 5--6", "3 - 4 - 5 -5 x-y 5 - -6"),
        one("#### 18", "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n#### 18"),
        # Repeated words: clipping by the reference count.
        one("the the the the the the the", "the cat is on the mat"),
        one("the " * 100, "the " * 3),
        one("a a a b b b a a a b b b", "a a b b a a b b"),
        one("to be or not to be to be or not to be", "to be or not to be"),
        # Brevity penalty and closest-reference ties.
        one("short", "a much longer reference sentence with many words"),
        one("one two three", "one two", "one two three four"),  # tie: the shorter (2) is used
        one("one two three four five", "one two three", "one two three four five six seven"),
        one("one two three four five six", "x", "one two three four five six seven eight"),
        # Several references.
        one("the cat is on the mat", "the cat is on the mat", "there is a cat on the mat"),
        one("there is a cat on a mat", "the cat is on the mat", "there is a cat on the mat",
            "a cat sits on the mat", "the feline rests upon the rug"),
        (["the cat", "a dog barks", "birds fly high in the sky"],
         [["the cat", "a cat"], ["a dog barks"], ["birds fly high", "birds fly in the sky", "high birds"]]),
        (["x", "y z"], [["", "x"], ["", "", "y z"]]),
        # Very long texts (more than 2000 words).
        one(long_hyp, long_ref),
        one(long_ref, long_ref),
        ([long_hyp, long_ref2, "short one"], [[long_ref], [long_ref2[: len(long_ref2) // 2], long_ref2],
                                               ["short one ."]]),
    ]
    return cases


def to_streams(refs):
    n = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(n)]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out_path = Path(sys.argv[1])
    data_dir = Path(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_DATA
    items = load_items(data_dir)
    rng = random.Random(1234)
    corpora = random_corpora(items, rng) + edge_corpora(items, rng)
    pairs = 0
    with open(out_path, "w", encoding="utf-8") as f:
        for hyps, refs in corpora:
            s = sacrebleu.corpus_bleu(hyps, to_streams(refs))
            pairs += sum(len(r) for r in refs)
            f.write(json.dumps({
                "hypotheses": hyps, "references": refs, "bleu": s.score,
                "precisions": list(s.precisions), "bp": s.bp, "sys_len": s.sys_len, "ref_len": s.ref_len,
            }, ensure_ascii=False) + "\n")
    print(f"{out_path}: {len(corpora)} corpora, {sum(len(h) for h, _ in corpora)} hypotheses, "
          f"{pairs} hypothesis/reference pairs (sacrebleu {sacrebleu.__version__})")


if __name__ == "__main__":
    main()
