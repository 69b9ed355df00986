#!/usr/bin/env bash
# Crash safety of updates and merges (`quarry index -x DIR PATH...` on an
# existing index, `quarry index -x DIR --merge`): the same logic as
# kill_build.sh. Index A (seeds/ + N_FILES generated files) is updated to B
# (a third of the files changed, some deleted, some added: a new segment, a
# deletion bitmap, hard links of the kept segment); then B is merged into C
# (one segment). SIGKILL is delivered by strace on entry to evenly spread
# calls of each syscall of the update's and merge's write and commit path
# (mkdir, openat, link, fsync, renameat2, unlink, rmdir, write; at most
# PER_SYSCALL points per syscall) and after KILLS_RANDOM random delays. After
# each kill the index must verify and answer exactly as before or as after.
. "$SRC/tests/reliability/common.sh"
. "$SRC/tests/reliability/index_common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
KILLS_RANDOM=${KILLS_RANDOM:-10}
PER_SYSCALL=${PER_SYSCALL:-8}
N_FILES=${N_FILES:-600}
if rel_sanitized; then
  KILLS_RANDOM=${KILLS_RANDOM_ASAN:-6} PER_SYSCALL=${PER_SYSCALL_ASAN:-4} N_FILES=${N_FILES_ASAN:-300}
fi
gen=$BUILD/bench/corpusgen
[ -x "$gen" ] || rel_skip "bench/corpusgen not built"
"$gen" -n "$N_FILES" -q 5 --vocab 20000 --seed 11 --jsonl -o "$T/gen" > /dev/null
# one text file per generated document (the first word of each line changes in B)
mkdir -p "$T/d0/gen" && cp "$SRC"/seeds/* "$T/d0/"
awk -v d="$T/d0/gen" '{ match($0, /"text":"[^"]*"/); t = substr($0, RSTART + 8, RLENGTH - 9);
  f = sprintf("%s/f%05d.txt", d, NR); print t > f; close(f) }' "$T/gen/corpus.jsonl"
cp -a "$T/d0" "$T/d1"
for f in "$T"/d1/gen/f*.txt; do
  n=${f##*/f}; n=$((10#${n%.txt}))
  if [ $((n % 3)) = 0 ]; then echo "changed paitwo thongeu $n" >> "$f"; fi  # changed
  if [ $((n % 7)) = 1 ]; then rm "$f"; fi                                    # deleted
done
for i in $(seq 1 $((N_FILES / 5))); do echo "added document $i paitwo dotgrigon hypoi" > "$T/d1/gen/new$i.txt"; done
rm "$T/d1/002_54df15698cb5ceed.txt"
echo "une levée de fonds ajoutée" >> "$T/d1/000_446b4627d861f2ba.txt"
# the same paths in both runs: index "$T/src" (a symlink switched from d0 to d1)
ln -sfn "$T/d0" "$T/src"
"$QUARRY" index -q --no-vectors -x "$T/A" "$T/src" || rel_fail "index A"
ln -sfn "$T/d1" "$T/src"
cp -a "$T/A" "$T/B"
"$QUARRY" index -q --no-vectors -x "$T/B" "$T/src" || rel_fail "update A -> B"
[ "$(grep -c '^segment ' "$T/B/MANIFEST")" = 2 ] || rel_fail "B is not two segments: $(grep segment "$T/B/MANIFEST")"
cp -a "$T/B" "$T/C"
"$QUARRY" index -q -x "$T/C" --merge || rel_fail "merge B -> C"

survived=0 det=0 rnd=0 nold=0 nnew=0
ST=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)
have_strace=0
if command -v strace > /dev/null && strace -f -qq -e trace=none true 2> /dev/null; then have_strace=1; fi

# run_phase FROM TO CMD...: kill CMD (which turns index FROM into TO) at every point
run_phase() {
  local from=$1 to=$2; shift 2
  local cmd=("$@")
  ANS_A=$(rel_answers "$T/$from") || rel_fail "search $from"
  ANS_B=$(rel_answers "$T/$to") || rel_fail "search $to"
  [ "$ANS_A" != "$ANS_B" ] || rel_fail "$from and $to answer alike: the test would prove nothing"
  reset_idx() { rm -rf "$T/idx" "$T"/idx.tmp-*; cp -a "$T/$from" "$T/idx"; }
  check() {
    local st
    st=$(rel_state "$T/idx")
    case $st in
      A) nold=$((nold + 1)) ;;
      B) nnew=$((nnew + 1)) ;;
      *) rel_fail "$from -> $to: after $1: $st" ;;
    esac
    survived=$((survived + 1))
    if [ "$st" = B ] || [ $((survived % 5)) = 0 ]; then reset_idx; fi
  }
  reset_idx
  t0=$(date +%s%N)
  "${cmd[@]}" > /dev/null || rel_fail "uninterrupted $from -> $to"
  local ns=$(( $(date +%s%N) - t0 ))
  [ "$(rel_state "$T/idx")" = B ] || rel_fail "uninterrupted $from -> $to does not answer as $to"
  reset_idx
  if [ $have_strace = 1 ]; then
    local log=$T/strace.log sc n step k
    "${ST[@]}" -f -qq -o "$log" -e trace=mkdir,openat,link,linkat,fsync,rename,renameat2,unlink,unlinkat,rmdir,write \
      "${cmd[@]}" > /dev/null || rel_fail "$from -> $to under strace"
    reset_idx
    for sc in mkdir openat link linkat fsync rename renameat2 unlink unlinkat rmdir write; do
      n=$(grep -c " $sc(\|^$sc(\|\] $sc(" "$log" || true)
      [ "$n" -gt 0 ] || continue
      step=$(( (n + PER_SYSCALL - 1) / PER_SYSCALL ))
      for ((k = n; k >= 1; k -= step)); do # from the last call: the commit is at the end
        bash -c '"$@"; exit 0' strace "${ST[@]}" -f -qq -o /dev/null -e trace="$sc" \
          -e inject="$sc":signal=KILL:when="$k" "${cmd[@]}" > /dev/null 2>&1 || true
        check "SIGKILL at $sc #$k of $n"
        det=$((det + 1))
      done
    done
  fi
  local i delay_ns pid
  for ((i = 0; i < KILLS_RANDOM; i++)); do
    delay_ns=$(( (RANDOM * 32768 + RANDOM) % (ns * 13 / 10 + 1) ))
    "${cmd[@]}" > /dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%09d' $((delay_ns / 1000000000)) $((delay_ns % 1000000000)))"
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    check "SIGKILL after $delay_ns ns"
    rnd=$((rnd + 1))
  done
  echo "$from -> $to takes $((ns / 1000000)) ms"
}

run_phase A B "$QUARRY" index -q --no-vectors -x "$T/idx" "$T/src"
u_surv=$survived u_old=$nold u_new=$nnew
run_phase B C "$QUARRY" index -q -x "$T/idx" --merge
echo "kill_update: $survived kill points survived ($det at syscalls, $rnd at random times): update $u_surv" \
  "($u_old left the old index, $u_new the updated one), merge $((survived - u_surv))" \
  "($((nold - u_old)) left the old index, $((nnew - u_new)) the merged one)"
