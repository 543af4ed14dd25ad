#!/usr/bin/env bash
# elastik load/dump beside elasticdump (npm), same machine, same noida-db, one run.
#   scripts/cli-benchmark.sh URL ELASTIK_BIN ELASTICDUMP_BIN [N]
# N ~1 KB documents (default 200000) in the hits format both tools read.
# Prints docs/s and peak RSS (GNU time) for each tool and direction.
set -euo pipefail
URL="$1"; ELASTIK="$2"; EDUMP="$3"; N="${4:-200000}"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
python3 - "$N" > "$WORK/docs.ndjson" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"_index": "src", "_id": f"d{i}", "_source": {"n": i, "group": i % 7, "text": "lorem ipsum " * 80}}))
PY
measure() { # label, n, command...
    local label="$1" n="$2"; shift 2
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/rss" "$@" >"$WORK/out.log" 2>&1 || { echo "$label: FAILED"; tail -5 "$WORK/out.log"; }
    t1=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'| {sys.argv[3]} | {int(sys.argv[4])/s:,.0f} docs/s | {s:.1f} s | {int(open(sys.argv[5]).read().split()[-1])/1024:.0f} MiB |')" "$t0" "$t1" "$label" "$n" "$WORK/rss"
}
count() { curl -s -XPOST "$URL/$1/_refresh" >/dev/null; curl -s "$URL/$1/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
echo "| run | rate | time | peak RSS |"; echo "|---|---|---|---|"
measure "elastik load" "$N" "$ELASTIK" --url "$URL" load bench-elastik "$WORK/docs.ndjson" --quiet --no-checkpoint
measure "elasticdump load (--limit 500)" "$N" "$EDUMP" --input="$WORK/docs.ndjson" --output="$URL/bench-edump" --type=data --limit=500
curl -s -XPOST "$URL/_refresh" >/dev/null
measure "elastik dump" "$N" "$ELASTIK" --url "$URL" dump bench-elastik -o "$WORK/elastik-dump.ndjson" --quiet
measure "elasticdump dump (--limit 1000)" "$N" "$EDUMP" --input="$URL/bench-elastik" --output="$WORK/edump-dump.ndjson" --type=data --limit=1000
echo; echo "counts: bench-elastik $(count bench-elastik), bench-edump $(count bench-edump); dump lines: elastik $(wc -l < "$WORK/elastik-dump.ndjson"), elasticdump $(wc -l < "$WORK/edump-dump.ndjson")"
