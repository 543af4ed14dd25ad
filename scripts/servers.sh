#!/usr/bin/env bash
# Install and run the real test servers, project-locally (see scripts/SERVERS.md).
#
#   scripts/servers.sh install            # .venv + pinned noida-db / osmem-server
#   scripts/servers.sh start-noida NAME   # prints http://127.0.0.1:PORT
#   scripts/servers.sh start-osmem NAME   # prints http://127.0.0.1:PORT
#   scripts/servers.sh url NAME           # URL of a running instance
#   scripts/servers.sh stop NAME
#   scripts/servers.sh stop-all
#
# State lives in <repo>/.servers/NAME/{data,log,pid,port}. Starting a name that is
# already running restarts it. The data dir is wiped at each start unless
# ELASTIK_SERVERS_KEEP_DATA=1. ELASTIK_SERVERS_START_TIMEOUT (seconds, default 60)
# bounds the wait for `GET /` to answer. Servers only ever bind 127.0.0.1.
# Only the URL goes to stdout; progress and errors go to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
REQS="$ROOT/scripts/requirements-servers.txt"
STATE="$ROOT/.servers"
HOST=127.0.0.1
START_TIMEOUT="${ELASTIK_SERVERS_START_TIMEOUT:-60}"

log() { echo "servers.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

check_name() {
    [[ "${1:-}" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad or missing instance NAME: '${1:-}'"
}

# --- install -----------------------------------------------------------------

# Exit 0 when every "pkg==version" pin of $REQS is installed in the venv.
pins_satisfied() {
    [ -x "$PY" ] || return 1
    "$PY" - "$REQS" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        if version(name.strip()) != want.strip():
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PYEOF
}

cmd_install() {
    if [ ! -x "$PY" ]; then
        command -v python3 >/dev/null || die "python3 not found"
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    if pins_satisfied; then
        log "servers already installed ($(grep -v '^#' "$REQS" | xargs))"
    else
        log "pip install -r $REQS"
        "$PY" -m pip install --disable-pip-version-check --no-input -q -r "$REQS" >&2
        pins_satisfied || die "pins in $REQS not satisfied after pip install"
    fi
    # The wrappers chmod the binaries before running them; do the same.
    chmod 755 "$(noida_bin)" "$(osmem_bin)"
}

noida_bin() {
    [ -x "$PY" ] || die "no venv; run: scripts/servers.sh install"
    "$PY" -c 'import os, noida_db; print(os.path.join(os.path.dirname(noida_db.__file__), "noida-db"))'
}

osmem_bin() {
    [ -x "$PY" ] || die "no venv; run: scripts/servers.sh install"
    "$PY" -c 'import os, osmem_server; print(os.path.join(os.path.dirname(osmem_server.__file__), "bin", "osmem-server"))'
}

# --- process helpers -----------------------------------------------------------

# Alive and not a zombie.
pid_alive() {
    local pid="$1" state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# The pid recorded for NAME, if that process is alive and is one of our servers
# (guards against pid reuse).
live_pid() {
    local dir="$STATE/$1" pid
    [ -f "$dir/pid" ] || return 1
    pid="$(cat "$dir/pid")"
    pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'noida-db|osmem-server' || return 1
    echo "$pid"
}

free_port() {
    "$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_ready PID URL TIMEOUT LOG -> 0 once the server logged URL (it prints it
# only after binding, so a foreign listener on a just-taken port can't fool us)
# and GET URL/ answers any HTTP status; 1 on timeout; 2 when the process died.
wait_ready() {
    "$PY" - "$@" <<'PYEOF'
import os, re, sys, time, urllib.request, urllib.error
pid, url, timeout, log = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
def logged():
    try:
        with open(log, errors="replace") as f:
            return re.search(re.escape(url) + r"(?![0-9])", f.read()) is not None
    except OSError:
        return False
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    if not alive():
        sys.exit(2)
    if not logged():
        time.sleep(0.05)
        continue
    try:
        opener.open(url + "/", timeout=2).read()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)          # it answered HTTP: up
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PYEOF
}

# --- start / stop ----------------------------------------------------------------

# start_server KIND NAME
start_server() {
    local kind="$1" name="$2"
    check_name "$name"
    local dir="$STATE/$name" bin
    case "$kind" in
        noida) bin="$(noida_bin)" ;;
        osmem) bin="$(osmem_bin)" ;;
    esac
    [ -x "$bin" ] || die "$bin missing or not executable; run: scripts/servers.sh install"

    if live_pid "$name" >/dev/null; then
        log "$name is already running; restarting it"
        cmd_stop "$name"
    fi
    mkdir -p "$dir"
    if [ "${ELASTIK_SERVERS_KEEP_DATA:-0}" != 1 ]; then
        rm -rf "$dir/data"
    fi
    mkdir -p "$dir/data"
    rm -f "$dir/pid" "$dir/port"
    : >"$dir/log"

    local attempt port pid url rc t0
    for attempt in 1 2 3; do
        port="$(free_port)"
        url="http://$HOST:$port"
        echo "--- $(date -u +%FT%TZ) starting $kind on $HOST port $port (attempt $attempt)" >>"$dir/log"
        t0=$(date +%s%N)
        # Background children of a non-interactive shell ignore SIGINT; stdout/err go
        # to the log so command substitution `$(servers.sh start-...)` doesn't hang.
        case "$kind" in
            noida)
                (cd "$dir" && exec "$bin" start --only elasticsearch \
                    --host "$HOST" --elasticsearch-port "$port" --data-dir "$dir/data") \
                    </dev/null >>"$dir/log" 2>&1 &
                ;;
            osmem)
                (cd "$dir" && exec "$bin" -addr "$HOST:$port" -no-stdin-watch) \
                    </dev/null >>"$dir/log" 2>&1 &
                ;;
        esac
        pid=$!
        echo "$pid" >"$dir/pid"
        rc=0
        wait_ready "$pid" "$url" "$START_TIMEOUT" "$dir/log" || rc=$?
        if [ "$rc" = 0 ]; then
            echo "$port" >"$dir/port"
            log "$name ($kind, pid $pid) up on $url after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
            echo "$url"
            return 0
        fi
        if [ "$rc" = 1 ]; then
            log "$name ($kind) did not answer GET $url/ within ${START_TIMEOUT}s; log:"
            cat "$dir/log" >&2
            cmd_stop "$name" || true
            return 1
        fi
        # rc=2: died during startup (e.g. the port was taken in between): retry.
        wait "$pid" 2>/dev/null || true
        rm -f "$dir/pid"
        log "$name ($kind) exited during startup (attempt $attempt)"
    done
    log "$name ($kind) failed to start; log:"
    cat "$dir/log" >&2
    return 1
}

