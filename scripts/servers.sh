#!/usr/bin/env bash
# Install and run the real test servers, project-locally (see scripts/SERVERS.md).
#
#   scripts/servers.sh install            # .venv + pinned noida-db / osmem-server
#   scripts/servers.sh start-noida NAME   # prints http://127.0.0.1:PORT
#   scripts/servers.sh start-osmem NAME   # prints http://127.0.0.1:PORT
#   scripts/servers.sh start-elasticsearch NAME          # one real ES node, prints its URL
#   scripts/servers.sh start-elasticsearch-cluster NAME  # three ES nodes (JVMs NAME.1..3), prints 3 URLs comma-separated
#   scripts/servers.sh start-elasticsearch-member NAME.N # restart one cluster member, same ports, data kept
#   scripts/servers.sh build-elasticsearch               # resolve + build the launcher only
#   scripts/servers.sh url NAME           # URL of a running instance (URLs of a cluster)
#   scripts/servers.sh stop NAME          # a cluster NAME stops all its members
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
ES_DIR="$ROOT/servers/elasticsearch"
# Maven's local repository: project-local, so a fresh machine resolves everything itself.
ES_M2="${ELASTIK_ES_M2:-$STATE/m2}"
ES_HEAP="${ELASTIK_ES_HEAP:-512m}"
ES_START_TIMEOUT="${ELASTIK_ES_START_TIMEOUT:-240}"

log() { echo "servers.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
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
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'noida-db|osmem-server|elastik\.servers\.EsNode' || return 1
    echo "$pid"
}

pybin() { if [ -x "$PY" ]; then echo "$PY"; else echo python3; fi; }

