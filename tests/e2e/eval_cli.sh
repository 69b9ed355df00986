#!/usr/bin/env bash
# quarry eval on a run file: table, per-query and JSON output; errors are one
# "quarry: " line with exit status 2.
set -euo pipefail
D=$SRC/tests/data/corpus
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
printf 'a Q0 d2 1 2.5 x\na Q0 d1 2 1.5 x\nb Q0 d1 1 1 x\nz Q0 d1 1 1 x\n' > "$T/run"
out=$("$QUARRY" eval --qrels "$D/qrels.trec" --run "$T/run" --metrics map,mrr@10,p@1)
echo "$out"
grep -q '^queries *2$' <<<"$out"
grep -q '^map *0.7500$' <<<"$out"      # a: d1 at rank 2 (1/2), b: d1 at rank 1 (1)
grep -q '^mrr@10 *0.7500$' <<<"$out"
grep -q '^p@1 *0.5000$' <<<"$out"
"$QUARRY" eval --qrels "$D/qrels.trec" --run "$T/run" --metrics map --per-query | grep -q '^a  *0.5000$'
"$QUARRY" eval --qrels "$D/qrels.trec" --run "$T/run" --metrics map --json --per-query > "$T/j"
[ "$(wc -l < "$T/j")" = 3 ]
grep -q '"qid":"all","queries":2,"map":0.75' "$T/j"
"$QUARRY" eval --qrels "$D/qrels.trec" --run "$T/run" --write-run "$T/run2" > /dev/null
head -1 "$T/run2" | grep -q '^a Q0 d2 1 2.5 quarry$'
fail() { # expect exit 2 and one "quarry: " line mentioning $1
  local want=$1; shift
  set +e; "$QUARRY" eval "$@" > "$T/out" 2> "$T/err"; local rc=$?; set -e
  [ $rc = 2 ] || { echo "exit $rc for: $*"; exit 1; }
  [ "$(wc -l < "$T/err")" = 1 ] && grep -q "^quarry: .*$want" "$T/err" || { cat "$T/err"; exit 1; }
}
fail "qrels FILE is required" --run "$T/run"
fail "give --run FILE" --qrels "$D/qrels.trec"
fail "unknown metric" --qrels "$D/qrels.trec" --run "$T/run" --metrics foo
fail "unknown qrels format" --qrels "$D/qrels.trec" --qrels-format xml --run "$T/run"
fail "nonexistent" --qrels /nonexistent --run "$T/run"
fail "expected 'qid Q0 docid rank score tag'" --qrels "$D/qrels.trec" --run "$D/qrels.trec"
fail "unknown option" --qrels "$D/qrels.trec" --run "$T/run" --bogus
fail "needs a value" --qrels
fail "excludes" --qrels "$D/qrels.trec" --run "$T/run" -x /tmp
"$QUARRY" eval --help | grep -q '^usage: quarry eval'
echo ok
