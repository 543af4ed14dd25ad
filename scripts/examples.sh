#!/usr/bin/env bash
# Run every example of the facade (examples/*.rs) against ELASTICSEARCH_URL, or
# against a local noida-db instance "examples" started (and stopped) here.
# Each example checks its own results and exits non-zero when they are wrong.
# scripts/test.sh runs this against its test server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SERVERS="$ROOT/scripts/servers.sh"

if [ -z "${ELASTICSEARCH_URL:-}" ]; then
    trap 'bash "$SERVERS" stop examples || true' EXIT
    bash "$SERVERS" install
    ELASTICSEARCH_URL="$(bash "$SERVERS" start-noida examples)"
fi
export ELASTICSEARCH_URL

# The same packages and features as `cargo test --workspace --all-features`, so
# that after it nothing is compiled again (`-p elastik-client --all-features`
# alone unifies features differently and rebuilt elastik-types).
cargo build --quiet --workspace --all-features --examples
target="${CARGO_TARGET_DIR:-target}"
status=0
for src in examples/*.rs; do
    name="$(basename "$src" .rs)"
    echo "examples.sh: $name" >&2
    if ! "$target/debug/examples/$name" >"$target/example-$name.log" 2>&1; then
        echo "examples.sh: $name FAILED:" >&2
        sed 's/^/  /' "$target/example-$name.log" >&2
        status=1
    fi
done
echo "examples.sh: exit $status" >&2
exit "$status"
