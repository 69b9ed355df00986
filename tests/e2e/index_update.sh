#!/usr/bin/env bash
# `quarry index -x DIR PATH...` on an existing index updates it (issue 8):
# new files added, changed ones re-indexed, vanished ones deleted, touched
# but unchanged ones left alone, unchanged passages not re-embedded. After
# each step the index verifies and answers; its hits (the set of matching
# documents, and the vector scores, which do not depend on BM25 statistics)
# are those of a fresh --rebuild of the same files. `--merge` leaves one
# segment whose BM25 scores equal the fresh build's and copies every vector.
# Settings mismatches and bad updates give one-line errors, index intact.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
# Under valgrind memcheck (QUARRY_VALGRIND=1, scripts/valgrind-e2e.sh) the
# encoder runs about 300 times slower: the vector builds of seeds/ run
# unchecked ($QUARRY_NATIVE, the same binary), the rest under memcheck.
QB=$QUARRY
[ -n "${QUARRY_VALGRIND:-}" ] && QB=${QUARRY_NATIVE:-$QUARRY}
expect_error() { # expect_error PATTERN CMD...: exit 2, one line on stderr matching PATTERN
  local pat=$1; shift
  set +e; "$@" > err.out 2> err.txt; local st=$?; set -e
  [ "$st" = 2 ] || fail "expected exit 2, got $st: $* ($(cat err.txt))"
  [ "$(wc -l < err.txt)" = 1 ] || fail "expected one error line: $(cat err.txt)"
  grep -q "^quarry: .*$pat" err.txt || fail "error does not say '$pat': $(cat err.txt)"
}
cp -r "$SRC/seeds" s
QUERIES=("levée de fonds" "xAI Musk" "intelligence artificielle" "milliards" "\"de fonds\"" "invest*" "-xai fonds"
         "Grok" "supercalculateur" "nouveau document ajouté")
# under valgrind memcheck (scripts/valgrind-e2e.sh sets QUARRY_VALGRIND=1) every
# vector search embeds its query ~100 times slower: 3 of the 10 queries
[ -n "${QUARRY_VALGRIND:-}" ] && QUERIES=("levée de fonds" "-xai fonds" "nouveau document ajouté")

# hits DIR MODE: the sorted set of documents every query finds (all hits)
hits() {
  local q
  for q in "${QUERIES[@]}"; do
    echo "== $q"
    "$QUARRY" search -x "$1" --mode "$2" --json -k 1000 -- "$q" | sed 's/.*"path":"\([^"]*\)".*/\1/' | sort -u || true
  done
}
# scores DIR MODE: every hit as "path start score", sorted (ids may differ, scores must not)
scores() {
  local q
  for q in "${QUERIES[@]}"; do
    echo "== ${q// /_} -"
    "$QUARRY" search -x "$1" --mode "$2" --json -k 1000 -- "$q" |
      sed 's/.*"score":\([^,]*\),.*"path":"\([^"]*\)".*"start":\([0-9]*\),.*/\2 \3 \1/' | sort -k1,1 -k2,2n || true
  done
}
# same_scores A B: the same hits with scores within 1e-4 (an embedding depends on its batch in the
# last float bits)
same_scores() {
  [ "$(wc -l < "$1")" = "$(wc -l < "$2")" ] &&
    paste -d' ' "$1" "$2" | awk '{ if ($1 != $4 || $2 != $5) exit 1; if ($1 != "==" && ($3 - $6 > 1e-4 || $6 - $3 > 1e-4)) exit 1 }'
}
# same_as_rebuild WHAT: idx answers like a fresh build of s/ (documents; vector scores)
same_as_rebuild() {
  rm -rf fresh
  "$QB" index -q -x fresh s || fail "$1: fresh build"
  "$QUARRY" info --verify -x idx > /dev/null || fail "$1: the updated index does not verify"
  [ "$(hits idx bm25)" = "$(hits fresh bm25)" ] || fail "$1: BM25 hits differ from a fresh build: $(diff <(hits idx bm25) <(hits fresh bm25))"
  scores idx vector > s1.txt
  scores fresh vector > s2.txt
  same_scores s1.txt s2.txt || fail "$1: vector hits differ from a fresh build: $(diff s1.txt s2.txt)"
}
segments() { grep -c '^segment ' idx/MANIFEST; }
field() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" "$2"; } # field WORD FILE: the number before WORD

