#!/usr/bin/env bash
# Builds the app's WebAssembly for the site, split so that a visit downloads
# only what the Submit form needs before the app is usable (src/app/later.rs
# names the split points: the other views and the commit path). Run by
# scripts/trunk-post-build.sh. Trunk itself builds no Rust: its page is
# site/index.html, away from Cargo.toml, because the split must happen
# between cargo and wasm-bindgen, where Trunk has no step.
#
#   scripts/build-wasm.sh <site dir>
#
# Writes <site dir>/pkg-<hash>/ and prints its name last. The folder's name
# is a hash of everything in it: the chunks' loader imports the main module
# by a plain relative name, so a new build must be a new folder, or a tab of
# the old build could load a new chunk into the old module.
#
# 1. cargo builds the binary with the `split` feature, keeping its symbols
#    and relocations (the splitter reads both);
# 2. wasm-split-cli (Leptos's splitter, wasm_split_cli_support) writes the
#    main module, one chunk per split point, chunks of code several split
#    points share, and __wasm_split.js, which fetches a split point's chunks
#    the first time it is called;
# 3. wasm-bindgen makes the main module's JavaScript bindings, keeping the
#    exports the chunks import (--keep-lld-exports);
# 4. wasm-opt shrinks the main module and drops every module's names.
set -euo pipefail
cd "$(dirname "$0")/.."
site="${1:?usage: $0 <site dir>}"
say() { printf 'build-wasm: %s\n' "$*" >&2; }

target_dir="${CARGO_TARGET_DIR:-target}"
say "cargo build --release --features split"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C link-arg=--emit-relocs" \
  cargo build --release --locked --features split --target wasm32-unknown-unknown --bin tally >&2
input="$target_dir/wasm32-unknown-unknown/release/tally.wasm"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/split" "$work/pkg"
say "wasm-split-cli"
wasm-split-cli "$input" "$work/split" --out-name tally --target web >&2
say "wasm-bindgen"
wasm-bindgen --target web --keep-lld-exports --no-typescript --remove-producers-section \
  --out-dir "$work/pkg" --out-name tally "$work/split/tally.wasm" >&2
# The features current rustc's wasm32 output uses; binaryen refuses the
# module without them.
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-reference-types --enable-mutable-globals --enable-multivalue
  --enable-call-indirect-overlong)
cp "$work/split/__wasm_split.js" "$work/pkg/"
if [ -n "${TALLY_KEEP_NAMES:-}" ]; then
  # scripts/profile.sh: function names kept for the profiler, no wasm-opt.
  cp "$work/split"/*.wasm "$work/pkg/"
  rm "$work/pkg/tally.wasm"
else
  say "wasm-opt"
  wasm-opt -Oz "${features[@]}" "$work/pkg/tally_bg.wasm" -o "$work/pkg/tally_bg.wasm"
  for chunk in "$work/split"/*.wasm; do
    [ "$(basename "$chunk")" = tally.wasm ] && continue
    # Only names and producers go: the splitter placed the chunks' code in
    # the main module's table, which an optimizer must not rearrange. (The
    # splitter writes a names subsection binaryen does not know: a warning
    # per chunk, not an error.)
    wasm-opt --strip-debug --strip-producers "${features[@]}" "$chunk" \
      -o "$work/pkg/$(basename "$chunk")" 2> >(grep -v 'unknown name subsection' >&2)
  done
fi

hash=$(cd "$work/pkg" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
name="pkg-$hash"
rm -rf "${site:?}/$name"
mv "$work/pkg" "$site/$name"
say "$(find "$site/$name" -name '*.wasm' | wc -l) modules in $name"
echo "$name"
