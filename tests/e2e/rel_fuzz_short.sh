#!/usr/bin/env bash
# Wrapper: short libFuzzer runs (tests/reliability/fuzz_short.sh).
exec bash "$SRC/tests/reliability/fuzz_short.sh"
