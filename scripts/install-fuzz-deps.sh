#!/usr/bin/env bash
# Debian packages for the reliability checks: clang-14 with its libFuzzer /
# sanitizer runtimes and OpenMP (fuzz builds), valgrind (memcheck runs).
# Idempotent: only calls apt-get when something is missing. Called by
# `make fuzz`, `make valgrind` and `make test`.
set -euo pipefail
exec bash "$(dirname "$0")/install-deps.sh" clang-14 libclang-rt-14-dev libomp-14-dev valgrind
