#!/usr/bin/env bash
# quarry bench: runs on a generated corpus, reports what it promises (JSON
# fields per mode and k, one latency per query, hits, stages, throughput) in
# a consistent form, and rejects bad input with exit 2. No timing is asserted:
# only structure and consistency (order of percentiles, hit counts across k
# and modes, stages present, fuse 0 without vectors).
set -euo pipefail
: "${QUARRY:?}" "${BUILD:?}" "${SRC:?}"
GEN=$BUILD/bench/corpusgen
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
# Under valgrind memcheck (QUARRY_VALGRIND=1, scripts/valgrind-e2e.sh) the
# encoder runs about 300 times slower: the vector builds of seeds/ run
# unchecked ($QUARRY_NATIVE, the same binary), the rest under memcheck; the
# vector bench has one query instead of three (it embeds each query 4 times
# per mode and k, over 10 s each under memcheck) and a budget of 20 minutes
# instead of 30 s, so that no phase is cut.
QB=$QUARRY VBUDGET=30
[ -n "${QUARRY_VALGRIND:-}" ] && QB=${QUARRY_NATIVE:-$QUARRY} VBUDGET=1200
"$GEN" -n 400 -q 40 --vocab 20000 --seed 3 --jsonl -o "$t/c"
"$QUARRY" index -q -o "$t/idx" --lang none --passage-tokens 1024 --passage-overlap 0 --no-vectors \
  --format beir "$t/c/corpus.jsonl"
"$QUARRY" bench -x "$t/idx" --queries "$t/c/queries.txt" -k 10,1000 --repeat 2 --budget 30 --threads 2 \
  --json --latencies > "$t/out.json"

# Vectors: a small index with the default model (seeds/, 10 passages), one
# query encoder thread (this test must not take both cores).
QUARRY_THREADS=1 "$QB" index -q -o "$t/vidx" "$SRC/seeds"
printf 'centre de calcul géant\nqui finance la société\nMemphis Tennessee\n' > "$t/vq.txt"
[ -n "${QUARRY_VALGRIND:-}" ] && echo 'Memphis Tennessee' > "$t/vq.txt"
QUARRY_THREADS=1 "$QUARRY" bench -x "$t/vidx" --queries "$t/vq.txt" --mode bm25,vector,hybrid -k 3,10 \
  --repeat 1 --budget $VBUDGET --threads 2 --json --latencies > "$t/vout.json"

python3 - "$t/out.json" "$t/vout.json" "$(wc -l < "$t/vq.txt")" <<'PY'
import json, sys

def check_k(r, n, k):
    assert r["n"] == n and len(r["lat_us"]) == n and len(r["hits"]) == n and len(r["cpu_us"]) == n, r
    assert 0 <= r["p50_us"] <= r["p95_us"] <= r["p99_us"] <= r["max_us"], r
    c = r["clocks"]["cpu"]
    assert 0 <= c["p50_us"] <= c["p95_us"] <= c["p99_us"] <= c["max_us"], c
    assert r["qps_1"] > 0 and r["qps_threads"] > 0 and r["threads"] == 2, r
    assert r["threads_wall_s"] >= 0 and r["threads_cpu_s"] >= 0, r
    assert all(0 <= h <= k for h in r["hits"]), r["hits"]
    st = r["stages"]
    assert st["n"] == n and 0 < st["n_snippets"] <= n, st
    for s in ("analyse", "retrieve", "fuse", "snippets"):
        x = st[s]
        assert 0 <= x["p50_us"] <= x["p95_us"] <= x["p99_us"] <= x["max_us"], (s, x)

d = json.load(open(sys.argv[1]))
assert d["passages"] == 400 and d["queries"] == 40 and d["mode"] == "bm25" and d["threads"] == 2, d
assert d["index_bytes"] > 0 and d["open_us"] >= 0
assert list(d["modes"]) == ["bm25"] and d["modes"]["bm25"]["k"] == d["k"]   # top level = first mode
for k in ("10", "1000"):
    r = d["k"][k]
    check_k(r, 40, int(k))
    assert all(h > 0 for h in r["hits"]), r["hits"]   # every query term occurs in the corpus
    assert r["stages"]["fuse"]["max_us"] == 0          # no fusion in BM25 mode
h10, h1k = d["k"]["10"]["hits"], d["k"]["1000"]["hits"]
assert all(a == min(10, b) for a, b in zip(h10, h1k)), (h10, h1k)   # same matches, cut at k
assert max(h1k) > 10

v = json.load(open(sys.argv[2]))
assert v["passages"] == 10 and list(v["modes"]) == ["bm25", "vector", "hybrid"] and v["mode"] == "bm25", v.keys()
for m in ("bm25", "vector", "hybrid"):
    for k in ("3", "10"):
        check_k(v["modes"][m]["k"][k], int(sys.argv[3]), int(k))
for k in ("3", "10"):
    vec, hyb = v["modes"]["vector"]["k"][k], v["modes"]["hybrid"]["k"][k]
    assert all(h == min(int(k), 10) for h in vec["hits"]), vec["hits"]   # the vector leg always answers
    assert all(a >= b for a, b in zip(hyb["hits"], vec["hits"])), (hyb["hits"], vec["hits"])
    assert hyb["stages"]["fuse"]["max_us"] > 0 and vec["stages"]["analyse"]["p50_us"] > 0   # fusion, query embedding
PY

# The table form names its columns, modes and stages.
"$QUARRY" bench -x "$t/idx" --queries "$t/c/queries.txt" --repeat 1 --budget 30 > "$t/table"
for w in p50 p99 "QPS 1" retrieve analyse fuse snippets bm25; do
  grep -q "$w" "$t/table" || { echo "table has no '$w'"; cat "$t/table"; exit 1; }
done
# Bad input: one line on stderr, exit 2.
set +e
for args in "--queries /nonexistent" "-k 0 --queries $t/c/queries.txt" "-k 10,x --queries $t/c/queries.txt" \
            "--mode nope --queries $t/c/queries.txt" "--mode bm25,bm25 --queries $t/c/queries.txt" \
            "--mode bm25, --queries $t/c/queries.txt" "--mode hybrid --queries $t/c/queries.txt" \
            "--threads 0 --queries $t/c/queries.txt" "--budget -1 --queries $t/c/queries.txt" \
            "--queries /dev/null" ""; do
  "$QUARRY" bench -x "$t/idx" $args > /dev/null 2> "$t/err"; rc=$?
  [ $rc -eq 2 ] || { echo "args '$args': exit $rc, expected 2"; exit 1; }
  [ "$(wc -l < "$t/err")" -eq 1 ] && grep -q '^quarry: ' "$t/err" || { echo "args '$args': no error line"; cat "$t/err"; exit 1; }
done
"$QUARRY" bench -x "$t/nope" --queries "$t/c/queries.txt" > /dev/null 2>&1; [ $? -eq 2 ] || exit 1
echo ok
