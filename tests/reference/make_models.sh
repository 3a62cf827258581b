#!/usr/bin/env bash
# Fixture: small random HF models of every family, with transformers' log-probs.
source "$(dirname "$0")/../lib.sh"
rm -rf "$REF"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_reference_models.py" "$REF"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_generation_reference.py" "$REF"
