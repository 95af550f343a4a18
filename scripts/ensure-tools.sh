#!/usr/bin/env bash
# Installs whatever Tally's build needs and is missing, at the exact versions
# it needs; skips everything already present, so a second run is instant.
#   scripts/ensure-tools.sh            tools to build and serve the site
#   scripts/ensure-tools.sh --test     also rustfmt, clippy, Chromium and chromedriver
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# wasm-opt: binaryen from npm (it runs on Node). Debian's binaryen 108
# corrupts wasm-bindgen's externref table; 110 and later are fine. Trunk uses
# it only when its version equals `[tools] wasm_opt` in Trunk.toml.
BINARYEN_VERSION=132.0.0
# The release build's splitter (scripts/build-wasm.sh): Leptos's, from crates.io.
WASM_SPLIT_VERSION=0.2.4
want_test=false
[ "${1:-}" = "--test" ] && want_test=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust with rustup (https://rustup.rs) first." >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if $want_test; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
      say "adding the $component component"
      rustup component add "$component"
    fi
  done
fi

# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock exactly.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wbg_version" ]; then
  echo "could not read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
  say "installing wasm-bindgen-cli $wbg_version (takes several minutes, once)"
  cargo install wasm-bindgen-cli --version "$wbg_version" --locked \
    || cargo install wasm-bindgen-cli --version "$wbg_version"
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (takes several minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (takes about two minutes, once)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
fi

binaryen_dir="$HOME/.local/share/tally-tools/binaryen-$BINARYEN_VERSION"
wasm_opt_ok() {
  [ "$(wasm-opt --version 2>/dev/null)" = "wasm-opt version ${BINARYEN_VERSION%%.*} (version_${BINARYEN_VERSION%%.*})" ]
}

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing $*: install them with your system's package manager" >&2
    exit 1
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing $* from Debian's packages"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! wasm_opt_ok; then
  missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  mkdir -p "$binaryen_dir" "$HOME/.cargo/bin"
  npm install --prefix "$binaryen_dir" --no-save --no-audit --no-fund --ignore-scripts \
    --loglevel=error "binaryen@$BINARYEN_VERSION"
  # ~/.cargo/bin is on the PATH of every script here and of Trunk.
  ln -sf "$binaryen_dir/node_modules/binaryen/bin/wasm-opt" "$HOME/.cargo/bin/wasm-opt"
  if ! wasm_opt_ok; then
    echo "wasm-opt from binaryen $BINARYEN_VERSION does not run: $(wasm-opt --version 2>&1 | head -n1)" >&2
    exit 1
  fi
fi

if $want_test; then
  # A browser and a chromedriver of the same major version, present already
  # (Debian's, or Chrome on GitHub's runner), or else Debian's packages.
  source scripts/browser-env.sh
  if [ -n "${TALLY_BROWSER_MISSING:-}" ]; then
    apt_install chromium chromium-driver
    source scripts/browser-env.sh
    if [ -n "${TALLY_BROWSER_MISSING:-}" ]; then
      echo "no Chromium and chromedriver of one major version could be found or installed" >&2
      exit 1
    fi
  fi
fi
