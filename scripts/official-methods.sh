#!/usr/bin/env bash
# The HTTP method the official Python client (elasticsearch-py 9.x) sends for
# each endpoint, read from its generated `_sync/client/*.py`, as a table:
#
#   endpoint<TAB>method
#
# (`PUT|POST` where the client picks by the URL it builds: the method of the
# first URL form first). Written to target/official-methods.tsv (ignored);
# `cargo test -p elastik-api --test methods` compares elastik's choice with it.
#
#   bash scripts/official-methods.sh   # installs the client into target/py-official once
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/py-official"
OUT="$ROOT/target/official-methods.tsv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'elasticsearch>=9,<10'
fi
"$VENV/bin/python" - "$OUT" <<'PY'
import pathlib, re, sys
import elasticsearch
client = pathlib.Path(elasticsearch.__file__).parent / "_sync" / "client"
rows = {}
for src in sorted(client.glob("*.py")):
    text = src.read_text()
    # One API method per `def`; its perform_request names the method and the endpoint id.
    for func in re.split(r"\n    def ", text):
        ids = re.findall(r'endpoint_id="([^"]+)"', func)
        if not ids:
            continue
        call = re.search(r'perform_request\((?:\s*#[^\n]*)?\s*("([A-Z]+)"|__method)\s*,', func)
        if call is None:
            sys.exit(f"{src.name}: no method for {ids[0]}")
        if call.group(2):
            method = call.group(2)
        else:
            method = "|".join(re.findall(r'__method = "([A-Z]+)"', func))
        if "__body is not None" in func and "__method" in func:
            sys.exit(f"{ids[0]}: the method depends on the body; extend this script")
        rows[ids[0]] = method
pathlib.Path(sys.argv[1]).write_text("endpoint\tmethod\n" + "".join(f"{k}\t{v}\n" for k, v in sorted(rows.items())))
print(f"{len(rows)} endpoints -> {sys.argv[1]}", file=sys.stderr)
PY
