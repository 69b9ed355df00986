#!/usr/bin/env bash
# Format compatibility: the golden indexes of tests/data/golden/, written by
# an earlier quarry (lexicon 2 with lexicon.idx), open, verify, and answer
# every query exactly like a fresh build of the same files (lexicon 3):
# terms, phrases, prefixes, exclusions, absent words; `info --dump` agrees.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
queries=("xai" "intelligence artificielle" "\"intelligence artificielle\"" "milliards -musk" "+musk dollars"
         "inv*" "a*" "x*" "zzzz" "levée de fonds" "silicon valley" "l*" "investisseurs" "d*")
for lang in none fr; do
  old=$SRC/tests/data/golden/lexicon2-$lang
  new=$tmp/new-$lang
  # built from the source root with the same relative path, so documents have the same paths
  (cd "$SRC" && "$QUARRY" index -q --no-vectors --lang "$lang" -o "$new" seeds)
  "$QUARRY" info -x "$old" --verify > /dev/null || fail "$lang: golden index does not verify"
  for q in "${queries[@]}"; do
    so=0 sn=0 # 1: no hit
    "$QUARRY" search -x "$old" -k 50 --json -- "$q" > "$tmp/old.json" || so=$?
    "$QUARRY" search -x "$new" -k 50 --json -- "$q" > "$tmp/new.json" || sn=$?
    [ $so -le 1 ] && [ $so = $sn ] || fail "$lang: '$q': exit status $so (golden) and $sn (new)"
    cmp -s "$tmp/old.json" "$tmp/new.json" || fail "$lang: '$q' differs: $(diff "$tmp/old.json" "$tmp/new.json" | head -5)"
  done
  "$QUARRY" info -x "$old" --dump > "$tmp/old.dump"
  "$QUARRY" info -x "$new" --dump > "$tmp/new.dump"
  cmp -s "$tmp/old.dump" "$tmp/new.dump" || fail "$lang: --dump differs: $(diff "$tmp/old.dump" "$tmp/new.dump" | head -5)"
done
echo "index_compat: ok"
