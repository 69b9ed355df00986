#!/usr/bin/env bash
# quarry bench: runs on a generated corpus, reports what it promises (JSON
# fields, one latency per query, hits) and rejects bad input with exit 2.
# No timing is asserted.
set -euo pipefail
GEN=$BUILD/bench/corpusgen
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
"$GEN" -n 400 -q 40 --vocab 20000 --seed 3 --jsonl -o "$t/c"
"$QUARRY" index -q -o "$t/idx" --lang none --passage-tokens 1024 --passage-overlap 0 --format beir "$t/c/corpus.jsonl"
"$QUARRY" bench -x "$t/idx" --queries "$t/c/queries.txt" -k 10,1000 --repeat 2 --budget 30 --threads 2 \
  --json --latencies > "$t/out.json"
if command -v python3 > /dev/null; then
  python3 - "$t/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["passages"] == 400 and d["queries"] == 40 and d["mode"] == "bm25", d
assert d["index_bytes"] > 0 and d["open_us"] >= 0
for k in ("10", "1000"):
    r = d["k"][k]
    assert r["n"] == 40 and len(r["lat_us"]) == 40 and len(r["hits"]) == 40, r
    assert len(r["cpu_us"]) == 40 and r["clocks"]["cpu"]["p50_us"] >= 0
    assert 0 <= r["p50_us"] <= r["p95_us"] <= r["p99_us"] <= r["max_us"]
    assert r["qps_1"] > 0 and r["qps_threads"] > 0
    assert all(0 < h <= int(k) for h in r["hits"]), r["hits"]   # every query term occurs
    for s in ("analyse", "retrieve", "snippets"):
        assert r["stages"][s]["p50_us"] >= 0
assert max(d["k"]["1000"]["hits"]) > 10
PY
fi
# The table form names its columns.
"$QUARRY" bench -x "$t/idx" --queries "$t/c/queries.txt" --repeat 1 --budget 30 > "$t/table"
grep -q "p50" "$t/table"
grep -q "retrieve" "$t/table"
# Bad input: one line on stderr, exit 2.
set +e
for args in "--queries /nonexistent" "-k 0 --queries $t/c/queries.txt" "-k 10,x --queries $t/c/queries.txt" \
            "--mode nope --queries $t/c/queries.txt" "--threads 0 --queries $t/c/queries.txt" \
            "--budget -1 --queries $t/c/queries.txt" "--queries /dev/null" ""; do
  "$QUARRY" bench -x "$t/idx" $args > /dev/null 2> "$t/err"; rc=$?
  [ $rc -eq 2 ] || { echo "args '$args': exit $rc, expected 2"; exit 1; }
  [ "$(wc -l < "$t/err")" -ge 1 ] && grep -q '^quarry: ' "$t/err" || { echo "args '$args': no error line"; exit 1; }
done
"$QUARRY" bench -x "$t/nope" --queries "$t/c/queries.txt" > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
echo ok
