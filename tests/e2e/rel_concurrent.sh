#!/usr/bin/env bash
# Wrapper: searches in threads and processes during rebuilds (tests/reliability/concurrent.sh).
exec bash "$SRC/tests/reliability/concurrent.sh"
