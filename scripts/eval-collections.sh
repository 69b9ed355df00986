#!/usr/bin/env bash
# Index and evaluate the test collections of ../shared/evaldata with quarry
# (the commands of docs/QUALITY.md), printing one JSON line per collection.
# usage: scripts/eval-collections.sh [QUARRY] [EVALDATA] [WORKDIR] [-- extra quarry eval options]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
Q=${1:-$here/build/quarry}
E=${2:-$here/../shared/evaldata}
W=${3:-$(mktemp -d)}
mkdir -p "$W"
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
M=ndcg@10,map,mrr@10,recall@100,p@10
[ -f "$E/scifact/corpus.jsonl" ] || { echo "no test collections in $E" >&2; exit 77; }
"$Q" index -q --no-vectors --format beir --lang en -o "$W/scifact" "$E/scifact/corpus.jsonl"
"$Q" index -q --no-vectors --format smart --lang en -o "$W/cranfield" "$E/cranfield/cran.all.1400"
"$Q" index -q --no-vectors --format smart --lang en -o "$W/cisi" "$E/cisi/CISI.ALL"
printf 'scifact '
"$Q" eval -x "$W/scifact" --queries "$E/scifact/queries.jsonl" --qrels "$E/scifact/qrels/test.tsv" --metrics $M --json "$@"
printf 'cranfield '
"$Q" eval -x "$W/cranfield" --queries "$E/cranfield/cran.qry" --qid-by-position \
  --qrels "$E/cranfield/cranqrel" --qrels-format cranqrel --metrics $M --json "$@"
printf 'cisi '
"$Q" eval -x "$W/cisi" --queries "$E/cisi/CISI.QRY" --qrels "$E/cisi/CISI.REL" --qrels-format smart --metrics $M --json "$@"
