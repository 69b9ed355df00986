#!/usr/bin/env bash
# Debian packages for the reliability checks: clang-14 with its libFuzzer /
# sanitizer runtimes and OpenMP (fuzz builds), valgrind (memcheck runs).
# Idempotent: only calls apt-get when something is missing. Called by
# `make fuzz`, `make valgrind` and `make test`.
set -euo pipefail
PKGS=(clang-14 libclang-rt-14-dev libomp-14-dev valgrind)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
