#!/usr/bin/env bash
# Installs what is missing, then runs every check Tally has, stopping at the
# first failure with a message that names the step.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/browser-env.sh # CHROMIUM and its chromedriver on PATH

step=""
started=$(date +%s)
trap 'status=$?; if [ $status -ne 0 ]; then printf "\n\033[1;31mFAILED at step: %s\033[0m\n" "$step" >&2; fi' EXIT
run() {
  step="$1"; shift
  printf '\n\033[1m==> %s\033[0m\n' "$step"
  "$@"
}

run "formatting (cargo fmt --check)" cargo fmt --all -- --check
run "lints, native (clippy -D warnings)" cargo clippy --all-targets --locked -- -D warnings
# The benches are native tools (WebDriver, criterion) and never built for wasm32.
run "lints, wasm32 (clippy -D warnings)" \
  cargo clippy --lib --bins --tests --locked --target wasm32-unknown-unknown -- -D warnings
run "native unit, property and model tests" cargo test --locked
run "browser tests in headless Chromium (wasm-bindgen-test)" \
  cargo test --locked --target wasm32-unknown-unknown --test web --test web_tabs
run "release build of the site under /tally/ (trunk)" \
  trunk build --release --offline --public-url /tally/ --dist target/e2e-site
run "end-to-end tests against the release build in headless Chromium" \
  cargo test --locked --test e2e --test e2e_tabs --test e2e_views --test e2e_story -- --ignored --test-threads 1
run "offline use and updates end-to-end (service worker) in headless Chromium" \
  cargo test --locked --test e2e_offline -- --ignored --test-threads 1

step=""
printf '\n\033[1;32mAll checks passed in %ss.\033[0m\n' "$(( $(date +%s) - started ))"
