#!/usr/bin/env python3
"""Reference stems for amkd's C++ Porter stemmer (lib/eval/porter_stemmer.cpp), computed by NLTK.

Usage:
  python scripts/make_stemmer_reference.py OUT.tsv [DATADIR ...]

Writes OUT.tsv, one "word<TAB>stem" line per distinct word, sorted, where stem is
nltk.stem.porter.PorterStemmer().stem(word) in its default NLTK_EXTENSIONS mode: exactly the call
rouge_score makes for ROUGE with use_stemmer=True (rouge_score itself only stems tokens longer than 3
characters; the reference covers every length, since the C++ port mirrors NLTK for any token).

The words are every token of every JSON string value (nested ones included) in DATADIR/*.jsonl, tokenized
like rouge_score's tokenizer (lowercase, every character outside [a-z0-9] becomes a space, split), with
DATADIR defaulting to the bundled data/eval and data/dolly (next to this script); plus
synthetic edge cases: every 1-3 letter string over a small alphabet, runs of 'y', NLTK's irregular
forms, and common stems crossed with the suffixes each Porter step rewrites (-ies, -ied, -eed, -ing,
-ational, -alli, -logi, ...), some with digits mixed in. The script fails if fewer than 20000 distinct
words result. Everything is deterministic: same inputs, same output bytes.
"""
import glob
import itertools
import json
import os
import re
import sys

from nltk.stem.porter import PorterStemmer

NON_ALPHANUM_RE = re.compile(r"[^a-z0-9]+")
MIN_WORDS = 20000


def tokenize(text):
    """rouge_score.tokenize.tokenize without stemming: lowercase, non-[a-z0-9] -> space, split."""
    return [t for t in NON_ALPHANUM_RE.sub(" ", text.lower()).split() if t]


def strings_of(value):
    """Every string inside a JSON value, keys excluded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings_of(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_of(v)


def corpus_words(data_dirs):
    words = set()
    for d in data_dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    for s in strings_of(json.loads(line)):
                        words.update(tokenize(s))
    return words


def synthetic_words():
    words = set()
    # Every short string over letters that exercise the vowel/consonant/'y' rules, plus digits.
    alphabet = "aeiouybcdlstwxz0"
    for n in (1, 2, 3):
        words.update("".join(p) for p in itertools.product(alphabet, repeat=n))
    # Runs of 'y' (the consonant/vowel status of 'y' alternates along a run).
    for n in range(1, 12):
        words.add("y" * n)
        for pre in ("a", "b", "ay", "by"):
            for suf in ("", "s", "ed", "ing", "e", "er", "ll"):
                words.add(pre + "y" * n + suf)
    # NLTK_EXTENSIONS irregular forms and their neighbours.
    words.update(
        "sky skies skys dying lying tying dies lies ties die lie tie news new newss inning innings"
        " outing outings canning cannings howe howes proceed proceeds proceeded exceed exceeds"
        " exceeded succeed succeeds succeeded feed agreed bleed speed deed eed ied ies sses ss"
        " spied spies died flies fly flying spy try tried cried pies pied".split()
    )
    stems = (
        "rat hop tan fall hiss fizz fail fil conflat troubl siz agre feed plaster bled motor sing"
        " happ enjo sk sp fl tr cr relat condit valen hesit digit conform radic differ vil analog"
        " vietnam predic oper feud decis hope callous formal sensit sensib triplic electr good reviv"
        " allow infer airlin gyroscop adjust defens irrit replac depend adopt homolog commun activ"
        " angular effect bowdler probat rat ceas control rol geo theo archaeo philo ab a b y by ay"
        " x1 2b abc3 rela9 ho0p"
    ).split()
    suffixes = (
        "s es ies ied sses ss eed ed ing ings y ly ily ies at ate ated ating bl ble bled iz ize ized"
        " ational tional enci anci izer bli abli alli entli eli ousli ization ation ator alism iveness"
        " fulness ousness aliti iviti biliti fulli logi logy icate ative alize iciti ical ful ness al"
        " ance ence er ic able ible ant ement ment ent ion sion tion ou ism iti ous ive e ll lli lle"
        " ally ally2 ying 9ing 1s"
    ).split()
    for stem in stems:
        words.add(stem)
        for suf in suffixes:
            words.add(stem + suf)
            for suf2 in ("s", "ed", "ing", "ness", "ly"):
                words.add(stem + suf + suf2)
    # Bare suffixes and suffix pairs, which exercise empty and very short stems.
    for suf in suffixes:
        words.add(suf)
        for suf2 in suffixes[:20]:
            words.add(suf + suf2)
    return words


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    if len(sys.argv) > 2:
        data_dirs = sys.argv[2:]
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        data_dirs = [os.path.join(here, "..", "data", d) for d in ("eval", "dolly")]

    words = corpus_words(data_dirs) | synthetic_words()
    words.discard("")
    if len(words) < MIN_WORDS:
        sys.exit(f"only {len(words)} distinct words (need {MIN_WORDS}); pass more DATADIRs")

    stemmer = PorterStemmer()
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for w in sorted(words):
            f.write(f"{w}\t{stemmer.stem(w)}\n")
    print(f"wrote {len(words)} words to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
