#!/usr/bin/env bash
# Create (once) the environment of the benchmark peers: never needed by the
# build or the tests. It holds:
#   - a venv in $QUARRY_CACHE/bench-venv made from Debian's /usr/bin/python3
#     with --system-site-packages (so python3-xapian is importable), with the
#     pinned pip packages of bench/requirements.txt (tantivy, bm25s, numpy,
#     matplotlib) and, if it installs, bench/requirements-pisa.txt
#     (pyterrier-pisa); the outcome is recorded in $VENV/pisa.status;
#   - Debian packages from bench/debian-packages.txt (SQLite FTS5, Xapian,
#     Lucene 8 and a JDK), installed with apt-get when missing;
#   - bench/peers/LuceneBench.java compiled against Debian's Lucene jars
#     into $VENV/lucene/ (classpath in $VENV/lucene/classpath).
# Rebuilt only when one of those input files changes. Prints the venv's
# python path on success.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${QUARRY_CACHE:-$HOME/.cache/quarry}
VENV=$CACHE/bench-venv
mkdir -p "$CACHE"
inputs=("$here/bench/requirements.txt" "$here/bench/requirements-pisa.txt" "$here/bench/debian-packages.txt" "$0")
stamp=$(cat "${inputs[@]}" | sha256sum | cut -c1-16)
lstamp=$(cat "$here/bench/peers/LuceneBench.java" | sha256sum | cut -c1-16)
exec 9>"$CACHE/bench-venv.lock"; flock 9

# Lucene: Debian's jars (the jar version is in the file name), recompiled
# whenever LuceneBench.java changes.
build_lucene() {
  [ -f "$VENV/lucene/.stamp" ] && [ "$(cat "$VENV/lucene/.stamp")" = "$lstamp" ] && return 0
  rm -rf "$VENV/lucene"
  local jars
  jars=$(ls /usr/share/java/lucene-core-8*.jar /usr/share/java/lucene-analyzers-common-8*.jar 2>/dev/null | tr '\n' ':')
  if [ -n "$jars" ] && command -v javac >/dev/null; then
    mkdir -p "$VENV/lucene"
    javac -nowarn -cp "$jars" -d "$VENV/lucene" "$here/bench/peers/LuceneBench.java" >&2
    echo "$VENV/lucene:$jars" > "$VENV/lucene/classpath"
    echo "$lstamp" > "$VENV/lucene/.stamp"
  else
    echo "bench-venv: Lucene jars or javac missing; Lucene peer disabled" >&2
  fi
}

if [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$stamp" ]; then
  build_lucene
  echo "$VENV/bin/python"
  exit 0
fi

missing=()
for p in $(grep -v '^#' "$here/bench/debian-packages.txt"); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench-venv: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${missing[@]}" >&2
fi

rm -rf "$VENV"
/usr/bin/python3 -m venv --system-site-packages "$VENV" >&2
"$VENV/bin/python" -m pip install -q --upgrade pip >&2
"$VENV/bin/python" -m pip install -q -r "$here/bench/requirements.txt" >&2
if "$VENV/bin/python" -m pip install -q -r "$here/bench/requirements-pisa.txt" >&2 &&
   "$VENV/bin/python" -c "import pyterrier_pisa" >&2; then
  echo ok > "$VENV/pisa.status"
else
  echo "pip install or import of pyterrier-pisa failed" > "$VENV/pisa.status"
  echo "bench-venv: PISA unavailable (see above); the other peers still run" >&2
fi
"$VENV/bin/python" -c "import tantivy, bm25s, xapian, sqlite3, matplotlib" >&2

build_lucene
echo "$stamp" > "$VENV/.stamp"
echo "$VENV/bin/python"
