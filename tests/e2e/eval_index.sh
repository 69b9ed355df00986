#!/usr/bin/env bash
# quarry index --format beir + quarry eval on the small collection in
# tests/data/eval, then the run quarry wrote is evaluated by pytrec_eval and
# must give quarry's numbers (4 decimals) for every query and the mean.
set -euo pipefail
D=$SRC/tests/data/eval
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$QUARRY" index --no-vectors --format beir --lang en -o "$T/idx" "$D/corpus.jsonl" > /dev/null
"$QUARRY" search -x "$T/idx" --trec -k 3 "solar electricity" | head -1 | grep -q '^1 Q0 d01 1 '
M=ndcg@10,map,mrr@10,recall@100,p@10
"$QUARRY" eval -x "$T/idx" --queries "$D/queries.jsonl" --qrels "$D/qrels.tsv" --metrics $M \
  --per-query --json --write-run "$T/run" > "$T/quarry.json"
cat "$T/quarry.json"
grep -q '"qid":"all","queries":8,' "$T/quarry.json"   # query 9 is not judged
out=$("$QUARRY" eval -x "$T/idx" --queries "$D/queries.jsonl" --qrels "$D/qrels.tsv")
echo "$out"
grep -q '^ndcg@10 ' <<<"$out"
# the sweep prints its grid and the best setting
"$QUARRY" eval -x "$T/idx" --queries "$D/queries.jsonl" --qrels "$D/qrels.tsv" --sweep k1=0.5:1.5:0.5,b=0.25:0.75:0.25 > "$T/sweep"
cat "$T/sweep"
[ "$(grep -c '^[0-9]' "$T/sweep")" = 9 ]
grep -q '^best: k1=' "$T/sweep"
# one parameter swept: the other keeps --k1 (or the default)
"$QUARRY" eval -x "$T/idx" --queries "$D/queries.jsonl" --qrels "$D/qrels.tsv" --k1 1.2 --sweep b=0:1:0.5 > "$T/sweep"
[ "$(grep -c '^1.2 ' "$T/sweep")" = 3 ]
"$QUARRY" eval -x "$T/idx" --queries "$D/queries.jsonl" --qrels "$D/qrels.tsv" --sweep k1=1:2:1 --json > "$T/sweep"
grep -q '"best":{"k1":' "$T/sweep"
set +e; "$QUARRY" eval -x "$T/idx" --queries "$D/queries.jsonl" --qrels "$D/qrels.tsv" --sweep b=0:2:1 2> "$T/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q 'bad --sweep' "$T/err"
# hybrid: the fusion constant and alpha are swept on an index with vectors
# (under valgrind memcheck, QUARRY_VALGRIND=1 from scripts/valgrind-e2e.sh, the
# encoder runs about 300 times slower: the first 8 documents and 4 queries)
VC=$D/corpus.jsonl VQ=$D/queries.jsonl
if [ -n "${QUARRY_VALGRIND:-}" ]; then
  head -8 "$D/corpus.jsonl" > "$T/vc.jsonl"; VC=$T/vc.jsonl
  head -4 "$D/queries.jsonl" > "$T/vq.jsonl"; VQ=$T/vq.jsonl
fi
"$QUARRY" index -q --format beir --lang en -o "$T/vidx" "$VC"
"$QUARRY" eval -x "$T/vidx" --queries "$VQ" --qrels "$D/qrels.tsv" --mode hybrid --sweep rrf_k=20:60:20 > "$T/sweep"
cat "$T/sweep"
[ "$(grep -c '^0.9 *0.4 *[246]0 ' "$T/sweep")" = 3 ] && grep -q '^best: k1=0.9 b=0.4 rrf_k=' "$T/sweep"
"$QUARRY" eval -x "$T/vidx" --queries "$VQ" --qrels "$D/qrels.tsv" --mode hybrid --sweep alpha=0:1:0.5 --json > "$T/sweep"
[ "$(grep -c '"alpha":' "$T/sweep")" = 4 ] && grep -q '"best":{"k1":0.9,"b":0.4,"alpha":' "$T/sweep"
for bad in "--sweep rrf_k=10:20:10" "--mode hybrid --sweep alpha=0:1:0.5 --fusion rrf" "--mode hybrid --sweep alpha=0.5,rrf_k=10" "--mode hybrid --sweep rrf_k=0:10:5"; do
  set +e; "$QUARRY" eval -x "$T/vidx" --queries "$VQ" --qrels "$D/qrels.tsv" $bad 2> "$T/err"; rc=$?; set -e
  [ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q '^quarry: eval: .*sweep' "$T/err" || { echo "$bad: $rc $(cat "$T/err")"; exit 1; }
done
# SMART records + positional query ids + cranqrel grades, end to end
C=$SRC/tests/data/corpus
"$QUARRY" index --no-vectors -q --format smart --lang en -o "$T/smart" "$C/mini.smart"
"$QUARRY" eval -x "$T/smart" --queries "$C/mini.qry" --qid-by-position --qrels "$D/mini.cranqrel" \
  --qrels-format cranqrel --metrics map --json | tee "$T/smart.json"
grep -q '"queries":3,' "$T/smart.json"
set +e; "$QUARRY" eval -x "$T/smart" --queries "$C/mini.qry" --qrels "$D/mini.cranqrel" 2> "$T/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q 'qid-by-position' "$T/err"   # .I 001 is not qrels' 1: a hint, not zeros
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: reference part skipped"; exit 77; }
"$PY" "$SRC/tests/e2e/eval_pytrec.py" check "$D/qrels.tsv" "$T/run" "$T/quarry.json" --metrics $M
