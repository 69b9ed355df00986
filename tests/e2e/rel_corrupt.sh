#!/usr/bin/env bash
# Wrapper: flipped bytes and truncated files are detected (tests/reliability/corrupt.sh).
exec bash "$SRC/tests/reliability/corrupt.sh"
