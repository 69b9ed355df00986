#!/usr/bin/env bash
# `quarry index --format beir|trec|smart`: test-collection records become
# documents with their own ids, which --trec and --json report.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
D=$SRC/tests/data/corpus

"$QUARRY" index --no-vectors -q --lang en --format beir -o beir "$D/mini.jsonl"
"$QUARRY" search -x beir --trec "white matter architecture" > run
[ "$(awk '{print $3}' run)" = "4983" ] || fail "beir: $(cat run)"
"$QUARRY" search -x beir --json "integer id" > hits.json
grep -q '"id":"17"' hits.json || fail "beir integer id: $(cat hits.json)"
grep -q '"title":""' hits.json || fail "beir untitled record: $(cat hits.json)"
"$QUARRY" search -x beir --trec "unicode ete" > run2
grep -q " x-3 " run2 || fail "beir title-only record: $(cat run2)"

"$QUARRY" index --no-vectors -q --lang en --format trec -o trec "$D/mini.trec"
"$QUARRY" search -x trec --trec "contigas investment" > run
grep -q " FT911-3 " run || fail "trec: $(cat run)"
"$QUARRY" search -x trec --trec "bold" > run
grep -q " LA010189-0001 " run || fail "trec (no TEXT element): $(cat run)"

"$QUARRY" index --no-vectors -q --lang en --format smart -o smart "$D/mini.smart"
"$QUARRY" search -x smart --trec "slipstream wing" > run
[ "$(head -1 run | awk '{print $3}')" = "1" ] || fail "smart: $(cat run)"

# plain files: hidden files skipped, sorted walk, id = path
"$QUARRY" index --no-vectors -q --lang en -o files "$D/files"
"$QUARRY" info -x files | grep -q "^documents   3" || fail "files: $("$QUARRY" info -x files)"

set +e
"$QUARRY" index --no-vectors -q --format nope -o x "$D/mini.jsonl" 2> err; st=$?
set -e
[ $st -eq 2 ] && grep -q "^quarry: unknown input format" err || fail "bad --format: $st $(cat err)"
echo "index_formats: ok"
