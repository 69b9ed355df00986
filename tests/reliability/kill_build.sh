#!/usr/bin/env bash
# Crash safety of `quarry index`: kill it with SIGKILL at many points of a
# build that replaces an existing index, and check after each kill that the
# index directory opens, passes `quarry info --verify`, and answers every
# query exactly as the old index (A) or as the new one (B), nothing else.
#
# Kill points:
#   - deterministic (when strace is installed): strace injects SIGKILL on
#     entry to the k-th call of each syscall the commit path makes (mkdir,
#     openat, fsync, renameat2/rename, unlink, rmdir), for every k; and on
#     about 40 of the writes (in the ASan build: at most 4 points per syscall);
#   - random: KILLS_RANDOM kills (default 30) after a random delay in
#     [0, 1.3 x the measured build time].
# Prints the number of kill points survived and how many left A or B.
. "$SRC/tests/reliability/common.sh"
. "$SRC/tests/reliability/index_common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
KILLS_RANDOM=${KILLS_RANDOM:-30}
PER_SYSCALL=${PER_SYSCALL:-1000}
if rel_sanitized; then # the same checks, fewer points (an ASan build is ~3x slower)
  KILLS_RANDOM=${KILLS_RANDOM_ASAN:-8} PER_SYSCALL=${PER_SYSCALL_ASAN:-4} N_B=${N_B_ASAN:-1500}
fi
rel_make_corpus_b "$T"

"$QUARRY" index -q --no-vectors -o "$T/A" "$SRC/seeds" || rel_fail "index A"
"$QUARRY" index -q --no-vectors --format beir -o "$T/B" "$T/corpus.jsonl" || rel_fail "index B"
ANS_A=$(rel_answers "$T/A") || rel_fail "search A"
ANS_B=$(rel_answers "$T/B") || rel_fail "search B"
[ "$ANS_A" != "$ANS_B" ] || rel_fail "A and B answer alike: the test would prove nothing"
BUILD_B=("$QUARRY" index -q --no-vectors --format beir -o "$T/idx" "$T/corpus.jsonl")

survived=0 nA=0 nB=0
reset_idx() { rm -rf "$T/idx" "$T"/idx.tmp-*; cp -a "$T/A" "$T/idx"; }
check() { # what was done, for messages
  local st
  st=$(rel_state "$T/idx")
  case $st in
    A) nA=$((nA + 1)) ;;
    B) nB=$((nB + 1)) ;;
    *) rel_fail "after $1: $st" ;;
  esac
  survived=$((survived + 1))
  # a killed build may leave DIR.tmp-*; the next build must still work
  if [ "$st" = B ] || [ $((survived % 5)) = 0 ]; then reset_idx; fi
}

reset_idx
t0=$(date +%s%N)
"${BUILD_B[@]}" || rel_fail "uninterrupted build"
build_ns=$(( $(date +%s%N) - t0 ))
[ "$(rel_state "$T/idx")" = B ] || rel_fail "uninterrupted build does not answer as B"
reset_idx

det=0
# LeakSanitizer cannot run under ptrace: no leak check in the strace runs
ST=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)
if command -v strace > /dev/null && strace -f -qq -e trace=none true 2> /dev/null; then
  log=$T/strace.log
  "${ST[@]}" -f -qq -o "$log" -e trace=mkdir,openat,fsync,rename,renameat2,unlink,unlinkat,rmdir,write "${BUILD_B[@]}" ||
    rel_fail "build under strace"
  reset_idx
  for sc in mkdir openat fsync rename renameat2 unlink unlinkat rmdir write; do
    n=$(grep -c " $sc(\|^$sc(\|\] $sc(" "$log" || true)
    [ "$n" -gt 0 ] || continue
    step=1
    [ "$sc" = write ] && step=$(( (n + 39) / 40 ))   # about 40 points among the writes
    [ "$n" -gt "$PER_SYSCALL" ] && step=$(( (n + PER_SYSCALL - 1) / PER_SYSCALL ))
    for ((k = 1; k <= n; k += step)); do
      # (in a child shell, so that bash's "Killed" job report goes to /dev/null too)
      bash -c '"$@"; exit 0' strace "${ST[@]}" -f -qq -o /dev/null -e trace="$sc" \
        -e inject="$sc":signal=KILL:when="$k" "${BUILD_B[@]}" > /dev/null 2>&1 || true
      check "SIGKILL at $sc #$k of $n"
      det=$((det + 1))
    done
  done
else
  echo "note: strace unavailable, random kill points only"
fi

for ((i = 0; i < KILLS_RANDOM; i++)); do
  delay_ns=$(( (RANDOM * 32768 + RANDOM) % (build_ns * 13 / 10 + 1) ))
  "${BUILD_B[@]}" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%09d' $((delay_ns / 1000000000)) $((delay_ns % 1000000000)))"
  kill -KILL "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  check "SIGKILL after ${delay_ns} ns"
done

echo "kill_build: $survived kill points survived ($det at syscalls, $KILLS_RANDOM at random times;" \
  "build takes $((build_ns / 1000000)) ms): $nA left the old index, $nB the new one"
