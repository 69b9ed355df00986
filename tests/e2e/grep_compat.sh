#!/usr/bin/env bash
# The grep compatibility suite (tests/grep/run.sh) as a ctest test.
exec bash "$SRC/tests/grep/run.sh" "$QUARRY"
