#!/usr/bin/env bash
# Run the end-to-end tests (tests/e2e/*.sh) and the fuzz replays with every
# quarry process under valgrind memcheck (Debian valgrind), and fail on any
# memcheck error or definite/indirect leak.
#
#   scripts/valgrind-e2e.sh [BUILD_DIR]     (default: build; `make valgrind`)
#   VALGRIND_ONLY=REGEX scripts/valgrind-e2e.sh   only the tests whose name
#     (e2e script name, or replay_<target>) matches the extended regex
#
# The tests get QUARRY = a wrapper that execs valgrind on the real binary,
# so the scripts run unchanged. Each process writes BUILD/valgrind/vg.<pid>.log;
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
V=$B/valgrind
rm -rf "$V"; mkdir -p "$V"
VG=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --num-callers=30 --suppressions="$SRC/tests/reliability/valgrind.supp")
{
  echo '#!/bin/sh'
  printf 'exec'; printf ' %q' "${VG[@]}"; printf ' --log-file=%q/vg.%%p.log %q "$@"\n' "$V" "$B/quarry"
} > "$V/quarry"
chmod +x "$V/quarry"

pass=0 fail=0 skip=0 failed=()
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
  [ -n "${VALGRIND_ONLY:-}" ] && ! [[ $name =~ $VALGRIND_ONLY ]] && continue
  run "$name" env QUARRY="$V/quarry" SRC="$SRC" BUILD="$B" \
    QUARRY_CACHE="${QUARRY_CACHE:-$HOME/.cache/quarry}" QUARRY_VALGRIND=1 bash "$t"
done
for r in "$B"/fuzz/fuzz_*_replay; do
  [ -x "$r" ] || continue
  short=${r##*/fuzz_}; short=${short%_replay}
  [ -n "${VALGRIND_ONLY:-}" ] && ! [[ replay_$short =~ $VALGRIND_ONLY ]] && continue
  run "replay_$short" "${VG[@]}" --log-file="$V/vg.replay_$short.log" "$r" \
    "$SRC/fuzz/corpus/$short" "$SRC/fuzz/regress/$short"
done

nlogs=$(find "$V" -name 'vg.*.log' | wc -l)
bad=$(grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$V"/vg.*.log 2>/dev/null)
echo "valgrind: $pass passed, $fail failed, $skip skipped; $nlogs processes checked"
if [ -n "$bad" ]; then
  echo "valgrind: memcheck errors in:"
  for f in $bad; do echo "== $f"; head -60 "$f"; done
  exit 1
fi
[ $fail -eq 0 ] || { echo "valgrind: failed tests: ${failed[*]}"; exit 1; }
exit 0
