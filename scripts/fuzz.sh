#!/usr/bin/env bash
# Build quarry's libFuzzer targets (fuzz/fuzz_*.c) with clang-14 + ASan +
# UBSan and run each one for a bounded time, one after the other.
#
#   scripts/fuzz.sh [-t SECONDS] [-b BUILD_DIR] [-j JOBS] [TARGET...]
#     -t  seconds per target (default 60; `make fuzz FUZZ_TIME=N`)
#     -b  build folder (default build-fuzz)
#     TARGET  short names (text, e5s1, ...); default: all of fuzz/fuzz_*.c
#
# Each target starts from its committed seeds (fuzz/corpus/NAME) and
# regressions (fuzz/regress/NAME); what it discovers goes to
# BUILD/corpus/NAME (kept between runs, never committed), crashes to
# BUILD/artifacts/NAME/. A summary line per target (executions, corpus size,
# result) is appended to BUILD/fuzz-summary.tsv and printed.
# Exit: 0 no crash, 1 a target crashed (see its artifact and log), 2 build
# failure, 77 clang-14 or its fuzzer runtime is not installed.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=60 B=build-fuzz J=2
while getopts "t:b:j:" o; do
  case $o in t) T=$OPTARG ;; b) B=$OPTARG ;; j) J=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
case $B in /*) ;; *) B=$PWD/$B ;; esac

CC=$(command -v clang-14 || true) CXX=$(command -v clang++-14 || true)
if [ -z "$CC" ] || [ -z "$CXX" ]; then echo "fuzz: clang-14 not installed (scripts/install-fuzz-deps.sh)"; exit 77; fi
rt=$("$CC" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a
if [ ! -f "$rt" ]; then echo "fuzz: libFuzzer runtime missing ($rt): install libclang-rt-14-dev"; exit 77; fi

cache=${QUARRY_CACHE:-$HOME/.cache/quarry}
if [ ! -f "$B/CMakeCache.txt" ]; then
  mkdir -p "$B"
  cmake -S "$SRC" -B "$B" -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DQUARRY_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUARRY_CACHE="$cache" > "$B/cmake.log" 2>&1 ||
    { cat "$B/cmake.log"; exit 2; }
fi
cmake --build "$B" -j "$J" --target fuzz_all > "$B/build.log" 2>&1 || { tail -50 "$B/build.log"; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$SRC"/fuzz/fuzz_*.c; do n=${f##*/fuzz_}; targets+=("${n%.c}"); done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  bin=$B/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: no target $t"; exit 2; }
  mkdir -p "$B/corpus/$t" "$B/artifacts/$t"
  args=(-max_total_time="$T" -timeout=25 -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1
        -artifact_prefix="$B/artifacts/$t/")
  [ -f "$SRC/fuzz/$t.dict" ] && args+=(-dict="$SRC/fuzz/$t.dict")
  dirs=("$B/corpus/$t" "$SRC/fuzz/corpus/$t")
  [ -d "$SRC/fuzz/regress/$t" ] && dirs+=("$SRC/fuzz/regress/$t")
  log=$B/fuzz-$t.log
  set +e
  (cd "$B" && "$bin" "${args[@]}" "${dirs[@]}") > "$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  ncorp=$(find "$B/corpus/$t" -type f | wc -l)
  if [ $rc -eq 0 ]; then res=ok; else res="CRASH(rc=$rc)"; status=1; fi
  printf '%s\t%s\t%ss\t%s execs\t%s corpus\t%s\n' "$(date -u +%FT%TZ)" "$t" "$T" "${execs:-?}" "$ncorp" "$res" |
    tee -a "$B/fuzz-summary.tsv"
  if [ $rc -ne 0 ]; then
    grep -E "ERROR|SUMMARY|invariant|Test unit written" "$log" | head -20 || true
    ls "$B/artifacts/$t/"
  fi
done
exit $status
