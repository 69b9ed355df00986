#!/usr/bin/env bash
# Wrapper: full disk, read-only, unwritable folder, memory limits (tests/reliability/limits.sh).
exec bash "$SRC/tests/reliability/limits.sh"
