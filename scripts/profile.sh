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
# Trunk builds from an HTML file beside the sources; this one differs from
# index.html only in switching wasm-opt off.
page=profile-index.html
trap 'rm -f "$page"' EXIT
sed 's/data-wasm-opt="z"/data-wasm-opt="0"/' index.html > "$page"
CARGO_PROFILE_RELEASE_STRIP=false trunk build --release --offline --public-url /tally/ --dist target/profile-site "$page"
cargo bench --locked --bench profile
