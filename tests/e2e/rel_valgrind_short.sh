#!/usr/bin/env bash
# Wrapper: a short valgrind memcheck run (tests/reliability/valgrind_short.sh).
exec bash "$SRC/tests/reliability/valgrind_short.sh"
