#!/usr/bin/env bash
# BM25 on the full test collections must stay at or above the baselines of
# docs/QUALITY.md: BEIR SciFact nDCG@10 >= 0.6789 (Anserini, flat), Cranfield
# MAP >= 0.2935 and CISI MAP >= 0.2149 (the better Xapian BM25 run measured
# with scripts/eval-xapian.py). Skipped when ../shared/evaldata (or $QUARRY_EVALDATA) is absent.
# Opt-in (embeds every collection: minutes): QUARRY_EVAL_MODES="bm25 vector hybrid"
# also checks that hybrid nDCG@10 beats the better of bm25 and vector on
# Cranfield and CISI (docs/QUALITY.md, "Dense and hybrid").
set -euo pipefail
E=${QUARRY_EVALDATA:-$SRC/../shared/evaldata}
[ -f "$E/scifact/corpus.jsonl" ] || { echo "no $E: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
bash "$SRC/scripts/eval-collections.sh" "$QUARRY" "$E" "$T" | tee "$T/out"
metric() { grep "^$1 $2 " "$T/out" | sed -E "s/.*\"$3\":([0-9.e-]+).*/\1/"; }
check() { # collection metric minimum
  local v
  v=$(metric "$1" bm25 "$2")
  awk -v v="$v" -v min="$3" -v what="$1 $2" 'BEGIN { if (v + 0 < min + 0) { print what " " v " < " min; exit 1 } print what " " v " >= " min }'
}
check scifact ndcg@10 0.6789
check cranfield map 0.2935
check cisi map 0.2149
case " ${QUARRY_EVAL_MODES:-} " in *" hybrid "*)
  for c in cranfield cisi; do
    awk -v b="$(metric $c bm25 ndcg@10)" -v v="$(metric $c vector ndcg@10)" -v h="$(metric $c hybrid ndcg@10)" -v c=$c \
      'BEGIN { m = b > v ? b : v; print c " hybrid nDCG@10 " h " vs better leg " m; exit !(h > m) }'
  done ;;
esac
