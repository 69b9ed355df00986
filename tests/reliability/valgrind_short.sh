#!/usr/bin/env bash
# A short valgrind memcheck run as part of `make test`: a few end-to-end
# tests that between them build, verify and search indexes, rank grep
# output and run the encoder (grep_semantic), and every fuzz replay, each
# process under memcheck through scripts/valgrind-e2e.sh; any memcheck
# error or definite/indirect leak fails it. `make valgrind` runs the whole
# list (docs/RELIABILITY.md, section 6). Skipped (77) when valgrind is
# missing and in the sanitizer build tree (valgrind needs a plain build).
. "$SRC/tests/reliability/common.sh"
rel_sanitized && rel_skip "valgrind runs from the normal build tree only"
rc=0
VALGRIND_DIR="$BUILD/valgrind-short" \
  VALGRIND_ONLY='^(index_formats|index_lock|grep_rank|eval_cli|grep_semantic|replay_.*)$' \
  bash "$SRC/scripts/valgrind-e2e.sh" "$BUILD" || rc=$?
[ $rc = 77 ] && rel_skip "valgrind not installed, or not a plain build"
exit $rc
