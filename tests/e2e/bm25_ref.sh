#!/usr/bin/env bash
# Reference test: BM25 scores and top 10 of quarry on seeds/ equal those of
# an independent plain-Python implementation (tests/ref/bm25_ref.py) fed
# with quarry's analysed tokens, to 1e-5, for 18 queries and 4 (k1, b).
set -euo pipefail
: "${QUARRY:?}" "${SRC:?}"
command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$QUARRY" index --no-vectors -q -o "$tmp/idx" "$SRC/seeds"
python3 "$SRC/tests/ref/bm25_ref.py" "$QUARRY" "$tmp/idx"
# a second index with small passages (more passages, different norms)
"$QUARRY" index --no-vectors -q -o "$tmp/idx2" --passage-tokens 40 --passage-overlap 10 "$SRC/seeds"
python3 "$SRC/tests/ref/bm25_ref.py" "$QUARRY" "$tmp/idx2"
