#!/usr/bin/env bash
# Run every test: start the real test servers (3 noida-db, 1 osmem-server) on
# 127.0.0.1, run `cargo test --workspace --all-features --no-fail-fast "$@"`, stop the servers.
#
# Exported to the tests:
#   ELASTIK_TEST_NOIDA_URLS  three noida-db URLs, comma-separated (independent single-node clusters)
#   ELASTIK_TEST_URL         the first of them
#   ELASTIK_TEST_OSMEM_URL   the osmem-server URL (OpenSearch-like; rejects compatibility media types)
# Exits with cargo's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SERVERS="$ROOT/scripts/servers.sh"
NAMES=(noida1 noida2 noida3 osmem1)

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local n
    for n in "${NAMES[@]}"; do
        bash "$SERVERS" stop "$n" || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$SERVERS" install

urls=()
for n in noida1 noida2 noida3; do
    urls+=("$(bash "$SERVERS" start-noida "$n")")
done
osmem_url="$(bash "$SERVERS" start-osmem osmem1)"

export ELASTIK_TEST_NOIDA_URLS
ELASTIK_TEST_NOIDA_URLS="$(IFS=,; echo "${urls[*]}")"
export ELASTIK_TEST_URL="${urls[0]}"
export ELASTIK_TEST_OSMEM_URL="$osmem_url"
echo "test.sh: ELASTIK_TEST_NOIDA_URLS=$ELASTIK_TEST_NOIDA_URLS" >&2
echo "test.sh: ELASTIK_TEST_URL=$ELASTIK_TEST_URL" >&2
echo "test.sh: ELASTIK_TEST_OSMEM_URL=$ELASTIK_TEST_OSMEM_URL" >&2

status=0
# The generated API must match the specification it claims to come from.
if [ -f ../shared/spec/schema.json ]; then
    cargo run --quiet -p elastik-codegen -- --check || status=$?
else
    echo "test.sh: skipping codegen --check: ../shared/spec/schema.json not found" >&2
fi
cargo test --workspace --all-features --no-fail-fast "$@" || status=$?
echo "test.sh: cargo test exited with $status" >&2
exit "$status"
