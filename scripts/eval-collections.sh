#!/usr/bin/env bash
# Index and evaluate the test collections of ../shared/evaldata with quarry
# (the commands of docs/QUALITY.md), printing one line per collection and
# mode: "COLLECTION MODE {json}".
# usage: scripts/eval-collections.sh [QUARRY] [EVALDATA] [WORKDIR] [-- extra quarry eval options]
#   QUARRY_EVAL_MODES  modes to run (default "bm25"; e.g. "bm25 vector hybrid").
#                      With vector or hybrid the indexes are built with vectors
#                      (the default model embeds every passage: minutes per
#                      collection, see docs/QUALITY.md).
#   An index already in WORKDIR (WORKDIR/scifact, ...) is reused as it is, so
#   one embedding serves every later run with the same WORKDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
Q=${1:-$here/build/quarry}
E=${2:-$here/../shared/evaldata}
W=${3:-$(mktemp -d)}
mkdir -p "$W"
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
MODES=${QUARRY_EVAL_MODES:-bm25}
M=ndcg@10,map,mrr@10,recall@100,p@10
[ -f "$E/scifact/corpus.jsonl" ] || { echo "no test collections in $E" >&2; exit 77; }
vec=--no-vectors
case " $MODES " in *" vector "* | *" hybrid "*) vec= ;; esac
build() { # name format file
  if [ -f "$W/$1/MANIFEST" ] && { [ -n "$vec" ] || grep -q '^vectors.model' "$W/$1/MANIFEST"; }; then return; fi
  "$Q" index -q $vec --format "$2" --lang en -o "$W/$1" "$3"
}
build scifact beir "$E/scifact/corpus.jsonl"
build cranfield smart "$E/cranfield/cran.all.1400"
build cisi smart "$E/cisi/CISI.ALL"
for mode in $MODES; do
  printf 'scifact %s ' "$mode"
  "$Q" eval -x "$W/scifact" --queries "$E/scifact/queries.jsonl" --qrels "$E/scifact/qrels/test.tsv" \
    --mode "$mode" --metrics $M --json "$@"
  printf 'cranfield %s ' "$mode"
  "$Q" eval -x "$W/cranfield" --queries "$E/cranfield/cran.qry" --qid-by-position \
    --qrels "$E/cranfield/cranqrel" --qrels-format cranqrel --mode "$mode" --metrics $M --json "$@"
  printf 'cisi %s ' "$mode"
  "$Q" eval -x "$W/cisi" --queries "$E/cisi/CISI.QRY" --qrels "$E/cisi/CISI.REL" --qrels-format smart \
    --mode "$mode" --metrics $M --json "$@"
done
