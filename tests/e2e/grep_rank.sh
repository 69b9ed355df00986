#!/usr/bin/env bash
# quarry grep --rank on the seeds: BM25 over the input's own lines, French
# analysis (accents, elision, stemming), best first, --top, --min-score,
# --scores, --json, --unit, and exit statuses.
set -u
cd "$SRC"
fail() { echo "FAIL: $*"; exit 1; }
out=$("$QUARRY" grep --rank "lever des fonds" seeds/*) || fail "rank exit $?"
echo "$out" | grep -q "levée de fonds" || fail "no line with 'levée de fonds'"
echo "$out" | grep -q "levée de fond " || fail "no line with 'levée de fond'"
# scores are non-increasing
"$QUARRY" grep --rank --scores "lever des fonds" seeds/* | cut -d: -f1 > /tmp/qx_rank_scores.$$
sort -g -r -c /tmp/qx_rank_scores.$$ 2>/dev/null || { rm -f /tmp/qx_rank_scores.$$; fail "scores not sorted best first"; }
rm -f /tmp/qx_rank_scores.$$
[ "$("$QUARRY" grep --rank --top 3 "lever des fonds" seeds/* | wc -l)" = 3 ] || fail "--top 3"
n_all=$(echo "$out" | wc -l)
n_min=$("$QUARRY" grep --rank --min-score 1.2 "lever des fonds" seeds/* | wc -l)
[ "$n_min" -lt "$n_all" ] && [ "$n_min" -gt 0 ] || fail "--min-score ($n_min of $n_all)"
# JSON: one object per unit with path, line, offset, score, submatches
"$QUARRY" grep --rank --json --top 2 "levée fonds" seeds/* > /tmp/qx_rank_json.$$ || fail "json exit"
[ "$(wc -l < /tmp/qx_rank_json.$$)" = 2 ] || fail "json lines"
grep -q '"score":' /tmp/qx_rank_json.$$ && grep -q '"submatches":\[{"match":' /tmp/qx_rank_json.$$ || fail "json fields"
rm -f /tmp/qx_rank_json.$$
# paragraphs from stdin, numbers as grep -n would print them
got=$(printf 'chat noir\nun chien\n\nchats blancs\n' | "$QUARRY" grep --rank --unit paragraph chat)
[ "$got" = $'4:chats blancs\n--\n1:chat noir\n2-un chien' ] && : || fail "paragraph unit: $got"
# highlighting of the matched words
printf 'Les levées de fonds\n' | "$QUARRY" grep --rank --color=always "fond" | grep -q $'\033\\[01;31m\033\\[Kfonds' || fail "highlight"
# exit statuses: 1 nothing, 2 stopword-only query
"$QUARRY" grep --rank "zzzqqq" seeds/* > /dev/null; [ $? = 1 ] || fail "exit 1 expected"
"$QUARRY" grep --rank "le la les" seeds/* > /dev/null 2>&1; [ $? = 2 ] || fail "exit 2 expected"
echo "grep --rank: ok"
