#!/usr/bin/env bash
# quarry's Unigram tokenizer on an XLM-R-style tokenizer.json (Precompiled
# nmt_nfkc charsmap from sentencepiece, Replace, Metaspace, Unigram) vs the
# `tokenizers` library: identical ids on tests/data/embed-texts.txt, random
# mixes, invalid UTF-8 and a codepoint sweep. The tokenizer.json is made by
# training a small sentencepiece model (tests/ref/spm_tokenizer_json.py).
set -euo pipefail
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PY" "$SRC/tests/ref/spm_tokenizer_json.py" "$SRC/tests/data/embed-texts.txt" "$T/tokenizer.json"
"$PY" "$SRC/tests/ref/tokenizer_ref.py" hf "$T/tokenizer.json" "$QUARRY" "$SRC/tests/data/embed-texts.txt"
