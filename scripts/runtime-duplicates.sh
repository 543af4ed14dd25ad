#!/usr/bin/env bash
# Runs of 6+ lines repeated between two runtime crates (issue 13): copies the
# tracked files of runtime-tokio, runtime-async-std, runtime-blocking and
# driver into a scratch folder, runs `duplicates` there (so the generated code
# elsewhere in the tree does not crowd the list out), and prints the rows
# whose two places lie in different crates.
#
#   scripts/runtime-duplicates.sh          # src/ and tests/
#   scripts/runtime-duplicates.sh src      # src/ only
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WHAT="${1:-}"
command -v duplicates >/dev/null || { echo "runtime-duplicates.sh: the duplicates tool is not installed" >&2; exit 1; }
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
for crate in runtime-tokio runtime-async-std runtime-blocking driver; do
    git ls-files -co --exclude-standard "$crate/${WHAT}" | grep '\.rs$' | while read -r f; do
        mkdir -p "$SCRATCH/$(dirname "$f")"
        cp "$f" "$SCRATCH/$f"
    done
done
duplicates --repo "$SCRATCH" --most 200 --seconds 120 | tee "$SCRATCH/all.txt" | head -1
echo "between two crates:"
awk '/^D[0-9]+ / { split($2, a, "/"); split($4, b, "/"); if (a[1] != b[1]) print }' "$SCRATCH/all.txt"
