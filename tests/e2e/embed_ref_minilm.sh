#!/usr/bin/env bash
# all-MiniLM-L6-v2 through quarry's encoder vs sentence-transformers (Debian's
# torch + pinned transformers/sentence-transformers, tests/requirements.txt):
# cosine >= 0.9999 on every line of tests/data/embed-texts.txt (French,
# English, accents, emoji, long texts, the empty string). Texts longer than
# one window are compared with the same window rule run on transformers'
# BertModel (tests/ref/embed_ref.py). Token ids are checked by tokenizer_ref_minilm.sh.
set -euo pipefail
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: skipped"; exit 77; }
MODEL=$QUARRY_CACHE/models/all-MiniLM-L6-v2
[ -f "$MODEL/model.safetensors" ] || { echo "missing $MODEL: run scripts/fetch-models.sh"; exit 1; }
# Debian's torch multiplies through OpenBLAS, which falls back to slow generic
# kernels on CPUs newer than it (quarry corrects this itself, embed/encoder.c)
grep -qw avx512f /proc/cpuinfo && export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
grep -qw avx2 /proc/cpuinfo && export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
TEXTS=$SRC/tests/data/embed-texts.txt
# under valgrind memcheck (scripts/valgrind-e2e.sh sets QUARRY_VALGRIND=1) the
# encoder runs about 300 times slower: a dozen short texts and one longer than a
# window (line 228) make the same checks
if [ -n "${QUARRY_VALGRIND:-}" ]; then
  sed -n '1,12p;79p;228p' "$TEXTS" > "$T/texts.txt"
  TEXTS=$T/texts.txt
fi
"$QUARRY" embed --model "$MODEL" --passage < "$TEXTS" > "$T/quarry.jsonl" 2> "$T/err"
cat "$T/err"
[ "$(wc -l < "$T/quarry.jsonl")" -eq "$(wc -l < "$TEXTS")" ] || { echo "line count differs"; exit 1; }
grep -q "embedded as overlapping windows" "$T/err" || { echo "no notice for windowed inputs"; exit 1; }
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$PY" "$SRC/tests/ref/embed_ref.py" minilm "$MODEL" "$TEXTS" "$T/ref.npy"
"$PY" "$SRC/tests/ref/embed_ref.py" compare "$T/quarry.jsonl" "$T/ref.npy" 0.9999 "all-MiniLM-L6-v2 vs sentence-transformers"
# queries and passages are the same for MiniLM (no prefix): same texts, same
# batch, same bytes. (Not against the 229-text run above: a batch is one
# [tokens x hidden] matrix, and OpenBLAS may block a GEMM differently for
# another number of rows, e.g. its Zen kernels on AMD EPYC: ~1e-7 apart.)
head -5 "$TEXTS" | "$QUARRY" embed --model all-MiniLM-L6-v2 --passage > "$T/p.jsonl"
head -5 "$TEXTS" | "$QUARRY" embed --model all-MiniLM-L6-v2 --query > "$T/q.jsonl"
cmp "$T/p.jsonl" "$T/q.jsonl"
