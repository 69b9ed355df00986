#!/usr/bin/env bash
# End to end on seeds/, the way README.md's quick start says: `quarry index
# seeds/` (index in ./.quarry), then `quarry search QUERY`. Checks the three
# "done when" queries of issue 3, the output formats and the exit statuses.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
cp -r "$SRC/seeds" seeds
fail() { echo "FAIL: $*" >&2; exit 1; }
# Under valgrind memcheck (QUARRY_VALGRIND=1, scripts/valgrind-e2e.sh) the
# encoder runs about 300 times slower: the vector builds of seeds/ run
# unchecked ($QUARRY_NATIVE, the same binary), the rest under memcheck.
QB=$QUARRY
[ -n "${QUARRY_VALGRIND:-}" ] && QB=${QUARRY_NATIVE:-$QUARRY}

"$QB" index seeds/ > index.out
grep -q "indexed 5 documents" index.out || fail "index summary: $(cat index.out)"
[ -f .quarry/MANIFEST ] || fail "no .quarry/MANIFEST"
"$QUARRY" info > info.out
grep -q "^documents   5" info.out || fail "info: $(cat info.out)"
"$QUARRY" info --verify > verify.out
grep -q "verify      ok" verify.out || fail "info --verify"
"$QUARRY" info --json > info.json
python3 -c 'import json; d = json.load(open("info.json")); assert d["docs"] == 5 and d["files"]["s000001/postings"] > 0' \
  || fail "info --json: $(cat info.json)"

# text of passage hit N (1-based) of a --json result file
passage_text() {
  python3 - "$1" "$2" <<'PY'
import json, sys
hits = [json.loads(l) for l in open(sys.argv[1])]
h = hits[int(sys.argv[2]) - 1]
data = open(h["path"], "rb").read()
print(data[h["start"]:h["end"]].decode("utf-8", "replace"))
PY
}

# 1. "levée de fonds xAI": the passages about the 6-billion-dollar round come first
"$QUARRY" search --json "levée de fonds xAI" > q1.json
[ "$(wc -l < q1.json)" -eq 10 ] || fail "q1: expected 10 hits"
for r in 1 2; do
  t=$(passage_text q1.json $r)
  grep -q "6 milliards" <<< "$t" || fail "q1 hit $r is not about the 6 billion round: $t"
  grep -Eq "levée de fonds?" <<< "$t" || fail "q1 hit $r has no 'levée de fonds': $t"
done

# 2. "generateur d'images" finds "générateur d’images" (accents, typographic apostrophe)
"$QUARRY" search --json "generateur d'images" > q2.json
t=$(passage_text q2.json 1)
grep -q "générateur d’images" <<< "$t" || fail "q2 top hit lacks 'générateur d’images'"
grep -q "générateur d’images" q2.json || fail "q2 snippet lacks 'générateur d’images'"

# 3. "investisseur" finds "investisseurs"
"$QUARRY" search --json "investisseur" > q3.json
[ -s q3.json ] || fail "q3: no hit"
head -1 q3.json | grep -qi "investisseurs" || fail "q3 snippet lacks 'investisseurs'"

# human output: rank, score, path:line, title, snippet (no escape codes when not a tty)
"$QUARRY" search -k 3 "levée de fonds xAI" > human.out
[ "$(grep -c '^ *[0-9]\+\. [0-9.]\+  seeds/' human.out)" -eq 3 ] || fail "human output: $(cat human.out)"
if grep -q $'\033' human.out; then fail "escape codes in non-tty output"; fi
"$QUARRY" search --color=always -k 1 "xAI" > color.out
grep -q $'\033\[1;31mxAI' color.out || fail "--color=always highlights"

# --trec: 6 columns, one line per document, ranks 1..n
"$QUARRY" search --trec --qid 7 -k 5 "levée de fonds xAI" > run.trec
awk 'NF != 6 || $1 != "7" || $2 != "Q0" || $4 != NR || $6 != "quarry" { exit 1 }' run.trec || fail "trec format"
[ "$(cut -d' ' -f3 run.trec | sort | uniq -d | wc -l)" -eq 0 ] || fail "trec: duplicate docids"

# query syntax
"$QUARRY" search --json '"levée de fonds"' > ph.json
[ -s ph.json ] || fail "phrase: no hit"
"$QUARRY" search --json 'investiss*' > pre.json
grep -q investisseurs pre.json || fail "prefix investiss*"
"$QUARRY" search --json '+xAI -Tesla' > ex.json
if grep -q '"snippet":"[^"]*Tesla' ex.json; then fail "-Tesla"; fi
"$QUARRY" search --k1 1.2 --b 0.75 -k 1 "xAI" > /dev/null || fail "--k1 --b"

# exit status like grep: 1 and nothing on stdout when nothing matches (BM25: a vector leg always has neighbours)
set +e
"$QUARRY" search --mode bm25 "zzyzxquux" > none.out 2>&1; st=$?
set -e
[ $st -eq 1 ] || fail "no hit should exit 1, got $st"
[ ! -s none.out ] || fail "no hit should print nothing: $(cat none.out)"

# -x and QUARRY_INDEX
mv .quarry idx
"$QUARRY" search -x idx -k 1 xAI > /dev/null || fail "-x"
QUARRY_INDEX=idx "$QUARRY" search -k 1 xAI > /dev/null || fail "QUARRY_INDEX"
echo "search_seeds: ok"
