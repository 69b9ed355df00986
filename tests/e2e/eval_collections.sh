#!/usr/bin/env bash
# BM25 on the full test collections must stay at or above the baselines of
# docs/QUALITY.md: BEIR SciFact nDCG@10 >= 0.6789 (Anserini, flat), Cranfield
# MAP >= 0.2935 and CISI MAP >= 0.2149 (the better Xapian BM25 run measured
# with scripts/eval-xapian.py). Skipped when ../shared/evaldata (or $QUARRY_EVALDATA) is absent.
set -euo pipefail
E=${QUARRY_EVALDATA:-$SRC/../shared/evaldata}
[ -f "$E/scifact/corpus.jsonl" ] || { echo "no $E: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
bash "$SRC/scripts/eval-collections.sh" "$QUARRY" "$E" "$T" | tee "$T/out"
check() { # collection metric minimum
  local v
  v=$(grep "^$1 bm25 " "$T/out" | sed -E "s/.*\"$2\":([0-9.e-]+).*/\1/")
  awk -v v="$v" -v min="$3" -v what="$1 $2" 'BEGIN { if (v + 0 < min + 0) { print what " " v " < " min; exit 1 } print what " " v " >= " min }'
}
check scifact ndcg@10 0.6789
check cranfield map 0.2935
check cisi map 0.2149
