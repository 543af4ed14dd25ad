"""Byte-level capture of what a client puts on the wire.

A logging TCP proxy: it listens on LISTEN_PORT, forwards every connection to
127.0.0.1:UPSTREAM_PORT (the harness's es-sink, or a real node), and appends
the client's bytes of the first connection, up to the end of the first
request head, to OUT. Compare two clients with `cat -A OUT`.

    python3 bench/wire_tap.py 19401 19400 /tmp/req-tokio.bin &
    target/release/elastik-bench --mode latency --runtime tokio \
        --url http://127.0.0.1:19401 --n 5 --warmup 0
"""
import socket
import sys
import threading

listen_port, upstream_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()


def pump(src, dst, log):
    while True:
        data = src.recv(65536)
        if not data:
            break
        if log is not None:
            with lock, open(log, "ab") as f:
                f.write(data)
            if b"\r\n\r\n" in data:
                log = None
        dst.sendall(data)
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(128)
accepted = 0
while True:
    client, _ = server.accept()
    accepted += 1
    upstream = socket.create_connection(("127.0.0.1", upstream_port))
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=pump, args=(client, upstream, out if accepted == 1 else None), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, None), daemon=True).start()
