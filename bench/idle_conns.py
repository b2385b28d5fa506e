#!/usr/bin/env python3
"""Memory of idle keep-alive connections: opens COUNT connections to 127.0.0.1:PORT, each sends one GET and
reads its whole response (so the server holds it as an idle keep-alive connection), then compares the
server's VmRSS with the figure before. Prints one line: "per_conn_bytes=N before_kib=N after_kib=N count=N".

    idle_conns.py PID PORT PATH [COUNT]

A warm-up round of connections (opened and closed) first lets pools and tables reach their working size, so
the figure is what each further connection costs, as in IdleConnectionMemoryTests.
"""
import resource
import selectors
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"no VmRSS for pid {pid}")


def open_idle(port, path, count):
    """Opens count connections, 200 at a time in flight; returns them once every response has arrived."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    done, pending, started = [], {}, 0
    deadline = time.monotonic() + 60
    while len(done) < count:
        while started < count and len(pending) < 200:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            s.setblocking(False)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
            started += 1
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit("server closed a connection before answering")
            data = pending[s] + chunk
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                length = 0
                for line in data[:head_end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(data) >= head_end + 4 + length:
                    sel.unregister(s)
                    del pending[s]
                    done.append(s)
                    continue
            pending[s] = data
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(done)} of {count} responses within 60 s")
    sel.close()
    return done


def main():
    pid, port, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, count + 1000)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    if want < count + 100:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} is too low for {count} connections")

    for s in open_idle(port, path, 500):
        s.close()
    time.sleep(1)
    before = rss_kib(pid)
    conns = open_idle(port, path, count)
    time.sleep(2)
    after = rss_kib(pid)
    print(f"per_conn_bytes={(after - before) * 1024 // count} before_kib={before} after_kib={after} count={count}")
    for s in conns:
        s.close()


main()
