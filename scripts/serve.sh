#!/usr/bin/env bash
# Installs what is missing, then serves the release build of Tally locally
# (rebuilt on every change to the sources; reload the page to see it: live
# reload would inject an inline script, which the CSP forbids).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
export PATH="$HOME/.cargo/bin:$PATH"
port="${PORT:-8080}"
printf '\n\033[1mTally will be at http://127.0.0.1:%s/ once the first build finishes.\033[0m\n\n' "$port"
exec trunk serve --release --offline --no-autoreload --port "$port"