free_port() {
    "$(pybin)" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_ready PID URL TIMEOUT LOG -> 0 once the server logged URL (it prints it
# only after binding, so a foreign listener on a just-taken port can't fool us)
# and GET URL/ answers any HTTP status; 1 on timeout; 2 when the process died.
wait_ready() {
    "$(pybin)" - "$@" <<'PYEOF'
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
    local dir="$STATE/$name" pid m
    if [ -f "$dir/members" ]; then
        for m in $(cat "$dir/members"); do cmd_stop "$m"; done
        return 0
    fi
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
        [ -f "$d/pid" ] || [ -f "$d/members" ] || continue
        cmd_stop "$(basename "$d")"
    done
}

cmd_url() {
    local name="$1" dir m urls=()
    check_name "$name"
    dir="$STATE/$name"
    if [ -f "$dir/members" ]; then
        for m in $(cat "$dir/members"); do urls+=("$(cmd_url "$m")"); done
        (IFS=,; echo "${urls[*]}")
        return 0
    fi
    if ! live_pid "$name" >/dev/null || [ ! -f "$dir/port" ]; then
        die "$name is not running"
    fi
    echo "http://$HOST:$(cat "$dir/port")"
}

# --- Elasticsearch (real nodes from Maven Central; see servers/elasticsearch/README.md) --

# A JDK >= 21 (Elasticsearch 9 needs it): $ELASTIK_ES_JAVA_HOME, else the newest under /usr/lib/jvm.
es_java_home() {
    if [ -n "${ELASTIK_ES_JAVA_HOME:-}" ]; then echo "$ELASTIK_ES_JAVA_HOME"; return; fi
    local d v best="" bestv=0
    for d in /usr/lib/jvm/*/ "${JAVA_HOME:-/nonexistent}/"; do
        [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
        v="$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
        [[ "$v" =~ ^[0-9]+$ ]] || continue
        if [ "$v" -gt "$bestv" ]; then bestv="$v"; best="${d%/}"; fi
    done
    [ "$bestv" -ge 21 ] || die "no JDK >= 21 found under /usr/lib/jvm (Elasticsearch 9 needs one); set ELASTIK_ES_JAVA_HOME"
    echo "$best"
}

# Build the launcher (and resolve Elasticsearch into $ES_M2) unless it is up to date.
cmd_build_es() {
    command -v mvn >/dev/null || die "mvn not found (needed to resolve Elasticsearch from Maven Central)"
    local jh cp stamp="$ES_DIR/target/classpath.txt" t0 missing=0 j
    jh="$(es_java_home)"
    if [ -f "$stamp" ] && [ -z "$(find "$ES_DIR/pom.xml" "$ES_DIR/src" -newer "$stamp" -type f 2>/dev/null | head -n1)" ]; then
        cp="$(cat "$stamp")"
        for j in ${cp//:/ }; do [ -f "$j" ] || { missing=1; break; }; done
        if [ "$missing" = 0 ]; then
            log "elasticsearch launcher up to date ($(es_version))"
            return 0
        fi
    fi
    mkdir -p "$ES_M2"
    t0=$(date +%s%N)
    log "building the elasticsearch launcher with $jh (maven repo $ES_M2)"
    (cd "$ES_DIR" && JAVA_HOME="$jh" mvn -B -q -Dmaven.repo.local="$ES_M2" package) >&2 \
        || die "mvn package failed in $ES_DIR"
    log "elasticsearch launcher built in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($(es_version), maven repo $(du -sh "$ES_M2" | cut -f1))"
}

es_version() {
    sed -n 's:.*<es.version>\(.*\)</es.version>.*:\1:p' "$ES_DIR/pom.xml"
}

# es_spawn NAME -- runs one node (one JVM) from the arguments saved in $STATE/NAME/args;
# waits until it answers. Data is kept: the caller wipes it for a fresh node.
es_spawn() {
    local name="$1" dir="$STATE/$1" jh cp pid rc t0 url args=() rss
    jh="$(es_java_home)"
    cp="$ES_DIR/target/classes:$(cat "$ES_DIR/target/classpath.txt")"
    mapfile -t args <"$dir/args"
    url="http://$HOST:$(cat "$dir/http_port")"
    mkdir -p "$dir/tmp"
    echo "--- $(date -u +%FT%TZ) starting elasticsearch $(es_version) node $name on $url" >>"$dir/log"
    t0=$(date +%s%N)
    (cd "$dir" && exec "$jh/bin/java" -Xms"$ES_HEAP" -Xmx"$ES_HEAP" -XX:+UseSerialGC \
        -Xss1m -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$dir/tmp" \
        --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$dir/tmp" -Dfile.encoding=UTF-8 \
        -Djava.locale.providers=CLDR -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
        -cp "$cp" elastik.servers.EsNode "${args[@]}") </dev/null >>"$dir/log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/pid"
    rc=0
    wait_ready "$pid" "$url" "$ES_START_TIMEOUT" "$dir/log" || rc=$?
    if [ "$rc" != 0 ]; then
        log "$name (elasticsearch) did not come up on $url (rc $rc); last lines of $dir/log:"
        tail -n 40 "$dir/log" >&2
        cmd_stop "$name" || true
        return 1
    fi
    echo "$url" >"$dir/url"
    echo "$(cat "$dir/http_port")" >"$dir/port"
    rss="$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo '?')"
    log "$name (elasticsearch $(es_version), pid $pid) up on $url after $(( ($(date +%s%N) - t0) / 1000000 )) ms, RSS ${rss} MB, heap $ES_HEAP"
}

# es_prepare NAME HTTP_PORT TRANSPORT_PORT [EsNode args...]: fresh state dir and saved args.
es_prepare() {
    local name="$1" http="$2" transport="$3"; shift 3
    check_name "$name"
    local dir="$STATE/$name"
    if live_pid "$name" >/dev/null; then
        log "$name is already running; restarting it"
        cmd_stop "$name"
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$dir/log"
    echo "$http" >"$dir/http_port"
    printf '%s\n' --home "$dir/home" --name "$name" --http-port "$http" --transport-port "$transport" "$@" >"$dir/args"
}

cmd_start_es() {
    local name="$1" attempt
    check_name "$name"
    cmd_build_es
    for attempt in 1 2 3; do
        es_prepare "$name" "$(free_port)" "$(free_port)" \
            $(es_extra_settings)
        if es_spawn "$name"; then cat "$STATE/$name/url"; return 0; fi
        log "$name: start attempt $attempt failed"
    done
    return 1
}

# ELASTIK_ES_SETTINGS="k=v k=v": extra node settings (e.g. thread_pool.write.queue_size=2).
es_extra_settings() {
    local kv
    for kv in ${ELASTIK_ES_SETTINGS:-}; do printf -- '--setting %s ' "$kv"; done
}

cmd_start_es_cluster() {
    local name="$1" i attempt ok pids=() urls=() seeds masters
    check_name "$name"
    cmd_build_es
    for attempt in 1 2 3; do
        local http=() tp=()
        for i in 1 2 3; do http+=("$(free_port)"); tp+=("$(free_port)"); done
        seeds="$HOST:${tp[0]},$HOST:${tp[1]},$HOST:${tp[2]}"
        masters="$name.1,$name.2,$name.3"
        mkdir -p "$STATE/$name"
        printf '%s\n' "$name.1" "$name.2" "$name.3" >"$STATE/$name/members"
        for i in 1 2 3; do
            es_prepare "$name.$i" "${http[$((i-1))]}" "${tp[$((i-1))]}" \
                --cluster-name "$name" --seeds "$seeds" --masters "$masters" $(es_extra_settings)
        done
        # The three JVMs start together: each waits for the others to form the cluster.
        pids=()
        for i in 1 2 3; do es_spawn "$name.$i" & pids+=($!); done
        ok=1
        for i in "${pids[@]}"; do wait "$i" || ok=0; done
        if [ "$ok" = 1 ] && es_wait_cluster "$name" 3; then
            urls=()
            for i in 1 2 3; do urls+=("$(cat "$STATE/$name.$i/url")"); done
            (IFS=,; echo "${urls[*]}")
            return 0
        fi
        log "$name: cluster start attempt $attempt failed"
        cmd_stop "$name" || true
    done
    return 1
}

# es_wait_cluster NAME N: until the cluster of NAME's first live member has N nodes.
es_wait_cluster() {
    local name="$1" n="$2" m url t0
    t0=$(date +%s%N)
    for m in $(cat "$STATE/$name/members"); do
        live_pid "$m" >/dev/null && url="$(cat "$STATE/$m/url")" && break
    done
    [ -n "${url:-}" ] || return 1
    if curl -sf --noproxy '*' "$url/_cluster/health?wait_for_nodes=$n&timeout=${ES_START_TIMEOUT}s" >/dev/null; then
        log "cluster $name has $n nodes ($(( ($(date +%s%N) - t0) / 1000000 )) ms after the last node answered)"
        return 0
    fi
    log "cluster $name did not reach $n nodes"
    return 1
}

# Restart one member of a cluster with its saved ports and its data.
cmd_start_es_member() {
    local name="$1"
    check_name "$name"
    [ -f "$STATE/$name/args" ] || die "$name was never started as a cluster member"
    if live_pid "$name" >/dev/null; then cmd_stop "$name"; fi
    es_spawn "$name" && cat "$STATE/$name/url"
}

case "${1:-}" in
    install)      cmd_install ;;
    build-elasticsearch)         cmd_build_es ;;
    start-elasticsearch)         cmd_start_es "${2:-}" ;;
    start-elasticsearch-cluster) cmd_start_es_cluster "${2:-}" ;;
    start-elasticsearch-member)  cmd_start_es_member "${2:-}" ;;
    start-noida)  start_server noida "${2:-}" ;;
    start-osmem)  start_server osmem "${2:-}" ;;
    stop)         cmd_stop "${2:-}" ;;
    stop-all)     cmd_stop_all ;;
    url)          cmd_url "${2:-}" ;;
    *)            usage ;;
esac
