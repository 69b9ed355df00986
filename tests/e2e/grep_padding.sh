#!/usr/bin/env bash
# quarry grep hands PCRE2's JIT only padded subjects: the JIT reads whole
# 16-byte vectors up to 15 bytes past a subject's end, which valgrind
# reported as "Invalid read of size 16" in `grep --index DIR -w` on a stored
# text allocated to its exact length (search/qx_grep.h, QUARRY_TEXT_PAD).
# Texts of every length modulo 64 are searched from an index, from files and
# from stdin, with patterns that run the JIT to the end of the subject, under
# valgrind memcheck. Skipped without valgrind and in sanitizer builds; under
# `make valgrind` (QUARRY_VALGRIND=1) $QUARRY already runs under memcheck.
set -u
fail() { echo "FAIL: $*"; exit 1; }
if grep -q '^QUARRY_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "skip: sanitizer build (valgrind needs a plain one)"; exit 77
fi
if [ -n "${QUARRY_VALGRIND:-}" ]; then
  run=("$QUARRY")
else
  command -v valgrind > /dev/null || { echo "skip: valgrind not installed"; exit 77; }
  run=(valgrind -q --tool=memcheck --error-exitcode=99 --suppressions="$SRC/tests/reliability/valgrind.supp" "$QUARRY")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/d"
words="le vent IA souffle sur la plaine et fin"
for i in $(seq 1 64); do # text lengths 9..72 bytes: every residue modulo 16 and 64
  t=""
  while [ ${#t} -lt $((i + 3)) ]; do t="$t${words:$(((i + ${#t}) % 30)):1}"; done
  printf '%s IA fin' "${t:0:i}" > "$tmp/d/f$i.txt" # no final newline: the spare byte is used too
done
"$QUARRY" index -q --no-vectors -o "$tmp/idx" "$tmp/d" > /dev/null 2>&1 || fail "index"
for args in "-c -w fin" "-c -P fin\$"; do
  read -ra a <<< "$args"
  "${run[@]}" grep --index "$tmp/idx" "${a[@]}" > "$tmp/ix" 2> "$tmp/err"; s=$?
  [ $s = 99 ] && { head -30 "$tmp/err"; fail "memcheck errors in grep --index $args"; }
  [ $s = 0 ] || fail "grep --index $args: exit $s"
  [ "$(awk -F: '{ n += $NF } END { print n }' "$tmp/ix")" = 64 ] || fail "grep --index $args: $(head -3 "$tmp/ix")"
done
cat "$tmp"/d/*.txt | "${run[@]}" grep -c -w fin > "$tmp/in" 2> "$tmp/err"; s=$?
[ $s = 99 ] && { head -30 "$tmp/err"; fail "memcheck errors in grep on stdin"; }
[ $s = 0 ] || fail "grep on stdin: exit $s"
echo "ok: 3 grep runs under memcheck, 64 stored texts of 9 to 72 bytes"
