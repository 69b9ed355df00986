#!/usr/bin/env bash
# quarry's WordPiece tokenizer vs the Hugging Face `tokenizers` library
# (tests/requirements.txt) loading all-MiniLM-L6-v2's tokenizer.json: identical
# ids on tests/data/embed-texts.txt, random mixes, invalid UTF-8 and a sweep of
# codepoints (tests/ref/tokenizer_ref.py), and the same from its vocab.txt
# against tokenizers.BertWordPieceTokenizer. Also checks that the generated
# character tables (embed/tokenizer_bert_tables.c) match the pinned library.
set -euo pipefail
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: skipped"; exit 77; }
MODEL=$QUARRY_CACHE/models/all-MiniLM-L6-v2/tokenizer.json
[ -f "$MODEL" ] || { echo "missing $MODEL: run scripts/fetch-models.sh"; exit 1; }
"$PY" "$SRC/tests/ref/gen_bert_tables.py" | diff -q - "$SRC/embed/tokenizer_bert_tables.c" ||
  { echo "embed/tokenizer_bert_tables.c is stale: regenerate with tests/ref/gen_bert_tables.py"; exit 1; }
"$PY" "$SRC/tests/ref/tokenizer_ref.py" hf "$MODEL" "$QUARRY" "$SRC/tests/data/embed-texts.txt"
# the same model from its vocab.txt (BertWordPieceTokenizer defaults)
"$PY" "$SRC/tests/ref/tokenizer_ref.py" vocab "${MODEL%/*}/vocab.txt" "$QUARRY" "$SRC/tests/data/embed-texts.txt"