# 0. first build: format 2.0, one segment
"$QB" index -x idx s > out.txt || fail "first build"
grep -q "indexed 5 documents" out.txt || fail "first build summary: $(cat out.txt)"
head -1 idx/MANIFEST | grep -qx "quarry-index 2.0" || fail "not a 2.0 index: $(head -1 idx/MANIFEST)"
[ "$(segments)" = 1 ] && [ -d idx/s000001 ] || fail "first build: not one segment s000001"
[ -f idx.lock ] || fail "no lock file beside the index"

# 1. nothing changed; then touched without a change: no commit
cp idx/MANIFEST manifest.0
"$QUARRY" index -x idx s > out.txt || fail "no-op update"
grep -q "idx is up to date: 0 added, 0 changed, 0 deleted, 5 unchanged; 1 segment; nothing committed" out.txt ||
  fail "no-op summary: $(cat out.txt)"
touch -d '2030-01-01' s/000_446b4627d861f2ba.txt
"$QUARRY" index -x idx s > out.txt || fail "touch update"
grep -q "up to date: 0 added, 0 changed, 0 deleted, 5 unchanged" out.txt || fail "touched file counted as changed: $(cat out.txt)"
cmp -s manifest.0 idx/MANIFEST || fail "an update without changes committed"

# 2. add, change (append to the longest file, 4 of the 10 passages: only its tail passages change),
#    delete (5 of 10 passages deleted in all: not more than half, s000001 is kept with a bitmap)
big=s/004_470020fb51c335e4.txt
echo "Un nouveau document ajouté sur les levées de fonds et l'intelligence artificielle." > s/new.txt
printf '\nUne phrase ajoutée à la fin du document, sur Grok et le supercalculateur.\n' >> "$big"
rm s/002_54df15698cb5ceed.txt
"$QUARRY" index -x idx s > out.txt || fail "update 2"
grep -q "updated idx: 1 added, 1 changed, 1 deleted, 3 unchanged (0 skipped); 2 segments, 5 documents" out.txt ||
  fail "update 2 summary: $(cat out.txt)"
copied=$(field copied out.txt) embedded=$(field embedded out.txt)
new_passages=$(sed -n 's/^segment s000002 [0-9]* \([0-9]*\) .*/\1/p' idx/MANIFEST)
[ "$((copied + embedded))" = "$new_passages" ] || fail "vectors: $copied + $embedded != $new_passages passages"
[ "$copied" -ge 2 ] || fail "unchanged passages of the changed file were re-embedded: $(cat out.txt)"
[ "$embedded" -le 3 ] || fail "too many passages embedded: $(cat out.txt)"
grep -q '^segment s000001 5 [0-9]* [1-9][0-9]* [1-9]' idx/MANIFEST || fail "no deletions recorded: $(cat idx/MANIFEST)"
[ -f idx/s000001.del ] || fail "no s000001.del"
[ -z "$(ls -d idx.tmp-* 2> /dev/null)" ] || fail "temporary folder left"
same_as_rebuild "update 2"
"$QUARRY" search -x idx -k 1 "nouveau document ajouté" | grep -q "s/new.txt" || fail "new file not found"
"$QUARRY" search -x idx --json -k 100 "supercalculateur" | grep -q '002_54df15698cb5ceed' && fail "deleted file still found"

# 3. a copy of an indexed file (same content, new path): its vectors are copied
cp s/001_62c14ce66077f5ca.txt s/copy.txt
"$QUARRY" index -x idx s > out.txt || fail "update 3"
grep -q "1 added, 0 changed, 0 deleted, 5 unchanged" out.txt || fail "update 3 summary: $(cat out.txt)"
grep -q "vectors: [1-9][0-9]* copied, 0 embedded" out.txt || fail "copy re-embedded: $(cat out.txt)"
same_as_rebuild "update 3"

