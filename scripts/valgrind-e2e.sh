#!/usr/bin/env bash
# Run the end-to-end tests (tests/e2e/*.sh) and the fuzz replays with every
# quarry process under valgrind memcheck (Debian valgrind), and fail on any
# memcheck error or definite/indirect leak.
#
#   scripts/valgrind-e2e.sh [BUILD_DIR]     (default: build; `make valgrind`)
#   VALGRIND_ONLY=REGEX scripts/valgrind-e2e.sh   only the tests whose name
#     (e2e script name, or replay_<target>) matches the extended regex
#   VALGRIND_SKIP=REGEX   leave out the tests whose name matches
#   VALGRIND_BLAS=CORE    the OpenBLAS kernels of the checked processes
#     (default Sandybridge, below)
#   VALGRIND_DIR=DIR      where the logs go (default BUILD_DIR/valgrind; emptied)
#
# The tests see QUARRY_VALGRIND=1 and shrink their inputs where the encoder
# would make them take hours (docs/RELIABILITY.md, section 6); a few run
# their vector builds of seeds/ unchecked, through QUARRY_NATIVE (the same
# binary without valgrind). OpenBLAS runs
# on one thread (QUARRY_THREADS=1, OPENBLAS_NUM_THREADS=1): valgrind runs one
# thread at a time, and OpenBLAS's workers spin while they wait.
#
# The tests get QUARRY = a wrapper that execs valgrind on the real binary,
# so the scripts run unchanged. Each process writes VALGRIND_DIR/vg.<pid>.log;
# the run fails if a test fails or if any log reports an error. Skipped:
# the reliability wrappers rel_* (they kill, fuzz or stress on purpose and
# would only be slow under valgrind). Exit 77 when valgrind is missing.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
command -v valgrind > /dev/null || { echo "valgrind: not installed (scripts/install-fuzz-deps.sh)"; exit 77; }
[ -x "$B/quarry" ] || { echo "valgrind: no $B/quarry: build first"; exit 2; }
if grep -q '^QUARRY_SANITIZE:BOOL=ON' "$B/CMakeCache.txt" 2>/dev/null; then
  echo "valgrind: $B is a sanitizer build (valgrind needs a plain one)"; exit 77
fi
V=${VALGRIND_DIR:-$B/valgrind}
rm -rf "$V"; mkdir -p "$V"
VG=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --num-callers=30 --suppressions="$SRC/tests/reliability/valgrind.supp")
# Valgrind emulates FMA instructions lane by lane in helper calls: OpenBLAS's
# Haswell/Zen kernels (FMA) ran an encoder pass 800 times slower than
# natively even under --tool=none, its Sandybridge kernels (AVX, no FMA)
# 30 times faster than that. The wrapper gives quarry those (the
# multiplications are OpenBLAS's; quarry's own code runs the same either
# way); VALGRIND_BLAS=CORE picks another, e.g. Haswell.
{
  echo '#!/bin/sh'
  printf 'OPENBLAS_CORETYPE=%q; export OPENBLAS_CORETYPE\n' "${VALGRIND_BLAS:-Sandybridge}"
  printf 'exec'; printf ' %q' "${VG[@]}"; printf ' --log-file=%q/vg.%%p.log %q "$@"\n' "$V" "$B/quarry"
} > "$V/quarry"
chmod +x "$V/quarry"

pass=0 fail=0 skip=0 failed=() t_start=$SECONDS
selected() { # name: chosen by VALGRIND_ONLY and not left out by VALGRIND_SKIP
  [ -n "${VALGRIND_ONLY:-}" ] && ! [[ $1 =~ $VALGRIND_ONLY ]] && return 1
  [ -n "${VALGRIND_SKIP:-}" ] && [[ $1 =~ $VALGRIND_SKIP ]] && return 1
  return 0
}
run() { # name, command...
  local name=$1; shift
  local t0=$SECONDS rc
  "$@" > "$V/$name.out" 2>&1; rc=$?
  case $rc in
    0) pass=$((pass + 1)); echo "valgrind: $name ok ($((SECONDS - t0)) s)" ;;
    77) skip=$((skip + 1)); echo "valgrind: $name skipped" ;;
    *) fail=$((fail + 1)); failed+=("$name"); echo "valgrind: $name FAILED (exit $rc, $V/$name.out)" ;;
  esac
}
# cheapest first (ctest's recorded costs, when the build has run ctest), so
# that a run cut short has covered as many tests as possible
tests=()
cost=$B/Testing/Temporary/CTestCostData.txt
for t in "$SRC"/tests/e2e/*.sh; do
  name=$(basename "$t" .sh)
  c=$(awk -v n="e2e/$name" '$1 == n { print $3 }' "$cost" 2>/dev/null)
  tests+=("${c:-1e9} $t") # never timed: last
done
mapfile -t tests < <(printf '%s\n' "${tests[@]}" | sort -g | cut -d' ' -f2-)
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  case $name in rel_*) continue ;; esac
  selected "$name" || continue
  run "$name" env QUARRY="$V/quarry" SRC="$SRC" BUILD="$B" \
    QUARRY_CACHE="${QUARRY_CACHE:-$HOME/.cache/quarry}" QUARRY_VALGRIND=1 QUARRY_NATIVE="$B/quarry" \
    QUARRY_THREADS="${QUARRY_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" bash "$t"
done
for r in "$B"/fuzz/fuzz_*_replay; do
  [ -x "$r" ] || continue
  short=${r##*/fuzz_}; short=${short%_replay}
  selected "replay_$short" || continue
  run "replay_$short" "${VG[@]}" --log-file="$V/vg.replay_$short.log" "$r" \
    "$SRC/fuzz/corpus/$short" "$SRC/fuzz/regress/$short"
done

nlogs=$(find "$V" -name 'vg.*.log' | wc -l)
bad=$(grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$V"/vg.*.log 2>/dev/null)
nerr=$(grep -hoE 'ERROR SUMMARY: [0-9]+' "$V"/vg.*.log 2>/dev/null | awk '{ n += $3 } END { print n + 0 }')
nleak=$(grep -hoE '(definitely|indirectly) lost: [0-9,]+ bytes' "$V"/vg.*.log 2>/dev/null | tr -d , |
  awk '{ n += $3 } END { print n + 0 }')
echo "valgrind: $pass passed, $fail failed, $skip skipped; $nlogs processes checked," \
  "$nerr errors, $nleak bytes definitely or indirectly lost; $(((SECONDS - t_start) / 60)) min"

if [ -n "$bad" ]; then
  echo "valgrind: memcheck errors in:"
  for f in $bad; do echo "== $f"; head -60 "$f"; done
  exit 1
fi
[ $fail -eq 0 ] || { echo "valgrind: failed tests: ${failed[*]}"; exit 1; }
exit 0
