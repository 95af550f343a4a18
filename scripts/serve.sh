#!/usr/bin/env bash
# Installs what is missing, then serves Tally locally with live reload.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
export PATH="$HOME/.cargo/bin:$PATH"
port="${PORT:-8080}"
printf '\n\033[1mTally will be at http://127.0.0.1:%s/ once the first build finishes.\033[0m\n\n' "$port"
exec trunk serve --offline --port "$port"
