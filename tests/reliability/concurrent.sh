#!/usr/bin/env bash
# Concurrent searches while an index is rebuilt, then updated, in place: NTHREADS threads
# through the library API (tests/reliability/concurrent.c) and MPROCS
# `quarry search` processes, all checking every answer against the
# single-threaded answer of the old (A) or the new (B) index; no open may
# fail, no answer may mix the two. Leaks: the ASan build runs this too.
. "$SRC/tests/reliability/common.sh"
. "$SRC/tests/reliability/index_common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
NTHREADS=${NTHREADS:-4} MPROCS=${MPROCS:-3} REBUILDS=${REBUILDS:-8}
rel_sanitized && REBUILDS=${REBUILDS_ASAN:-4}
PROG=$BUILD/tests/reliability/rel_concurrent
[ -x "$PROG" ] || rel_fail "$PROG not built"
rel_make_corpus_b "$T"
"$QUARRY" index -q --no-vectors -o "$T/A" "$SRC/seeds" || rel_fail "index A"
"$QUARRY" index -q --no-vectors --format beir -o "$T/B" "$T/corpus.jsonl" || rel_fail "index B"

# run_phase WHAT PROG-ARGS...: MPROCS processes search $T/idx (a copy of $T/A)
# while rel_concurrent changes it between A and B
run_phase() {
  local what=$1; shift
  rm -rf "$T/idx" "$T"/stop "$T"/fail.* "$T"/count.*
  cp -a "$T/A" "$T/idx"
  # M processes: each `quarry search` must answer exactly as A or as B (one
  # process per query, so a run of all queries may straddle a rebuild)
  A_Q=() B_Q=()
  for q in "${QUERIES[@]}"; do
    A_Q+=("$("$QUARRY" search -x "$T/A" --json -k 5 -- "$q" 2>&1; echo "rc=$?")")
    B_Q+=("$("$QUARRY" search -x "$T/B" --json -k 5 -- "$q" 2>&1; echo "rc=$?")")
  done
  searcher() { # id
    local n=0 i out
    while [ ! -e "$T/stop" ]; do
      for ((i = 0; i < ${#QUERIES[@]}; i++)); do
        out=$("$QUARRY" search -x "$T/idx" --json -k 5 -- "${QUERIES[$i]}" 2>&1; echo "rc=$?")
        if [ "$out" != "${A_Q[$i]}" ] && [ "$out" != "${B_Q[$i]}" ]; then
          printf 'process %s, query %s: answer matches neither A nor B:\n%s\n' "$1" "${QUERIES[$i]}" "$out" > "$T/fail.$1"
          return
        fi
        n=$((n + 1))
      done
    done
    echo $n > "$T/count.$1"
  }
  pids=()
  for ((m = 0; m < MPROCS; m++)); do searcher $m & pids+=($!); done
  rc=0
  "$PROG" "$@" || rc=$?
  touch "$T/stop"
  wait "${pids[@]}"
  cat "$T"/fail.* 2> /dev/null && rel_fail "$what: a search process saw a broken or mixed index"
  [ $rc = 0 ] || rel_fail "$what: rel_concurrent failed"
  runs=$(cat "$T"/count.* | awk '{s += $1} END {print s}')
  echo "concurrent ($what): $MPROCS processes ran $runs searches, each answering as A or as B"
  [ "$runs" -gt 0 ] || rel_fail "$what: the processes did not complete a single run"
}

# 1. full rebuilds: seeds (A) <-> the generated BEIR corpus (B)
run_phase rebuilds "$T/idx" "$T/A" "$T/B" "$SRC/seeds" "$T/corpus.jsonl" "$NTHREADS" "$REBUILDS"

# 2. updates: seeds (A) <-> seeds + 300 generated files (B, a second segment), back and forth
mkdir -p "$T/u/extra"
cp -r "$SRC/seeds" "$T/u/seeds"
head -300 "$T/corpus.jsonl" | awk -v d="$T/u/extra" '{ match($0, /"text":"[^"]*"/); t = substr($0, RSTART + 8, RLENGTH - 9);
  f = sprintf("%s/f%05d.txt", d, NR); print t > f; close(f) }'
rm -rf "$T/A" "$T/B"
"$QUARRY" index -q --no-vectors -x "$T/A" "$T/u/seeds" || rel_fail "index A (updates)"
cp -a "$T/A" "$T/B"
"$QUARRY" index -q --no-vectors -x "$T/B" "$T/u/seeds" "$T/u/extra" || rel_fail "update A -> B"
run_phase updates "$T/idx" "$T/A" "$T/B" "$T/u/seeds" "$T/u/extra" "$NTHREADS" "$REBUILDS" update
