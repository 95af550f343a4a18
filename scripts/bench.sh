#!/usr/bin/env bash
# Builds the release site and measures it in headless Chromium beside a
# JavaScript baseline, then runs the native benchmark of the core.
# Prints a table and writes target/bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/browser-env.sh # CHROMIUM and its chromedriver on PATH
trunk build --release --offline --public-url /tally/ --dist target/bench-site
cargo bench --locked --bench browser
cargo bench --locked --bench core
