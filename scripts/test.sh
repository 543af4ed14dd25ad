#!/usr/bin/env bash
# Run every test: start the real test servers (3 noida-db, 1 osmem-server, and real
# Elasticsearch: one node, a three-node cluster, one node with a tiny write queue) on
# 127.0.0.1, run `cargo test --workspace --all-features --no-fail-fast "$@"` and the examples
# (scripts/examples.sh), then the
# runtimes' server tests once more against the real Elasticsearch node, stop the servers.
#
# Exported to the tests:
#   ELASTIK_TEST_NOIDA_URLS  three noida-db URLs, comma-separated (independent single-node clusters)
#   ELASTIK_TEST_URL         the first of them
#   ELASTIK_TEST_OSMEM_URL   the osmem-server URL (OpenSearch-like; rejects compatibility media types)
#   ELASTIK_TEST_ES_URL      a real Elasticsearch node (servers/elasticsearch)
#   ELASTIK_TEST_ES_CLUSTER_URLS  the three nodes of a real cluster, comma-separated
#   ELASTIK_TEST_ES_CLUSTER  that cluster's name in .servers/ (tests kill and restart its members)
#   ELASTIK_TEST_ES_TINY_QUEUE_URL  a real node with thread_pool.write size 1, queue 1 (real 429s)
# ELASTIK_TEST_NO_ES=1 skips Elasticsearch (no JVMs; the tests that need it skip).
# ELASTIK_TEST_NO_LINT=1 skips scripts/lint.sh (fmt, clippy, rustdoc with warnings as errors).
# Exits non-zero when any step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SERVERS="$ROOT/scripts/servers.sh"
NAMES=(noida1 noida2 noida3 osmem1 es1 esc es429)
# The same build settings as .ci/run, so running one after the other builds nothing twice.
export CARGO_INCREMENTAL=0
# Tests append their skips and expected-failure summaries here (testkit::note);
# the closing lines print them.
mkdir -p target
export ELASTIK_TEST_NOTES="$ROOT/target/test-notes.txt"
: >"$ELASTIK_TEST_NOTES"

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

if [ "${ELASTIK_TEST_NO_ES:-0}" != 1 ]; then
    es_t0=$(date +%s)
    bash "$SERVERS" build-elasticsearch
    es_out="$(mktemp -d)"
    # The JVMs start together (servers.sh prints each node's start-up time and RSS).
    bash "$SERVERS" start-elasticsearch-cluster esc >"$es_out/esc" & esc_pid=$!
    bash "$SERVERS" start-elasticsearch es1 >"$es_out/es1" & es1_pid=$!
    ELASTIK_ES_HEAP=256m ELASTIK_ES_SETTINGS="thread_pool.write.size=1 thread_pool.write.queue_size=1" \
        bash "$SERVERS" start-elasticsearch es429 >"$es_out/es429" & es429_pid=$!
    es_ok=1
    for p in "$esc_pid" "$es1_pid" "$es429_pid"; do wait "$p" || es_ok=0; done
    [ "$es_ok" = 1 ] || { echo "test.sh: real Elasticsearch did not start (ELASTIK_TEST_NO_ES=1 skips it)" >&2; exit 1; }
    export ELASTIK_TEST_ES_URL ELASTIK_TEST_ES_CLUSTER_URLS ELASTIK_TEST_ES_TINY_QUEUE_URL
    ELASTIK_TEST_ES_URL="$(cat "$es_out/es1")"
    ELASTIK_TEST_ES_CLUSTER_URLS="$(cat "$es_out/esc")"
    ELASTIK_TEST_ES_TINY_QUEUE_URL="$(cat "$es_out/es429")"
    export ELASTIK_TEST_ES_CLUSTER=esc
    rm -rf "$es_out"
    echo "test.sh: real Elasticsearch up in $(( $(date +%s) - es_t0 )) s (build included)" >&2
    echo "test.sh: ELASTIK_TEST_ES_URL=$ELASTIK_TEST_ES_URL" >&2
    echo "test.sh: ELASTIK_TEST_ES_CLUSTER_URLS=$ELASTIK_TEST_ES_CLUSTER_URLS" >&2
    echo "test.sh: ELASTIK_TEST_ES_TINY_QUEUE_URL=$ELASTIK_TEST_ES_TINY_QUEUE_URL" >&2
fi

status=0
# The generated API must match the specification it claims to come from.
if [ -f ../shared/spec/schema.json ]; then
    cargo run --quiet -p elastik-codegen -- --check || status=$?
else
    echo "test.sh: skipping codegen --check: ../shared/spec/schema.json not found" >&2
fi
# What the docs claim, enforced: rustfmt, clippy -D warnings (the core's ban of clocks
# and sleeps included), rustdoc -D warnings. ELASTIK_TEST_NO_LINT=1 skips it.
if [ "${ELASTIK_TEST_NO_LINT:-0}" != 1 ]; then
    bash scripts/lint.sh || status=1
fi
# The official Python client's HTTP method per endpoint, read from its source
# (core/api/tests/methods.rs compares elastik's choice with it).
bash scripts/official-methods.sh || { echo "test.sh: scripts/official-methods.sh failed" >&2; status=1; }
cargo test --workspace --all-features --no-fail-fast "$@" || status=$?
echo "test.sh: cargo test exited with $status" >&2
# Every example program, against the first noida-db (each checks its own results).
ELASTICSEARCH_URL="$ELASTIK_TEST_URL" bash scripts/examples.sh || status=1
if [ -n "${ELASTIK_TEST_ES_URL:-}" ]; then
    echo "test.sh: the examples against real Elasticsearch" >&2
    ELASTICSEARCH_URL="$ELASTIK_TEST_ES_URL" bash scripts/examples.sh || status=1
fi
if [ -n "${ELASTIK_TEST_ES_URL:-}" ]; then
    # The runtimes' server tests once more, with real Elasticsearch as the main server
    # (the tests that need noida-db's three independent nodes or osmem skip here). The
    # binaries are the ones just built (same features: nothing is compiled again).
    mapfile -t es_bins < <(cargo test --workspace --all-features --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, os, sys
want = {("runtime-tokio", t) for t in ("api", "faults", "helpers_bulk", "helpers_scan")}
want |= {("runtime-blocking", t) for t in ("servers", "faults", "helpers")}
want |= {("runtime-async-std", "integration")}
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    crate = os.path.basename(os.path.dirname(m["manifest_path"]))
    if (crate, m["target"]["name"]) in want:
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
')
    [ "${#es_bins[@]}" -gt 0 ] || { echo "test.sh: found no test binaries to run against real Elasticsearch" >&2; status=1; }
    for entry in "${es_bins[@]}"; do
        dir="${entry%%$'\t'*}" bin="${entry#*$'\t'}"
        echo "test.sh: against real Elasticsearch: $(basename "$dir") $(basename "$bin")" >&2
        (cd "$dir" && env -u ELASTIK_TEST_NOIDA_URLS -u ELASTIK_TEST_OSMEM_URL ELASTIK_TEST_URL="$ELASTIK_TEST_ES_URL" "$bin") ||
            { echo "test.sh: $(basename "$bin") failed against real Elasticsearch" >&2; status=1; }
    done
fi
if [ -s "$ELASTIK_TEST_NOTES" ]; then
    echo "== test.sh: skipped, and summaries of suites with expected failures:" >&2
    sort -u "$ELASTIK_TEST_NOTES" | sed 's/^/  /' >&2
fi
echo "== test.sh: exit $status" >&2
exit "$status"