cmd_stop() {
    local name="$1"
    check_name "$name"
    local dir="$STATE/$name" pid
    if pid="$(live_pid "$name")"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do          # up to 10 s for a clean exit
            pid_alive "$pid" || break
            sleep 0.1
        done
        if pid_alive "$pid"; then
            log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                pid_alive "$pid" || break
                sleep 0.1
            done
        fi
        pid_alive "$pid" && die "$name (pid $pid) would not exit"
        log "stopped $name (pid $pid)"
    fi
    rm -f "$dir/pid" "$dir/port"
}

cmd_stop_all() {
    local d
    [ -d "$STATE" ] || return 0
    for d in "$STATE"/*/; do
        [ -f "$d/pid" ] || continue
        cmd_stop "$(basename "$d")"
    done
}

cmd_url() {
    local name="$1" dir
    check_name "$name"
    dir="$STATE/$name"
    if ! live_pid "$name" >/dev/null || [ ! -f "$dir/port" ]; then
        die "$name is not running"
    fi
    echo "http://$HOST:$(cat "$dir/port")"
}

case "${1:-}" in
    install)      cmd_install ;;
    start-noida)  start_server noida "${2:-}" ;;
    start-osmem)  start_server osmem "${2:-}" ;;
    stop)         cmd_stop "${2:-}" ;;
    stop-all)     cmd_stop_all ;;
    url)          cmd_url "${2:-}" ;;
    *)            usage ;;
esac
