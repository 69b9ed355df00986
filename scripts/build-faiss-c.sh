#!/usr/bin/env bash
# Build FAISS's C API (libfaiss_c.a) from Debian's own faiss source package.
# Debian's libfaiss-dev ships the C API headers and libfaiss.a but not the C
# API library. We fetch the source package with a private apt configuration
# (the machine's sources are untouched), compile c_api/*.cpp and archive them.
# The result is cached in $QUARRY_CACHE/faiss-c (default ~/.cache/quarry),
# so a second run is instant. FAISS sources are never committed.
set -euo pipefail
CACHE=${QUARRY_CACHE:-$HOME/.cache/quarry}
OUT=$CACHE/faiss-c
[ -f "$OUT/lib/libfaiss_c.a" ] && exit 0
ver=$(dpkg-query -W -f='${Version}' libfaiss-dev)
work=$(mktemp -d "$CACHE.faiss.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE"; mktemp -d "$CACHE/faiss.XXXXXX"; })
trap 'rm -rf "$work"' EXIT
echo "setup: building FAISS C API from Debian source faiss $ver"
apt=$work/apt
mkdir -p "$apt/lists/partial" "$work/src"
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$src" | sed -e 's/^Types:.*/Types: deb-src/' -e 's/^Suites:.*/Suites: bookworm/' > "$apt/debian.sources"
else
  echo "Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" > "$apt/debian.sources"
fi
aptopts=(-o APT::Sandbox::User=root -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$apt" -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache")
mkdir -p "$apt/cache/archives/partial"
apt-get "${aptopts[@]}" update -qq
(cd "$work/src" && apt-get "${aptopts[@]}" source --download-only -qq "faiss=$ver" >/dev/null 2>&1 || \
                   apt-get "${aptopts[@]}" source --download-only -qq faiss >/dev/null)
tarball=$(ls "$work"/src/faiss_*.orig.tar.* | head -1)
tar -xf "$tarball" -C "$work/src"
root=$(dirname "$(find "$work/src" -maxdepth 3 -type d -name c_api | head -1)")
objs=()
for f in "$root"/c_api/*.cpp "$root"/c_api/impl/*.cpp "$root"/c_api/utils/*.cpp; do
  [ -f "$f" ] || continue
  o=$work/obj/$(echo "${f#$root/}" | tr / _).o
  mkdir -p "$work/obj"
  g++ -O2 -fPIC -std=c++17 -w -I"$root" -c "$f" -o "$o" &
  objs+=("$o")
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
done
wait
mkdir -p "$OUT.tmp/lib"
ar rcs "$OUT.tmp/lib/libfaiss_c.a" "${objs[@]}"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
echo "setup: $OUT/lib/libfaiss_c.a"
