#!/usr/bin/env python3
"""Memory of idle keep-alive connections: opens COUNT connections to 127.0.0.1:PORT, each sends one GET and
reads its whole response (so the server holds it as an idle keep-alive connection), then compares the
server's VmRSS with the figure before. Prints one line: "per_conn_bytes=N before_kib=N after_kib=N count=N".

    idle_conns.py [--tls] PID PORT PATH [COUNT]

--tls: the connections are TLS (no certificate check: the bench's test CA is not the point here); the client's
suites and groups come from OPENSSL_CONF, as for wrk.

A warm-up round of connections (opened and closed) first lets pools and tables reach their working size, so
the figure is what each further connection costs, as in IdleConnectionMemoryTests.
"""
import resource
import selectors
import socket
import ssl
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"no VmRSS for pid {pid}")


def recv_some(s):
    """What the connection has now: bytes, b"" at EOF, None if nothing yet (a TLS record may be incomplete)."""
    try:
        return s.recv(65536)
    except (ssl.SSLWantReadError, BlockingIOError):
        return None


def open_idle(port, path, count, tls):
    """Opens count connections, 200 at a time in flight; returns them once every response has arrived."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    done, pending, started = [], {}, 0
    # A TLS handshake costs the client (Python) more than the server: allow for a slow or busy machine.
    deadline = time.monotonic() + (60 if tls is None else 60 + count // 20)
    while len(done) < count:
        while started < count and len(pending) < 200:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            if tls is not None:
                s = tls.wrap_socket(s, server_hostname="localhost")  # handshake here, blocking
            s.sendall(request)
            s.setblocking(False)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
            started += 1
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            chunk = recv_some(s)
            if chunk is None:
                continue
            if not chunk:
                raise SystemExit("server closed a connection before answering")
            # Decrypted bytes OpenSSL holds already raise no further event: take them now.
            while tls is not None and s.pending():
                chunk += s.recv(65536)
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
            raise SystemExit(f"only {len(done)} of {count} responses in time")
    sel.close()
    return done


def main():
    args = sys.argv[1:]
    tls = None
    if args and args[0] == "--tls":
        args = args[1:]
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    pid, port, path = int(args[0]), int(args[1]), args[2]
    count = int(args[3]) if len(args) > 3 else 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, count + 1000)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    if want < count + 100:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} is too low for {count} connections")

    for s in open_idle(port, path, 500, tls):
        s.close()
    time.sleep(1)
    before = rss_kib(pid)
    conns = open_idle(port, path, count, tls)
    time.sleep(2)
    after = rss_kib(pid)
    print(f"per_conn_bytes={(after - before) * 1024 // count} before_kib={before} after_kib={after} count={count}")
    for s in conns:
        s.close()


main()
