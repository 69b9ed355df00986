#!/usr/bin/env bash
# run.sh QUARRY [CASES]: the grep compatibility suite. Each case of
# cases.txt is run through GNU grep and through `QUARRY grep` in a copy of
# data/, and stdout, exit status and stderr (program name replaced, GNU's
# "warning:" lines dropped) must be identical byte for byte.
# Case syntax: [FLAGS] ARGS, ARGS being shell words (redirections allowed);
# FLAGS (comma-separated): sort (compare sorted stdout: recursion order is
# the file system's for GNU grep, sorted for quarry), nostderr, pipe=FILE
# (FILE is piped into stdin: a pipe, not a regular file).
# Both run under LC_ALL=C.UTF-8: quarry always behaves as grep in a UTF-8
# locale. Exit 77 (skipped) when GNU grep or the locale is missing.
set -u
QUARRY=${1:?usage: run.sh QUARRY [CASES]}
case "$QUARRY" in /*) ;; *) QUARRY="$PWD/$QUARRY" ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CASES=${2:-$SRC/tests/grep/cases.txt}
GREP=${GREP:-grep}
case "$($GREP --version 2>/dev/null | head -1)" in
  *"GNU grep"*) ;;
  *) echo "skip: GNU grep not found"; exit 77 ;;
esac
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then export LC_ALL=C.UTF-8
else echo "skip: no C.UTF-8 locale"; exit 77; fi
unset GREP_COLORS GREP_COLOR GREP_OPTIONS POSIXLY_CORRECT
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$SRC/tests/grep/data" "$tmp/data"
cd "$tmp/data"
# A generated file larger than the read block, for the streaming reader.
awk 'BEGIN { for (i = 1; i <= 120000; i++) printf "row %d lorem ipsum dolor sit amet %s\n", i, (i % 9973 == 0 ? "NEEDLE" : "hay") }' > big.txt
# Digit runs of 1-11 bytes at offsets 0-149 (across the 64-byte blocks of the
# class-run search), the last line without a newline.
awk 'BEGIN { for (i = 1; i <= 4000; i++) { off = (i * 37) % 150; n = 1 + (i * 13) % 11; s = ""; d = ""
  for (j = 0; j < off; j++) s = s substr("abc def-", 1 + j % 8, 1)
  for (j = 0; j < n; j++) d = d (j % 10)
  printf "%s%s%s\n", s, d, (i % 5 == 0 ? " 12 x" : " tail") } }' > runs.txt
printf '1234567' >> runs.txt
# The same with a NUL byte 700 KB in (binary from there, past the first blocks).
{ head -c 700000 big.txt; printf '\0'; tail -c +700001 big.txt; } > bignul.bin

norm_err() { grep -v 'warning:' "$1" | sed -e 's/^grep: /quarry: /' > "$1.n"; }

pass=0 fail=0 n=0
while IFS= read -r line || [ -n "$line" ]; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  flags=""
  if [[ "$line" =~ ^\[([^]]*)\]\ (.*)$ ]]; then flags=${BASH_REMATCH[1]}; line=${BASH_REMATCH[2]}; fi
  n=$((n + 1))
  pipe=""
  [[ "$flags" =~ pipe=([^,]*) ]] && pipe=${BASH_REMATCH[1]}
  for who in g q; do
    if [ "$who" = g ]; then cmd="$GREP $line"; else cmd="$QUARRY grep $line"; fi
    if [ -n "$pipe" ]; then cat "$pipe" | eval "$cmd" > "$tmp/$who.out" 2> "$tmp/$who.err"
    else eval "$cmd" > "$tmp/$who.out" 2> "$tmp/$who.err" < /dev/null; fi
    echo $? > "$tmp/$who.rc"
    norm_err "$tmp/$who.err"
    if [[ ",$flags," == *,sort,* ]]; then LC_ALL=C sort "$tmp/$who.out" -o "$tmp/$who.out"; fi
  done
  ok=1
  cmp -s "$tmp/g.out" "$tmp/q.out" || ok=0
  cmp -s "$tmp/g.rc" "$tmp/q.rc" || ok=0
  if [[ ",$flags," != *,nostderr,* ]]; then cmp -s "$tmp/g.err.n" "$tmp/q.err.n" || ok=0; fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAIL: [$flags] $line"
    echo "  exit: grep $(cat "$tmp/g.rc"), quarry $(cat "$tmp/q.rc")"
    diff <(cat -A "$tmp/g.out") <(cat -A "$tmp/q.out") | head -20 | sed 's/^/  out /'
    diff "$tmp/g.err.n" "$tmp/q.err.n" | head -6 | sed 's/^/  err /'
  fi
done < "$CASES"
echo "grep compatibility: $n cases, $pass passed, $fail failed ($($GREP --version | head -1), LC_ALL=$LC_ALL)"
[ "$n" -ge 60 ] || { echo "too few cases"; exit 1; }
[ $fail -eq 0 ]
