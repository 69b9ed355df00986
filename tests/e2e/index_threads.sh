#!/usr/bin/env bash
# Indexing with worker threads and a memory bound (--threads, --memory):
# the index must not depend on them. A generated corpus (BEIR records) and
# the seeds (files, French analysis: surface forms merged across workers)
# are built single-threaded without a bound, then with 2 and 3 threads and
# a 1 MB bound (many chunks; the postings, the term dictionaries and the
# surface forms spilled to sorted runs, emptied and merged; the tables
# streamed to their files); every file of the segment must be byte-identical (the MANIFEST
# lists each file's xxHash64) and the search output the same. An update
# and a merge with threads give the files of the unthreaded ones.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}" "${BUILD:?}"
GEN=$BUILD/bench/corpusgen
[ -x "$GEN" ] || { echo "no $GEN: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
files() { grep -E '^(file|docs|passages|terms|surface_forms|postings|total_tokens) ' "$1/s000001/MANIFEST"; }
searches() { # index queries-file: top 20 of every query, and its first two words as a phrase
  while read -r q; do
    "$QUARRY" search -x "$1" -k 20 --trec --mode bm25 "$q" || [ $? -eq 1 ] # 1: no hit
    set -- "$1" $q
    if [ $# -ge 3 ]; then "$QUARRY" search -x "$1" -k 5 --trec --mode bm25 "\"$2 $3\"" || [ $? -eq 1 ]; fi
    set -- "$1"
  done < "$2"
}

"$GEN" -n 6000 -q 40 --seed 7 --jsonl -o "$T/c" > /dev/null
# under valgrind memcheck (QUARRY_VALGRIND=1, scripts/valgrind-e2e.sh) a search
# process takes about 6 s, whatever its query: the first 8 of the 40 queries
# (80 searches instead of 400); the builds, all checked, are the same
Q=$T/c/queries.txt
[ -n "${QUARRY_VALGRIND:-}" ] && head -8 "$T/c/queries.txt" > "$T/q8.txt" && Q=$T/q8.txt
minhits=$(($(wc -l < "$Q") * 5)) # 40 queries: over 200 lines
common=(--no-vectors --lang none --format beir)
"$QUARRY" index -q "${common[@]}" --threads 1 --memory 0 -o "$T/base" "$T/c/corpus.jsonl"
searches "$T/base" "$Q" > "$T/base.out"
[ "$(wc -l < "$T/base.out")" -gt $minhits ] || fail "too few hits: $(wc -l < "$T/base.out")"
for cfg in "2 1" "3 1" "2 0" "1 1"; do
  set -- $cfg
  "$QUARRY" index -q "${common[@]}" --threads "$1" --memory "$2" -o "$T/t$1m$2" "$T/c/corpus.jsonl"
  diff <(files "$T/base") <(files "$T/t$1m$2") || fail "--threads $1 --memory $2: another index"
  searches "$T/t$1m$2" "$Q" > "$T/t.out"
  cmp -s "$T/base.out" "$T/t.out" || fail "--threads $1 --memory $2: other search results"
  "$QUARRY" info --verify -x "$T/t$1m$2" > /dev/null || fail "--threads $1 --memory $2: verify"
  ls "$T/t$1m$2/s000001" | grep -q run- && fail "--threads $1 --memory $2: a run file was left behind"
done

# Many runs: 24000 passages under --memory 1 spill about 115 runs (counted
# with strace: run-W-N files created), merged through the tournament of the
# merge (index/qx_tourn.h): terms in one run only or in every run, a term's
# postings alternating between the two workers' runs chunk by chunk. One
# worker without a bound makes one run, merged with nothing: same files.
# (Under memcheck the 6000 passages above, about 30 runs, stand for it.)
if [ -z "${QUARRY_VALGRIND:-}" ]; then
  "$GEN" -n 24000 -q 1 --seed 11 --jsonl -o "$T/big" > /dev/null
  "$QUARRY" index -q "${common[@]}" --threads 1 --memory 0 -o "$T/big1" "$T/big/corpus.jsonl"
  "$QUARRY" index -q "${common[@]}" --threads 2 --memory 1 -o "$T/big2" "$T/big/corpus.jsonl"
  diff <(files "$T/big1") <(files "$T/big2") || fail "many runs: another index"
  rm -rf "$T/big" "$T/big1" "$T/big2"
fi

# Files, French: stems and surface forms from several workers
mkdir "$T/p"
for f in "$SRC"/seeds/*.txt; do
  b=$(basename "$f" | cut -c1-3)
  awk -v b="$b" -v d="$T/p" 'NF { n++; fn = sprintf("%s/%s-p%02d.txt", d, b, n); print > fn; close(fn) }' "$f"
done
# threads start at 4 chunks of input (64 KiB each under --memory 1): 64
# copies make about 20 chunks, and runs (with their surface forms) spilled
# several times per worker
mkdir "$T/pp"
for r in $(seq 64); do for f in "$T"/p/*; do cp "$f" "$T/pp/r$r-$(basename "$f")"; done; done
"$QUARRY" index -q --no-vectors --threads 1 --memory 0 -o "$T/f1" "$T/pp"
for t in 1 2; do
  "$QUARRY" index -q --no-vectors --threads $t --memory 1 -o "$T/f2" "$T/pp"
  diff <(files "$T/f1") <(files "$T/f2") || fail "files: --threads $t --memory 1 gives another index"
  [ $t = 1 ] && rm -rf "$T/f2"
done
for q in "levée de fonds" "intelligence artificielle" "invest*" '"modèle de langage"'; do
  "$QUARRY" search -x "$T/f1" -k 20 --trec --mode bm25 "$q" > "$T/s1" || [ $? -eq 1 ]
  "$QUARRY" search -x "$T/f2" -k 20 --trec --mode bm25 "$q" > "$T/s2" || [ $? -eq 1 ]
  cmp -s "$T/s1" "$T/s2" || fail "files: search '$q' differs"
done

# An update and a merge with threads: the files of the unthreaded ones
mkdir "$T/p2"
cp "$T"/p/00[0-2]-* "$T/p2/"
for t in 1 2; do
  "$QUARRY" index -q --no-vectors --threads "$t" --memory 1 -o "$T/u$t" "$T/p2"
  cp -p "$T"/p/00[34]-* "$T/p2/"
  "$QUARRY" index -q --no-vectors --threads "$t" --memory 1 -x "$T/u$t" "$T/p2"
  rm -f "$T"/p2/00[34]-*
done
diff <(grep -E '^segment ' "$T/u1/MANIFEST" | cut -d' ' -f1-4) <(grep -E '^segment ' "$T/u2/MANIFEST" | cut -d' ' -f1-4) ||
  fail "update: other segments"
for s in $(grep -E '^segment ' "$T/u1/MANIFEST" | cut -d' ' -f2); do
  diff <(grep '^file' "$T/u1/$s/MANIFEST") <(grep '^file' "$T/u2/$s/MANIFEST") || fail "update: segment $s differs"
done
"$QUARRY" index -q --threads 2 --memory 1 -x "$T/u2" --merge
"$QUARRY" index -q --no-vectors --threads 1 --memory 0 -o "$T/all" "$T/p"
"$QUARRY" info --verify -x "$T/u2" > /dev/null || fail "merge: verify"
cmp -s <("$QUARRY" search -x "$T/all" -k 20 --trec --mode bm25 "levée de fonds") \
  <("$QUARRY" search -x "$T/u2" -k 20 --trec --mode bm25 "levée de fonds" | sed 's|/p2/|/p/|') ||
  fail "merge: search differs"

# Bad values: one clear line, exit 2
for bad in "--threads 0" "--threads x" "--memory -1" "--memory lots"; do
  set +e
  err=$("$QUARRY" index -q --no-vectors $bad -o "$T/bad" "$T/p" 2>&1)
  st=$?
  set -e
  [ $st -eq 2 ] || fail "$bad: exit $st"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "$bad: $err"
done
[ -e "$T/bad" ] && fail "a bad option wrote an index"
echo ok
