#!/usr/bin/env bash
# Bad input for `quarry index / search / info` (issue 3): every case ends
# with a clear one-line "quarry: ..." message and exit status 2 where it is
# an error (1 for an empty result), never a crash, never a damaged index.
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect STATUS CMD...: run, check the exit status, and for status 2 that
# stderr is one line starting with "quarry: " (after any "quarry: ..."
# notes about skipped files)
expect() {
  local want=$1; shift
  set +e
  "$@" > out.txt 2> err.txt
  local st=$?
  set -e
  [ $st -eq "$want" ] || fail "$* -> exit $st, expected $want; stderr: $(cat err.txt)"
  if [ "$want" -eq 2 ]; then
    [ -s err.txt ] || fail "$* -> no message"
    if grep -vq '^quarry: ' err.txt; then fail "$* -> stderr lines not starting with 'quarry: ': $(cat err.txt)"; fi
  fi
}

"$QUARRY" index --no-vectors -q -o idx "$SRC/seeds"
good() { # the index still answers as before
  "$QUARRY" search -x idx --trec "levée de fonds xAI" > now.trec || fail "index damaged ($1)"
  cmp -s now.trec ref.trec || fail "index answers differently ($1)"
}
"$QUARRY" search -x idx --trec "levée de fonds xAI" > ref.trec

# ---- search ----
expect 2 "$QUARRY" search -x nonexistent xAI
grep -q "no index at nonexistent" err.txt || fail "missing index message: $(cat err.txt)"
mkdir notindex
expect 2 "$QUARRY" search -x notindex xAI
expect 2 "$QUARRY" search -x idx ""
expect 2 "$QUARRY" search -x idx "   "
expect 2 "$QUARRY" search -x idx -- "-xAI"
expect 2 "$QUARRY" search -x idx -k 0 xAI
expect 2 "$QUARRY" search -x idx -k abc xAI
expect 2 "$QUARRY" search -x idx --k1 -1 xAI
expect 2 "$QUARRY" search -x idx --b 2 xAI
expect 2 "$QUARRY" search -x idx
expect 1 "$QUARRY" search -x idx "le la de des"
grep -q "stopword" err.txt || fail "stopword-only query: no note"
[ ! -s out.txt ] || fail "stopword-only query printed hits"
expect 1 "$QUARRY" search -x idx $'\xff\xfe\xc3'   # invalid UTF-8 query: no match, no crash
expect 1 "$QUARRY" search -x idx '"unclosed phrase'
expect 0 "$QUARRY" search -x idx '"levée de fonds'
expect 2 "$QUARRY" info -x nonexistent

# ---- index ----
expect 2 "$QUARRY" index --no-vectors -o idx does-not-exist
grep -q "does-not-exist" err.txt || fail "missing path message: $(cat err.txt)"
good "missing input path"
expect 2 "$QUARRY" index --no-vectors -o idx --lang xx "$SRC/seeds"
expect 2 "$QUARRY" index --no-vectors -o idx --passage-tokens 3 "$SRC/seeds"
expect 2 "$QUARRY" index --no-vectors -o idx --passage-overlap 150 "$SRC/seeds"
expect 2 "$QUARRY" index --no-vectors -o idx
mkdir -p precious && echo keep > precious/file
expect 2 "$QUARRY" index --no-vectors -o precious "$SRC/seeds"
[ "$(cat precious/file)" = keep ] || fail "a non-index directory was touched"
echo plain > afile
expect 2 "$QUARRY" index --no-vectors -o afile "$SRC/seeds"

# empty, binary, invalid UTF-8 files: skipped / repaired with a note, exit 0
mkdir in
: > in/empty.txt
printf '  \n\t\n' > in/blank.txt
printf 'ELF\0\0\0binary\0data\0' > in/bin.dat
printf 'caf\xe9 cr\xe8me \xff\xfe br\xfbl\xe9e\nsecond line\n' > in/latin1.txt
cp "$SRC/seeds/000_446b4627d861f2ba.txt" in/good.txt
expect 0 "$QUARRY" index --no-vectors -o idx2 in
grep -q "in/empty.txt: skipped (empty file)" err.txt || fail "empty file note: $(cat err.txt)"
grep -q "in/blank.txt: skipped (empty file)" err.txt || fail "blank file note: $(cat err.txt)"
grep -q "in/bin.dat: skipped (binary file)" err.txt || fail "binary file note: $(cat err.txt)"
grep -q "in/latin1.txt: invalid UTF-8" err.txt || fail "invalid UTF-8 note: $(cat err.txt)"
grep -q "indexed 2 documents (3 skipped)" out.txt || fail "summary: $(cat out.txt)"
expect 0 "$QUARRY" search -x idx2 --json "second line"
python3 -c 'import json,sys; [json.loads(l) for l in open("out.txt")]' || fail "--json is not valid JSON with invalid UTF-8 input"
expect 0 "$QUARRY" info -x idx2 --verify

# nothing indexable: error, previous index intact
mkdir junk && : > junk/empty && printf '\0\0\0' > junk/bin
expect 2 "$QUARRY" index --no-vectors -o idx junk
grep -q "nothing to index" err.txt || fail "nothing to index message: $(cat err.txt)"
good "nothing to index"

# a 100 MB single line
mkdir big
# 100 MB (8 MB under valgrind memcheck, where 100 MB takes ten minutes;
# still far beyond any buffer on the way)
bigsize=104857600; [ -n "${QUARRY_VALGRIND:-}" ] && bigsize=8388608
{ yes "mot clef " || true; } | head -c $bigsize | tr -d "\n" > big/line.txt
echo "une aiguille dans la botte" >> big/line.txt
expect 0 "$QUARRY" index --no-vectors -q -o idxbig big
expect 0 "$QUARRY" search -x idxbig -k 1 aiguille
grep -q "aiguille" out.txt || fail "100 MB line: the needle is not found"
expect 0 "$QUARRY" info -x idxbig --verify

# a killed build leaves the previous index intact
"$QUARRY" index --no-vectors -q -o idx big & pid=$!
sleep 0.5
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
good "killed build"
rm -rf idx.tmp-*

# ---- damaged index files: truncated, or one byte flipped, in every file ----
for f in $(find idx -type f | sort); do # idx/MANIFEST, idx/s000001/FILE
  name=${f#idx/}
  size=$(stat -c %s "$f")
  for mode in truncate flip; do
    rm -rf bad && cp -r idx bad
    if [ $mode = truncate ]; then
      truncate -s $((size / 2)) "bad/$name"
    else
      python3 - "bad/$name" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[len(d) // 2] ^= 0x10
open(p, "wb").write(d)
PY
    fi
    expect 2 "$QUARRY" search -x bad xAI
    grep -Eq "$name|MANIFEST" err.txt || fail "$mode $name: message does not name the file: $(cat err.txt)"
    expect 2 "$QUARRY" info -x bad --verify
  done
done
good "damaged copies"
echo "bad_input: ok"