# 4. merge: one segment, no deletions, nothing embedded, BM25 scores = a fresh build's
"$QUARRY" index -x idx --merge > out.txt || fail "merge"
grep -q "merged idx: 3 segments into 1, 6 documents" out.txt || fail "merge summary: $(cat out.txt)"
grep -q "vectors: [1-9][0-9]* copied, 0 embedded" out.txt || fail "merge re-embedded: $(cat out.txt)"
[ "$(segments)" = 1 ] && ! ls idx/*.del > /dev/null 2>&1 || fail "merge left $(segments) segments or .del files"
same_as_rebuild "merge"
scores idx bm25 > s1.txt
scores fresh bm25 > s2.txt
same_scores s1.txt s2.txt || fail "merged BM25 scores differ: $(diff s1.txt s2.txt)"
# documents keep their metadata: path, title, mtime (a touched file keeps the indexed mtime)
"$QUARRY" index -x idx --merge | grep -q "nothing to merge" || fail "second merge did something"
"$QUARRY" index -x idx s | grep -q "up to date" || fail "after the merge, unchanged files are seen as changed"

# 5. settings mismatches, bad updates: one line, index intact
cp idx/MANIFEST manifest.1
expect_error "built with --lang fr, not en.*--rebuild" "$QUARRY" index -x idx --lang en s
expect_error "passage-tokens 200.*--rebuild" "$QUARRY" index -x idx --passage-tokens 100 s
expect_error "has vectors.*--no-vectors.*--rebuild" "$QUARRY" index -x idx --no-vectors s
mkdir empty
expect_error "nothing to index" "$QUARRY" index -x idx empty
expect_error "takes no PATH" "$QUARRY" index -x idx --merge s
cmp -s manifest.1 idx/MANIFEST || fail "a refused update changed the index"
[ -z "$(ls -d idx.tmp-* 2> /dev/null)" ] || fail "temporary folder left by a refused update"
# --rebuild changes settings; other formats always rebuild (and say so)
"$QUARRY" index -q -x idx --rebuild --no-vectors --lang en s || fail "--rebuild with other settings"
grep -q "^analyzer.lang en" idx/MANIFEST || fail "--rebuild kept the old settings"
printf '{"_id":"a","title":"t","text":"un texte"}\n' > c.jsonl
"$QUARRY" index -x idx --no-vectors --format beir c.jsonl > out.txt 2> err.txt || fail "beir over files"
grep -q "rebuilding idx (updates are for --format files)" err.txt || fail "no rebuild note: $(cat err.txt)"

# 6. merge policy: never more than 8 segments; a segment mostly deleted is rewritten
rm -rf idx p && mkdir p
for i in 1 2 3 4 5 6; do echo "document numéro $i sur les levées de fonds" > p/d$i.txt; done
"$QUARRY" index -q -x idx --no-vectors p
for i in $(seq 7 18); do
  echo "document numéro $i sur les milliards" > p/d$i.txt
  "$QUARRY" index -q -x idx --no-vectors p || fail "update $i"
  [ "$(segments)" -le 8 ] || fail "$(segments) segments after update $i"
done
rm p/d1.txt p/d2.txt p/d3.txt p/d4.txt
"$QUARRY" index -x idx --no-vectors p > out.txt || fail "deleting most of s000001"
awk '$1 == "segment" && $5 * 2 > $4 { bad = 1 } END { exit bad }' idx/MANIFEST ||
  fail "a segment with more than half of its passages deleted was kept: $(grep segment idx/MANIFEST)"
grep -q "rewritten by the merge policy" out.txt || fail "no rewrite reported: $(cat out.txt)"
"$QUARRY" info --verify -x idx > /dev/null || fail "merge policy: verify"
[ "$("$QUARRY" search -x idx --json -k 100 document | wc -l)" = 14 ] || fail "merge policy: documents lost"
echo "ok: $(cat out.txt)"
