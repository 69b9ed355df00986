#!/usr/bin/env bash
# The writer lock DIR.lock: a second `quarry index` on the same DIR while a
# first one runs exits 2 with one line naming the holder's pid, and leaves the
# first one's work alone; the lock dies with its holder (even by SIGKILL).
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}" "${BUILD:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
gen=$BUILD/bench/corpusgen
[ -x "$gen" ] || { echo "SKIP: bench/corpusgen not built"; exit 77; }
"$gen" -n 3000 -q 5 --vocab 20000 --seed 11 --jsonl -o gen > /dev/null
sed 's/^{"id":/{"_id":/' gen/corpus.jsonl > corpus.jsonl

# 1. Two real quarry processes: the second sees the first's pid in the message.
"$QUARRY" index -q --no-vectors -o idx "$SRC/seeds" || fail "first index"
tried=0
for attempt in 1 2 3 4 5; do
  "$QUARRY" index -q --no-vectors --format beir -o idx corpus.jsonl > first.out 2>&1 &
  pid=$!
  # wait until the first holds the lock (its pid is in idx.lock)
  for _ in $(seq 200); do [ "$(cat idx.lock 2> /dev/null)" = "$pid" ] && break; sleep 0.005; done
  rc=0
  "$QUARRY" index -q --no-vectors --rebuild -o idx "$SRC/seeds" > second.out 2>&1 || rc=$?
  first_rc=0
  wait "$pid" || first_rc=$?
  [ "$first_rc" = 0 ] || fail "first writer failed: $(cat first.out)"
  if [ "$rc" = 0 ]; then continue; fi # the first one had already finished: try again
  [ "$rc" = 2 ] || fail "second writer: exit $rc, expected 2: $(cat second.out)"
  [ "$(wc -l < second.out)" = 1 ] || fail "second writer: not one line: $(cat second.out)"
  grep -qx "quarry: idx is being written by another quarry process (pid $pid); try again when it finishes" second.out ||
    fail "second writer's message: $(cat second.out)"
  tried=1
  break
done
[ "$tried" = 1 ] || fail "never caught the first writer holding the lock"
# the index is the first writer's (the beir corpus), complete
"$QUARRY" info --verify -x idx > /dev/null || fail "index after the refused writer does not verify"
"$QUARRY" search -x idx -k 1 --json tiron | grep -q '"id":"[0-9]*"' || fail "index is not the first writer's"
ls -d idx.tmp-* 2> /dev/null && fail "the refused writer left a temporary folder"

# 2. Deterministic: whoever holds an flock on DIR.lock blocks writers, full builds included.
# --no-fork: the process we kill is the one holding the lock (a forked
# `sleep` would keep it after flock(1) itself dies and block step 3).
flock -n --no-fork idx.lock sleep 30 &
holder=$!
sleep 0.3
rc=0
"$QUARRY" index -q --no-vectors --rebuild -o idx "$SRC/seeds" 2> err || rc=$?
[ "$rc" = 2 ] || fail "build while the lock is held: exit $rc"
grep -q "idx is being written by another quarry process" err || fail "message: $(cat err)"
kill "$holder" 2> /dev/null || true
wait "$holder" 2> /dev/null || true
flock -w 10 idx.lock true || fail "the test's own lock holder did not let go"

# 3. A writer killed by SIGKILL leaves no stale lock.
"$QUARRY" index -q --no-vectors --format beir -o idx corpus.jsonl > /dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ "$(cat idx.lock 2> /dev/null)" = "$pid" ] && break; sleep 0.005; done
kill -KILL "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
"$QUARRY" index -q --no-vectors --rebuild -o idx "$SRC/seeds" || fail "build after a killed writer"
[ -f idx.lock ] || fail "the lock file is gone"
echo "ok"
