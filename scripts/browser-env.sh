# Sourced, not run: picks the Chromium-family browser and the chromedriver
# that the browser and end-to-end tests use, and exports
#   CHROMIUM   the browser binary (the WebDriver harness reads it)
#   PATH       with that chromedriver's folder first (wasm-bindgen-test-runner
#              looks chromedriver up on PATH)
# or sets TALLY_BROWSER_MISSING=1 when no matching pair is present.
#
# Why a choice at all: Debian has `chromium` + `chromium-driver`; GitHub's
# ubuntu-latest runner ships Google Chrome with a matching chromedriver, and
# Ubuntu's own `chromium` package is a snap stub that cannot run there. A
# browser and a driver of different major versions refuse to talk, so only
# a matching pair is accepted.

_tally_major() { "$@" --version 2>/dev/null | grep -oE '[0-9]+\.' | head -1 | tr -d .; }

_tally_pick_browser() {
  local browser driver
  local browsers=()
  [ -n "${CHROMIUM:-}" ] && browsers+=("$CHROMIUM")
  browsers+=(/usr/bin/chromium /usr/bin/google-chrome /usr/bin/google-chrome-stable)
  local drivers=()
  command -v chromedriver >/dev/null 2>&1 && drivers+=("$(command -v chromedriver)")
  [ -n "${CHROMEWEBDRIVER:-}" ] && drivers+=("$CHROMEWEBDRIVER/chromedriver")
  drivers+=(/usr/bin/chromedriver /usr/local/bin/chromedriver)
  for browser in "${browsers[@]}"; do
    [ -x "$browser" ] || continue
    local bmajor
    bmajor=$(_tally_major "$browser")
    [ -n "$bmajor" ] || continue # a snap stub prints no version
    for driver in "${drivers[@]}"; do
      [ -x "$driver" ] || continue
      if [ "$(_tally_major "$driver")" = "$bmajor" ]; then
        export CHROMIUM="$browser"
        export PATH="$(dirname "$driver"):$PATH"
        unset TALLY_BROWSER_MISSING
        return 0
      fi
    done
  done
  export TALLY_BROWSER_MISSING=1
  return 0
}

_tally_pick_browser
