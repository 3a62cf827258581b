#!/usr/bin/env bash
# Fixture: every objective's values and gradients from scripts/make_objective_reference.py
# (PyTorch, written from docs/AMMD.md), for tests/unit/test_objectives.cpp.
source "$(dirname "$0")/../lib.sh"
"$AMKD_PYTHON" "$AMKD_ROOT/scripts/make_objective_reference.py" "$AMKD_WORK/objective_reference.safetensors"
