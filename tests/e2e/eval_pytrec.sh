#!/usr/bin/env bash
# quarry eval vs pytrec_eval (pip pytrec-eval-terrier, tests/requirements.txt)
# on a random run with many score ties, graded and negative judgments, judged
# queries without relevant documents, and queries on one side only.
set -euo pipefail
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PY" "$SRC/tests/e2e/eval_pytrec.py" gen "$T"
M=ndcg@10,map,mrr@10,recall@100,p@10,ndcg,map@5,mrr,recall@5
"$QUARRY" eval --qrels "$T/qrels.trec" --run "$T/run.trec" --metrics $M --per-query --json > "$T/quarry.json"
"$PY" "$SRC/tests/e2e/eval_pytrec.py" check "$T/qrels.trec" "$T/run.trec" "$T/quarry.json"
