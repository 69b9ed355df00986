#!/usr/bin/env bash
# quarry grep --index DIR: patterns answered from the index's stored text
# give exactly the output of scanning the files; --rank answers with the
# index's BM25 search in grep's format.
set -u
cd "$SRC"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Under valgrind memcheck (QUARRY_VALGRIND=1, scripts/valgrind-e2e.sh) the
# encoder runs about 300 times slower: the vector builds of seeds/ run
# unchecked ($QUARRY_NATIVE, the same binary), the rest under memcheck.
QB=$QUARRY
[ -n "${QUARRY_VALGRIND:-}" ] && QB=${QUARRY_NATIVE:-$QUARRY}
"$QB" index -q -o "$tmp/idx" seeds/ > /dev/null 2>&1 || "$QB" index -o "$tmp/idx" seeds/ > /dev/null || fail "index"
for args in "-n levée" "-c -i xai" "-o -E [0-9]+,?[0-9]*" "-C1 -n Grok" "-l Memphis" "-v -c e" "-w -n IA"; do
  read -ra a <<< "$args"
  "$QUARRY" grep "${a[@]}" seeds/* > "$tmp/scan"; s1=$?
  "$QUARRY" grep --index "$tmp/idx" "${a[@]}" > "$tmp/ix"; s2=$?
  [ $s1 = $s2 ] || fail "exit status differs for $args: $s1 vs $s2"
  cmp -s "$tmp/scan" "$tmp/ix" || { diff "$tmp/scan" "$tmp/ix" | head; fail "output differs for $args"; }
done
# one stored file only
"$QUARRY" grep --index "$tmp/idx" -n xAI seeds/002_54df15698cb5ceed.txt > "$tmp/ix"
"$QUARRY" grep -n xAI seeds/002_54df15698cb5ceed.txt > "$tmp/scan"
cmp -s "$tmp/scan" "$tmp/ix" || fail "single file differs"
# ranked from the index: passages, best first, file:line:text
"$QUARRY" grep --index "$tmp/idx" --rank --scores --top 2 "levée de fonds xAI" > "$tmp/r" || fail "rank exit"
head -1 "$tmp/r" | grep -Eq '^[0-9.]+:seeds/[0-9a-f_]+\.txt:[0-9]+:' || fail "rank format: $(head -1 "$tmp/r")"
grep -q '^--$' "$tmp/r" || fail "no separator between passages"
"$QUARRY" grep --index "$tmp/idx" --rank "zzzqqq" > /dev/null; [ $? = 1 ] || fail "no hit should exit 1"
# FILE operands restrict the ranked passages
f=seeds/001_62c14ce66077f5ca.txt
"$QUARRY" grep --index "$tmp/idx" --rank -H "levée de fonds" "$f" > "$tmp/r" || fail "rank with FILE exit"
grep -v '^--$' "$tmp/r" | grep -Eqv "^ *([0-9.]+:)?$f[:-]" && fail "rank with FILE shows other files"
# --semantic / --hybrid from the index's vectors (skipped without vectors)
"$QUARRY" grep --index "$tmp/idx" --semantic --scores --top 3 "levée de fonds" > "$tmp/s" 2> "$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q "no vectors\|model" "$tmp/err"; then
  echo "grep --index --semantic: skipped ($(cat "$tmp/err"))"
else
  [ $rc = 0 ] || fail "semantic exit $rc: $(cat "$tmp/err")"
  head -1 "$tmp/s" | grep -Eq '^0\.[0-9]+:seeds/[0-9a-f_]+\.txt:[0-9]+:' || fail "semantic format: $(head -1 "$tmp/s")"
  [ "$(grep -c '^--$' "$tmp/s")" = 2 ] || fail "semantic --top 3: 3 passages"
  grep -Eo '^0\.[0-9]+' "$tmp/s" | awk 'NR > 1 && $1 > prev { exit 1 } { prev = $1 }' || fail "semantic not best first"
  # the default threshold (0.82) keeps close passages only
  n=$("$QUARRY" grep --index "$tmp/idx" --semantic "recette de cuisine aux champignons" | grep -c '^--$')
  [ "$n" -le 2 ] || fail "semantic default threshold keeps $n passages for an unrelated query"
  "$QUARRY" grep --index "$tmp/idx" --hybrid --scores "lever des fonds" > "$tmp/h" || fail "hybrid exit"
  [ "$(grep -c '^--$' "$tmp/h")" = 9 ] || fail "hybrid: 10 passages by default"
  head -1 "$tmp/h" | grep -Eq '^0\.[0-9]+:seeds/' || fail "hybrid format: $(head -1 "$tmp/h")"
  "$QUARRY" grep --index "$tmp/idx" --hybrid -H --top 2 "levée de fonds" "$f" > "$tmp/h" || fail "hybrid with FILE exit"
  grep -v '^--$' "$tmp/h" | grep -Eqv "^ *([0-9.]+:)?$f[:-]" && fail "hybrid with FILE shows other files"
fi
"$QUARRY" grep --index "$tmp/nope" x > /dev/null 2>&1; [ $? = 2 ] || fail "missing index should exit 2"
echo "grep --index: ok"
