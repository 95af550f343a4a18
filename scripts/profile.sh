#!/usr/bin/env bash
# Profiles a bulk import and a reload in headless Chromium and prints where
# the time goes, by function (see benches/profile.rs). Builds the release
# site with function names kept and without wasm-opt, which would drop them,
# into target/profile-site.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/browser-env.sh # CHROMIUM and its chromedriver on PATH
# Function names kept, and no wasm-opt, which would drop them.
TALLY_KEEP_NAMES=1 trunk build --release --offline --public-url /tally/ --dist target/profile-site
cargo bench --locked --bench profile
