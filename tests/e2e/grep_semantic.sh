#!/usr/bin/env bash
# quarry grep --semantic / --hybrid on the seeds with the default model
# (skipped when the model is not installed).
set -u
cd "$SRC"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
files=(seeds/*)
# under valgrind memcheck (scripts/valgrind-e2e.sh sets QUARRY_VALGRIND=1) the
# encoder is slow (about 0.04 s per token with OpenBLAS's Sandybridge kernels, over a
# second with its FMA ones): one of the five files (13 lines) instead, each
# line cut to its first 90 characters
if [ -n "${QUARRY_VALGRIND:-}" ]; then
  python3 -c '
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(line.rstrip("\n")[:90])' seeds/002_54df15698cb5ceed.txt > "$tmp.short" || fail "shorten"
  trap 'rm -f "$tmp" "$tmp.short"' EXIT
  files=("$tmp.short")
fi
"$QUARRY" grep --semantic --scores --threshold 0 "levée de fonds" "${files[@]}" > "$tmp" 2>/dev/null
rc=$?
[ $rc = 2 ] && { echo "skip: no embedding model"; exit 77; }
[ $rc = 0 ] || fail "semantic exit $rc"
head -1 "$tmp" | grep -q "levée de fonds" || fail "semantic top line: $(head -1 "$tmp")"
# scores are cosines, best first; the default threshold keeps some lines
cut -d: -f1 "$tmp" | sort -g -r -c || fail "not sorted"
cut -d: -f1 "$tmp" | awk '$1 > 1 || $1 < -1 { exit 1 }' || fail "cosine out of range"
all=$(wc -l < "$tmp")
some=$(cut -d: -f1 "$tmp" | awk '$1 >= 0.82' | wc -l)
[ "$some" -gt 0 ] && [ "$some" -lt "$all" ] || fail "default threshold keeps $some of $all"
# a query unrelated to the seeds keeps (almost) nothing by default
[ "$("$QUARRY" grep --semantic "recette de cuisine aux champignons" "${files[@]}" | wc -l)" -le 2 ] || fail "unrelated query"
# hybrid: 10 units by default, lines with the words near the top
"$QUARRY" grep --hybrid "lever des fonds" "${files[@]}" > "$tmp" || fail "hybrid exit"
[ "$(wc -l < "$tmp")" = 10 ] || fail "hybrid top 10"
head -3 "$tmp" | grep -q "fonds" || fail "hybrid finds fonds"
echo "grep --semantic/--hybrid: ok"
