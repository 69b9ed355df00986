#!/usr/bin/env bash
# Corruption of an index: flip bytes at many offsets and truncate every file
# of three indexes (A: seeds/, every file under 1 MiB; C: seeds/ as a 2.0
# index of 3 segments with deletion bitmaps; B: a generated corpus,
# several files over 1 MiB), and check, for each damaged copy:
#   - `quarry info --verify` fails (exit 2) naming the damaged file: always;
#   - `quarry search` never crashes: exit 0/1 (answered) or 2 (one
#     "quarry: " line naming an index file);
#   - files up to 1 MiB (QX_VERIFY_AT_OPEN_MAX) and every truncation are
#     detected when the index is opened (search fails naming the file);
#   - flips in bigger files are caught at open or first use when they make
#     an offset or a count impossible, otherwise only by --verify (counted).
# FLIPS offsets per file (default 40: the 16 header bytes, then evenly
# spread, including the last byte), each XOR-ed with a non-zero mask.
. "$SRC/tests/reliability/common.sh"
. "$SRC/tests/reliability/index_common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
FLIPS=${FLIPS:-40}
IXS="A B"
rel_sanitized && FLIPS=${FLIPS_ASAN:-8} IXS=A # an ASan process is slow to start: the small index only
N_B=${N_B_CORRUPT:-3000}
rel_make_corpus_b "$T"
"$QUARRY" index -q --no-vectors -o "$T/A" "$SRC/seeds" || rel_fail "index A"
"$QUARRY" index -q --no-vectors --format beir -o "$T/B" "$T/corpus.jsonl" || rel_fail "index B"
# C: a segmented (2.0) index of the seeds in 3 segments with deleted documents
# (top MANIFEST, segment folders, sNNNNNN.del), assembled by the library's
# top-level writer through tests/unit/test_segments
if [ -x "$BUILD/tests/test_segments" ] && ! rel_sanitized; then
  s=("$SRC"/seeds/*.txt)
  "$BUILD/tests/test_segments" mkindex "$T/C" --delete /001_ --delete /004_ "${s[0]},${s[1]}" "${s[2]},${s[3]}" \
    "${s[4]}" > /dev/null || rel_fail "index C"
  IXS="$IXS C"
fi
CQ=("fonds" "\"levée de fonds\"" "invest*" "quau thoeja" "-bri paitwo")

tried=0 verify_ok=0 open_small=0 small=0 big=0 big_use=0 trunc=0 trunc_ok=0
flip() { # file offset mask
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\$(printf '%03o' $(( b ^ $3 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# search the damaged copy; echo "detected" / "answered"; fail on a crash
try_search() { # dir file what
  local q rc out=answered
  for q in "${CQ[@]}"; do
    rc=0
    "$QUARRY" search -x "$1" -k 5 -- "$q" > /dev/null 2> "$T/err" || rc=$?
    case $rc in
      0 | 1) ;;
      2) [ "$(wc -l < "$T/err")" = 1 ] && grep -q "^quarry: .*$1/" "$T/err" ||
           rel_fail "$3: search error does not name an index file: $(cat "$T/err")"
         out=detected; break ;;
      *) rel_fail "$3: search crashed (exit $rc): $(cat "$T/err")" ;;
    esac
  done
  echo $out
}
try_verify() { # dir file what
  local rc=0
  "$QUARRY" info --verify -x "$1" > /dev/null 2> "$T/err" || rc=$?
  [ $rc = 2 ] || rel_fail "$3: info --verify exit $rc (expected 2)"
  grep -q "$1/$2" "$T/err" || rel_fail "$3: verify message does not name $2: $(cat "$T/err")"
}

for ix in $IXS; do
  src=$T/$ix; d=$T/c$ix
  rm -rf "$d"; cp -a "$src" "$d"
  while IFS= read -r f <&3; do   # every file, segments' included, relative to the index folder
    path=$src/$f
    size=$(stat -c %s "$path")
    # offsets: header bytes, then evenly spread up to the last byte
    offs=()
    for ((o = 0; o < 16 && o < size; o++)); do offs+=("$o"); done
    n=$((FLIPS > 16 ? FLIPS - 16 : 1))
    for ((k = 1; k <= n; k++)); do offs+=($(( 16 + (size - 17) * k / n ))); done
    for o in "${offs[@]}"; do
      [ "$o" -lt "$size" ] || continue
      what="$ix/$f: byte $o flipped"
      flip "$d/$f" "$o" $(( (o * 7 + 1) % 255 + 1 ))
      tried=$((tried + 1))
      try_verify "$d" "$f" "$what"; verify_ok=$((verify_ok + 1))
      r=$(try_search "$d" "$f" "$what")
      if [ "$size" -le $((1 << 20)) ]; then
        small=$((small + 1))
        [ "$r" = detected ] || rel_fail "$what: not detected at open (file of $size bytes)"
        open_small=$((open_small + 1))
      else
        big=$((big + 1))
        [ "$r" = detected ] && big_use=$((big_use + 1))
      fi
      cp "$path" "$d/$f"
    done
    for len in 0 1 15 16 $((size / 2)) $((size - 1)); do
      [ "$len" -lt "$size" ] || continue
      what="$ix/$f: truncated to $len bytes"
      truncate -s "$len" "$d/$f"
      trunc=$((trunc + 1))
      try_verify "$d" "$f" "$what"
      [ "$(try_search "$d" "$f" "$what")" = detected ] || rel_fail "$what: not detected at open"
      trunc_ok=$((trunc_ok + 1))
      cp "$path" "$d/$f"
    done
  done 3< <(cd "$src" && find . -type f | sed 's|^\./||' | sort)
  "$QUARRY" info --verify -x "$d" > /dev/null || rel_fail "restored copy of $ix does not verify"
done
echo "corrupt: $tried byte flips: $verify_ok/$tried detected by info --verify;" \
  "$open_small/$small in files <= 1 MiB detected at open; $big_use/$big in bigger files detected at open or first use" \
  "(the rest by --verify only); $trunc_ok/$trunc truncations detected at open"
