#!/usr/bin/env bash
# Fixture: reference outputs of NLTK's Porter stemmer, rouge-score's ROUGE-L and sacrebleu's
# corpus BLEU on bundled text, for tests/unit/test_eval_metrics.cpp.
source "$(dirname "$0")/../lib.sh"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_stemmer_reference.py" "$AMKD_WORK/stemmer_reference.tsv"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_rouge_reference.py" "$AMKD_ROOT/data" "$AMKD_WORK/rouge_reference.jsonl"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_bleu_reference.py" "$AMKD_WORK/bleu_reference.jsonl" "$AMKD_ROOT/data"
