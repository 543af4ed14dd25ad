#!/usr/bin/env bash
# What the docs claim, enforced: formatting, clippy with warnings as errors (the
# core's ban of clocks, sleeps and env vars is `disallowed_methods` in
# core/clippy.toml), rustdoc without warnings. scripts/test.sh runs it first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
echo "lint.sh: cargo fmt --check" >&2
cargo fmt --all --check >/dev/null || { echo "lint.sh: formatting differs (run cargo fmt --all)" >&2; status=1; }
echo "lint.sh: cargo clippy" >&2
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings || status=1
echo "lint.sh: cargo doc" >&2
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace --quiet || status=1
echo "lint.sh: exit $status" >&2
exit "$status"
