#!/usr/bin/env bash
# quarry tokenize: arguments, stdin lines and NUL-separated input agree;
# --tokens prints token strings; bad options, missing and malformed models
# fail with one "quarry: ..." line and exit status 2.
set -euo pipefail
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
M=$QUARRY_CACHE/models/all-MiniLM-L6-v2
[ -d "$M" ] || { echo "missing $M: run scripts/fetch-models.sh"; exit 1; }
a=$("$QUARRY" tokenize --model "$M" "Hello world!" "")
b=$(printf 'Hello world!\n\n' | "$QUARRY" tokenize --model "$M")
c=$(printf 'Hello world!\0\0' | "$QUARRY" tokenize -0 --model "$M")
[ "$a" = "$b" ] && [ "$a" = "$c" ] && [ "$a" = $'101 7592 2088 999 102\n101 102' ]
[ "$("$QUARRY" tokenize --tokens --model "$M/vocab.txt" "Hello, World")" = "[CLS] hello , world [SEP]" ]
fails() { # expected message fragment, then the command
  local want=$1; shift
  local rc=0
  "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ $rc -eq 2 ] || { echo "exit status $rc, not 2: $*"; exit 1; }
  grep -q "^quarry: .*$want" "$T/err" || { echo "bad message for $*:"; cat "$T/err"; exit 1; }
}
fails "unknown option" "$QUARRY" tokenize --frobnicate
fails "No such file" "$QUARRY" tokenize --model "$T/none" x
echo '{"model": {"type": "BPE"' > "$T/tokenizer.json"
fails "$T/tokenizer.json: invalid JSON" "$QUARRY" tokenize --model "$T/tokenizer.json" x
head -c 1000 "$QUARRY_CACHE/models/multilingual-e5-small/e5-small-q4.bin" > "$T/cut.bin"
fails "$T/cut.bin: truncated E5S1" "$QUARRY" tokenize --model "$T/cut.bin" x
echo ok
