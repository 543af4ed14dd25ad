#!/usr/bin/env bash
# Lines of code of the runtime crates and the driver, as issue 13 counts them:
# the `.rs` files under each crate's `src/` (shipping code; tests and examples
# apart), without blank lines and without comment lines (`//`, `//!`, `///`).
# Block comments (`/* */`) are not used in these crates, so they are not handled.
#
#   scripts/loc.sh            # one line per crate, then the runtimes' total
#   scripts/loc.sh tests      # the same for each crate's `tests/`
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIR="${1:-src}"

count() {
    if [ ! -d "$1" ]; then
        echo 0
        return
    fi
    find "$1" -name '*.rs' -print0 | xargs -0 cat | grep -v -E '^[[:space:]]*$' | grep -c -v -E '^[[:space:]]*//' || true
}

total=0
for crate in runtime-tokio runtime-async-std runtime-blocking; do
    n="$(count "$crate/$DIR")"
    total=$((total + n))
    printf '%-20s %6d\n' "$crate/$DIR" "$n"
done
printf '%-20s %6d\n' "runtimes total" "$total"
printf '%-20s %6d\n' "driver/$DIR" "$(count "driver/$DIR")"
