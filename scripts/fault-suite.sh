#!/usr/bin/env bash
# The fault suite: bulk loads through fault-injecting proxies, on every runtime,
# with default settings. Starts its own noida-db (behind three fault proxies per
# run: one cluster, three "nodes"), runs each runtime's ignored `fault_suite`
# test, prints the table and exits 0 only when every run lost nothing and
# reported honestly.
#
#   scripts/fault-suite.sh [RUNTIME...]      # tokio async-std blocking (default: all three)
#
# Settings (environment):
#   ELASTIK_FAULT_SUITE_MIXES  issue,busy,stalls,node-returns (default: all)
#   ELASTIK_FAULT_SUITE_DOCS   documents per run (default 100000)
#   ELASTIK_FAULT_SUITE_RUNS   runs of each mix (default 1; the seed changes per run)
#   ELASTIK_FAULT_SUITE_IDS    yes | no | both (default both)
#   ELASTIK_FAULT_SUITE_SEED   first seed (default fixed: a run replays)
# Builds take the shared build lock (/tmp/elastik-build.lock) only while compiling.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SERVERS="$ROOT/scripts/servers.sh"
NAME=faultsuite
RUNTIMES=("$@")
[ ${#RUNTIMES[@]} -gt 0 ] || RUNTIMES=(tokio async-std blocking)

cleanup() { bash "$SERVERS" stop "$NAME" || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Compile first (under the lock), run afterwards (outside it).
for rt in "${RUNTIMES[@]}"; do
    case "$rt" in
        tokio|async-std|blocking) ;;
        *) echo "fault-suite.sh: unknown runtime '$rt' (tokio, async-std, blocking)" >&2; exit 2 ;;
    esac
    flock /tmp/elastik-build.lock nice cargo test -q -p "elastik-$rt" --no-run
done

bash "$SERVERS" install
export ELASTIK_TEST_URL
ELASTIK_TEST_URL="$(bash "$SERVERS" start-noida "$NAME")"
REPORT="$(mktemp -t fault-suite.XXXXXX)"
export ELASTIK_FAULT_SUITE_REPORT="$REPORT"
echo "fault-suite.sh: noida-db at $ELASTIK_TEST_URL, report in $REPORT" >&2

status=0
for rt in "${RUNTIMES[@]}"; do
    case "$rt" in
        async-std) target=(--test integration -- --ignored --exact fault_suite::fault_suite) ;;
        *) target=(--test fault_suite -- --ignored --exact fault_suite) ;;
    esac
    cargo test -q -p "elastik-$rt" "${target[@]}" --nocapture || status=1
done

echo
cat <<'HEAD'
| runtime | fault mix | ids | submitted | succeeded | failed | unconfirmed | retried (item/request) | in the index | elapsed | verdict |
|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|
HEAD
cat "$REPORT"
if grep -q 'FAILED' "$REPORT"; then status=1; fi
[ -s "$REPORT" ] || { echo "fault-suite.sh: no run reported" >&2; status=1; }
echo "fault-suite.sh: exit $status" >&2
exit "$status"
