#!/usr/bin/env bash
# bench/gen/corpusgen: same seed gives the same bytes, a smaller corpus is a
# prefix of a larger one, the formats are what the peers expect, bad options
# fail cleanly. (No timing: benchmarks never assert on time.)
set -euo pipefail
GEN=$BUILD/bench/corpusgen
[ -x "$GEN" ] || { echo "corpusgen not built"; exit 1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
"$GEN" -n 300 -q 50 --vocab 20000 --seed 7 -o "$t/a"
"$GEN" -n 300 -q 50 --vocab 20000 --seed 7 -o "$t/b"
"$GEN" -n 1000 -q 50 --vocab 20000 --seed 7 -o "$t/c"
"$GEN" -n 300 -q 50 --vocab 20000 --seed 8 -o "$t/d"
"$GEN" -n 300 -q 50 --vocab 20000 --seed 7 --jsonl -o "$t/j"
cmp "$t/a/corpus.tsv" "$t/b/corpus.tsv"
cmp "$t/a/queries.txt" "$t/b/queries.txt"
head -300 "$t/c/corpus.tsv" | cmp - "$t/a/corpus.tsv"
if cmp -s "$t/a/corpus.tsv" "$t/d/corpus.tsv"; then echo "seed ignored"; exit 1; fi
[ "$(wc -l < "$t/a/corpus.tsv")" -eq 300 ]
[ "$(wc -l < "$t/a/queries.txt")" -eq 50 ]
# ids 0..n-1, one tab, text of letters, spaces, '.' and ','
awk -F'\t' 'NF != 2 || $1 != NR - 1 || $2 !~ /^[A-Z][a-z., A-Z]*\.$/ {print "bad line " NR; exit 1}' "$t/a/corpus.tsv"
# queries: 1..6 distinct lowercase terms
awk 'NF < 1 || NF > 6 || $0 !~ /^[a-z]+( [a-z]+)*$/ {print "bad query " NR; exit 1}
     {split("", s); for (i = 1; i <= NF; i++) {if ($i in s) {print "dup term " NR; exit 1}; s[$i] = 1}}' "$t/a/queries.txt"
# every query term occurs in the corpus
cut -f2 "$t/a/corpus.tsv" | tr 'A-Z' 'a-z' | tr -c 'a-z\n' ' ' | tr ' ' '\n' | sort -u > "$t/words"
tr ' ' '\n' < "$t/a/queries.txt" | sort -u | comm -23 - "$t/words" > "$t/missing"
[ ! -s "$t/missing" ] || { echo "query terms not in corpus:"; head "$t/missing"; exit 1; }
# JSONL (BEIR records) carries the same texts, and the TSV is unchanged
cmp "$t/a/corpus.tsv" "$t/j/corpus.tsv"
head -1 "$t/j/corpus.jsonl" | grep -q '^{"_id":"0","text":"'
[ "$(head -1 "$t/j/corpus.jsonl" | sed 's/^{"_id":"0","text":"//; s/"}$//')" = "$(head -1 "$t/a/corpus.tsv" | cut -f2)" ]
if command -v python3 > /dev/null; then
  python3 -c 'import json, sys
for i, l in enumerate(open(sys.argv[1])):
    d = json.loads(l); assert d["_id"] == str(i) and d["text"]' "$t/j/corpus.jsonl"
fi
[ "$(wc -l < "$t/j/corpus.jsonl")" -eq 300 ]
grep -q '"passages": 300' "$t/a/stats.json"
grep -q '"postings": ' "$t/a/stats.json"
# bad input: clear error, exit 2
set +e
"$GEN" -n 10 > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$GEN" -n abc -o "$t/x" > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$GEN" -n 10 -o "$t/x" --zipf-s 9 > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$GEN" -n 10 -o /proc/nope/x > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
"$GEN" -n 10 -o "$t/x" --bogus 1 > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
echo ok
