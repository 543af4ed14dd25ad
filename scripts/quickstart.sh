#!/usr/bin/env bash
# Run the quickstart example. With ELASTICSEARCH_URL unset, a local noida-db
# instance "quickstart" is installed, started on 127.0.0.1 and stopped on exit.
# Extra arguments go to the example: scripts/quickstart.sh -- ARGS
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SERVERS="$ROOT/scripts/servers.sh"

if [ -z "${ELASTICSEARCH_URL:-}" ]; then
    trap 'bash "$SERVERS" stop quickstart || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    bash "$SERVERS" install
    ELASTICSEARCH_URL="$(bash "$SERVERS" start-noida quickstart)"
    export ELASTICSEARCH_URL
fi
echo "quickstart.sh: ELASTICSEARCH_URL=$ELASTICSEARCH_URL" >&2

status=0
cargo run --example quickstart "$@" || status=$?
exit "$status"
