# index_common.sh: helpers for the index reliability tests (sourced after
# common.sh). Two corpora: A = seeds/ (5 French articles, plain files) and
# B = a generated BEIR corpus (bench/gen/corpusgen, N_B documents) large
# enough that a build of B takes a noticeable time.

N_B=${N_B:-3000}
QUERIES=("levée de fonds" "xAI Musk" "intelligence artificielle" "milliards" "\"de fonds\""
         "invest*" "-xai fonds" "quau thoeja" "bri" "paitwo thongeu tockmu" "dotgrigon hypoi")

# rel_make_corpus_b DIR: write DIR/corpus.jsonl (BEIR) with N_B documents.
rel_make_corpus_b() {
  local gen=$BUILD/bench/corpusgen
  [ -x "$gen" ] || rel_skip "bench/corpusgen not built"
  "$gen" -n "$N_B" -q 5 --vocab 20000 --seed 11 --jsonl -o "$1/gen" > /dev/null
  sed 's/^{"id":/{"_id":/' "$1/gen/corpus.jsonl" > "$1/corpus.jsonl"
}

# rel_answers DIR: every query's top 5 as JSON lines and its exit status
# (0 hits, 1 none); fails if a search fails (status 2 or a signal).
rel_answers() {
  local q rc
  for q in "${QUERIES[@]}"; do
    rc=0
    "$QUARRY" search -x "$1" --json -k 5 -- "$q" || rc=$?
    [ $rc -le 1 ] || return 1
    echo "-- $rc"
  done
}

# rel_state DIR: "A", "B" (answers equal to those of index A / B, and
# `quarry info --verify` passes), or a description of what is wrong.
rel_state() {
  local dir=$1 out
  if ! out=$("$QUARRY" info --verify -x "$dir" 2>&1); then echo "verify failed: $out"; return; fi
  if ! out=$(rel_answers "$dir" 2>&1); then echo "search failed: $out"; return; fi
  if [ "$out" = "$ANS_A" ]; then echo A
  elif [ "$out" = "$ANS_B" ]; then echo B
  else echo "answers differ from both A and B"; fi
}
