#!/usr/bin/env bash
# Segmented indexes (format 2.0) through the CLI: the seed paragraphs as one
# segment and as three give the same search, grep --index and eval output;
# with documents deleted, search, grep --index, eval and info never show
# them and count only live ones. The segmented indexes are assembled by
# tests/unit/test_segments (`mkindex`), the library's own top-level writer.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}" "${BUILD:?}"
TOOL=$BUILD/tests/test_segments
[ -x "$TOOL" ] || { echo "no $TOOL: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
Q=$SRC/tests/data/seeds-qrels
mkdir "$T/p"
for f in "$SRC"/seeds/*.txt; do
  b=$(basename "$f" | cut -c1-3)
  awk -v b="$b" -v d="$T/p" 'NF { n++; fn = sprintf("%s/%s-p%02d.txt", d, b, n); print > fn; close(fn) }' "$f"
done
cd "$T/p"
g1=$(ls 000-* 001-* | paste -sd,); g2=$(ls 002-* 003-* | paste -sd,); g3=$(ls 004-* | paste -sd,)
"$QUARRY" index -q --no-vectors -o ../one *.txt
"$TOOL" mkindex ../seg "$g1" "$g2" "$g3"
"$TOOL" mkindex ../segd --delete 001- --delete 004-p0 "$g1" "$g2" "$g3"
ndocs=$(ls | wc -l); ndel=$(ls 001-* 004-p0* | wc -l)

# info: format, segments, live counts; --verify covers every segment and .del
"$QUARRY" info -x ../seg > info.seg
grep -q '^format *2.0' info.seg || fail "format: $(cat info.seg)"
grep -q '^segments *3' info.seg || fail "segments: $(cat info.seg)"
grep -q "^documents *$ndocs\$" info.seg || fail "documents: $(grep documents info.seg)"
"$QUARRY" info --verify -x ../segd > info.segd || fail "verify segd"
grep -q "^documents *$((ndocs - ndel)) ($ndel deleted" info.segd || fail "live documents: $(grep documents info.segd)"
grep -q 'verify *ok' info.segd || fail "verify line"
"$QUARRY" info --json -x ../segd > info.json
python3 - info.json "$((ndocs - ndel))" <<'PY' || fail "info --json"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["docs"] == int(sys.argv[2]) and o["format"] == "2.0", o
assert len(o["segments"]) == 3 and sum(s["deleted_docs"] for s in o["segments"]) == o["doc_ids"] - o["docs"], o
assert any(f.endswith(".del") for f in o["files"]), o["files"]
PY

# search: one segment and three give the same output
while IFS=$'\t' read -r qid q; do
  for k in 3 20; do
    "$QUARRY" search -x ../one --mode bm25 --json -k $k -- "$q" > a.json || true
    "$QUARRY" search -x ../seg --mode bm25 --json -k $k -- "$q" > b.json || true
    cmp -s a.json b.json || { diff a.json b.json | head -5; fail "search differs for query $qid k=$k"; }
  done
  "$QUARRY" search -x ../segd --mode bm25 --json -k 50 -- "$q" > d.json || true
  ! grep -Eq '"(001-p[0-9]+|004-p0[0-9])\.txt"' d.json || fail "deleted document in search for query $qid"
done < "$Q/queries.tsv"
"$QUARRY" search -x ../segd --mode bm25 --per-doc -k 50 "Grok levée fonds" > /dev/null

# eval: identical on one and three segments; no deleted document in the run
"$QUARRY" eval -x ../one --queries "$Q/queries.tsv" --qrels "$Q/qrels.txt" --per-query --json > e1.json
"$QUARRY" eval -x ../seg --queries "$Q/queries.tsv" --qrels "$Q/qrels.txt" --per-query --json > e3.json
cmp -s e1.json e3.json || { diff e1.json e3.json | head -5; fail "eval differs"; }
"$QUARRY" eval -x ../segd --queries "$Q/queries.tsv" --qrels "$Q/qrels.txt" --write-run run.txt > /dev/null
[ -s run.txt ] || fail "empty run"
! grep -Eq ' (001-p[0-9]+|004-p0[0-9])\.txt ' run.txt || fail "deleted document in the eval run"

# grep --index: patterns over live documents only = scanning the live files
live=$(ls | grep -E '^[0-9]{3}-p[0-9]+\.txt$' | grep -Ev '^(001-|004-p0)')
for args in "-n levée" "-c -i xai" "-l Memphis" "-w -n IA"; do
  read -ra a <<< "$args"
  set +e
  "$QUARRY" grep "${a[@]}" $live > scan.out; s1=$?
  "$QUARRY" grep --index ../segd "${a[@]}" > ix.out; s2=$?
  "$QUARRY" grep --index ../seg "${a[@]}" > all.out; s3=$?
  "$QUARRY" grep "${a[@]}" $(ls | grep -E '^[0-9]{3}-p[0-9]+\.txt$') > allscan.out
  set -e
  [ $s1 = $s2 ] || fail "grep --index exit status $s2, scan $s1 for $args"
  cmp -s scan.out ix.out || { diff scan.out ix.out | head; fail "grep --index on deletions differs for $args"; }
  cmp -s allscan.out all.out || { diff allscan.out all.out | head; fail "grep --index on 3 segments differs for $args"; }
done
"$QUARRY" grep --index ../segd --rank --top 100 "levée de fonds Memphis Grok" > rank.out || fail "grep --rank"
! grep -Eq '^(001-p[0-9]+|004-p0[0-9])\.txt:' rank.out || fail "deleted document in grep --index --rank"

# a 1.0 index still opens: a segment folder on its own
"$QUARRY" info -x ../seg/s000004 | grep -q '^format *1.0' || fail "segment folder as a 1.0 index"
"$QUARRY" search -x ../seg/s000004 --mode bm25 -k 3 "centre de données" > /dev/null || fail "search a 1.0 index"
echo "segments: ok ($ndocs documents, $ndel deleted)"
