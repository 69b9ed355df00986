#!/usr/bin/env bash
# Install the Debian packages quarry needs to build and test. Idempotent:
# only calls apt-get when something is missing. With arguments, installs
# those packages instead of quarry's build list (used by the other scripts).
set -euo pipefail
PKGS=(build-essential cmake pkg-config git ca-certificates
      libzstd-dev libutf8proc-dev libstemmer-dev libxxhash-dev
      libfaiss-dev libopenblas-dev liblapack-dev libjansson-dev libpcre2-dev
      dpkg-dev python3-venv grep)
[ $# -gt 0 ] && PKGS=("$@")
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
