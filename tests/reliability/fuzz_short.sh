#!/usr/bin/env bash
# Short libFuzzer runs of every fuzz/ target (FUZZ_SECONDS each, default 20)
# as part of `make test`. Skipped (77) when clang-14 or its fuzzer runtime
# is missing, and in the sanitizer build tree (the fuzzers carry their own
# ASan + UBSan; running them once is enough). The fuzz build lives in
# $BUILD/fuzz-short and is reused between runs.
. "$SRC/tests/reliability/common.sh"
rel_sanitized && rel_skip "fuzzers run from the normal build tree only"
rc=0
bash "$SRC/scripts/fuzz.sh" -t "${FUZZ_SECONDS:-20}" -b "$BUILD/fuzz-short" -j 2 || rc=$?
[ $rc = 77 ] && rel_skip "clang-14 / libFuzzer not installed"
exit $rc
