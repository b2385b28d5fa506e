#!/usr/bin/python3
"""HTTP/2 client for staticd's Http2 tests, run by Debian's /usr/bin/python3 (python3-h2, python3-hpack).

Two independent ways to speak HTTP/2 to the server under test:
  * well-behaved commands (requests, window, goaway) use the h2 library's state machine, which itself rejects a
    server that breaks the protocol (a DATA frame past the window, a frame over MAX_FRAME_SIZE, bad HPACK);
  * attack commands write raw frames (struct + hpack's encoder) that no correct client would send, and record
    what the server answers: GOAWAY (code, last stream id), RST_STREAM counts, whether it closed.
Every command prints one JSON object on stdout; the xunit tests judge it. Every socket read has a timeout, and
every command has an overall deadline, so a server that stops answering fails the test instead of hanging it.
"""
import argparse
import base64
import json
import select
import socket
import ssl
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT",
          5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
          10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}


def connect(args):
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.tls:
        ctx = ssl.create_default_context(cafile=args.ca) if args.ca else ssl._create_unverified_context()
        ctx.set_alpn_protocols(["h2"])
        sock = ctx.wrap_socket(sock, server_hostname=args.host)
        if sock.selected_alpn_protocol() != "h2":
            out({"error": "ALPN did not select h2", "alpn": sock.selected_alpn_protocol()})
            sys.exit(3)
    return sock


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def text(v):
    return v.decode("latin-1") if isinstance(v, bytes) else v


# ---- well-behaved client (h2 library) -------------------------------------------------------------------------

class Client:
    def __init__(self, args, settings=None):
        self.args = args
        self.sock = connect(args)
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        if settings:
            # Sent in the first SETTINGS frame (update_settings would send a second one before the preface).
            values = {h2.settings.SettingCodes.ENABLE_PUSH: 0, h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100}
            values.update(settings)
            self.conn.local_settings = h2.settings.Settings(client=True, initial_values=values)
            self.conn.max_inbound_frame_size = self.conn.local_settings.max_frame_size
        self.conn.initiate_connection()
        self.server_settings = {}
        self.goaway = None
        self.goaways = []
        self.closed = False
        self.streams = {}
        self.max_data_frame = 0
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, timeout):
        """Reads once (up to timeout) and feeds the events to the streams; False when the server closed."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        for event in self.conn.receive_data(data):
            self.on_event(event)
        self.flush()
        return True

    def raw_frames(self, data):
        """Parses frames without the state machine, keeping GOAWAYs: python-h2 refuses every frame after the first
        GOAWAY, but a graceful stop may send two (the largest stream id first, then the last one taken)."""
        self.tail = getattr(self, "tail", b"") + data
        while len(self.tail) >= 9:
            length = int.from_bytes(self.tail[:3], "big")
            if len(self.tail) < 9 + length:
                return
            if self.tail[3] == GOAWAY:
                last, code = struct.unpack(">II", self.tail[9:17])
                self.goaways.append({"code": ERRORS.get(code, str(code)), "last_stream_id": last & 0x7FFFFFFF})
            self.tail = self.tail[9 + length:]

    def on_event(self, e):
        if isinstance(e, h2.events.RemoteSettingsChanged):
            for k, v in e.changed_settings.items():
                self.server_settings[h2.settings.SettingCodes(k).name if k in list(h2.settings.SettingCodes) else str(k)] = v.new_value
        elif isinstance(e, h2.events.ResponseReceived) or isinstance(e, h2.events.InformationalResponseReceived):
            s = self.streams.setdefault(e.stream_id, {})
            s["headers"] = [[text(k), text(v)] for k, v in e.headers]
        elif isinstance(e, h2.events.TrailersReceived):
            self.streams.setdefault(e.stream_id, {})["trailers"] = [[text(k), text(v)] for k, v in e.headers]
        elif isinstance(e, h2.events.DataReceived):
            s = self.streams.setdefault(e.stream_id, {})
            s.setdefault("body", bytearray()).extend(e.data)
            s["frames"] = s.get("frames", 0) + 1
            self.max_data_frame = max(self.max_data_frame, len(e.data))
            if not self.args.hold_window:
                self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            else:
                s["unacked"] = s.get("unacked", 0) + e.flow_controlled_length
        elif isinstance(e, h2.events.StreamEnded):
            self.streams.setdefault(e.stream_id, {})["ended"] = True
        elif isinstance(e, h2.events.StreamReset):
            self.streams.setdefault(e.stream_id, {})["reset"] = ERRORS.get(int(e.error_code), str(e.error_code))
        elif isinstance(e, h2.events.ConnectionTerminated):
            g = {"code": ERRORS.get(int(e.error_code), str(e.error_code)), "last_stream_id": e.last_stream_id}
            self.goaway = self.goaway or g
            self.goaways.append(g)

    def request(self, method, path, headers=()):
        sid = self.conn.get_next_available_stream_id()
        hs = [(":method", method), (":scheme", "https" if self.args.tls else "http"),
              (":authority", self.args.authority or self.args.host), (":path", path)] + [tuple(h) for h in headers]
        self.conn.send_headers(sid, hs, end_stream=True)
        self.flush()
        self.streams[sid] = {}
        return sid

    def done(self, sid):
        s = self.streams.get(sid, {})
        return s.get("ended") or "reset" in s or self.closed

    def wait(self, sids, deadline):
        while not all(self.done(s) for s in sids):
            if time.monotonic() > deadline:
                raise TimeoutError("streams %s not finished" % [s for s in sids if not self.done(s)])
            if not self.pump(0.2):
                break

    def result(self, sid):
        s = self.streams.get(sid, {})
        headers = s.get("headers", [])
        status = next((int(v) for k, v in headers if k == ":status"), None)
        return {"stream": sid, "status": status, "headers": [h for h in headers if h[0] != ":status"],
                "body": base64.b64encode(bytes(s.get("body", b""))).decode(), "length": len(s.get("body", b"")),
                "ended": bool(s.get("ended")), "reset": s.get("reset"), "frames": s.get("frames", 0)}


def settings_from(args):
    s = {}
    if args.initial_window is not None:
        s[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] = args.initial_window
    if args.max_frame_size is not None:
        s[h2.settings.SettingCodes.MAX_FRAME_SIZE] = args.max_frame_size
    return s


def cmd_requests(args):
    """Requests from --requests (a JSON list of {method, path, headers}), all on one connection; sequential unless
    --concurrent, in which case every stream is opened before any response is read."""
    specs = json.loads(args.requests)
    c = Client(args, settings_from(args))
    deadline = time.monotonic() + args.deadline
    results = []
    if args.concurrent:
        sids = [c.request(r.get("method", "GET"), r["path"], r.get("headers", [])) for r in specs]
        c.wait(sids, deadline)
        results = [c.result(s) for s in sids]
    else:
        for r in specs:
            sid = c.request(r.get("method", "GET"), r["path"], r.get("headers", []))
            c.wait([sid], deadline)
            results.append(c.result(sid))
    out({"settings": c.server_settings, "responses": results, "goaway": c.goaway, "max_data_frame": c.max_data_frame})


def cmd_window(args):
    """A small stream window from the client: GET a large file, and only grant more window after the server has
    stalled on the current one; record the most the server ever had in flight (the h2 library raises
    FLOW_CONTROL_ERROR itself should the server overrun) and whether it resumed on every WINDOW_UPDATE."""
    args.hold_window = True
    c = Client(args, settings_from(args))
    deadline = time.monotonic() + args.deadline
    sid = c.request("GET", args.path)
    stalls = 0
    max_outstanding = 0
    while not c.done(sid):
        if time.monotonic() > deadline:
            raise TimeoutError("the download did not finish; stalls=%d received=%d" % (stalls, len(c.streams[sid].get("body", b""))))
        before = len(c.streams[sid].get("body", b""))
        c.pump(0.3)
        s = c.streams[sid]
        max_outstanding = max(max_outstanding, s.get("unacked", 0))
        if len(s.get("body", b"")) == before and s.get("unacked", 0) > 0:
            # Nothing more came within 0.3 s: the server is waiting for window. Grant what was consumed.
            stalls += 1
            c.conn.acknowledge_received_data(s["unacked"], sid)
            s["unacked"] = 0
            c.flush()
    r = c.result(sid)
    r.pop("body")
    out({"response": r, "stalls": stalls, "max_outstanding": max_outstanding, "max_data_frame": c.max_data_frame,
         "goaway": c.goaway, "settings": c.server_settings})


def cmd_goaway(args):
    """Opens a connection, completes one request, prints {"ready"...}, then waits for the server to close (the
    test stops it meanwhile) and reports every GOAWAY it sent: a graceful stop may announce one with the largest
    stream id first, then the final one."""
    c = Client(args)
    sid = c.request("GET", args.path)
    c.wait([sid], time.monotonic() + args.deadline)
    out({"ready": True, "status": c.result(sid)["status"], "stream": sid})
    deadline = time.monotonic() + args.deadline
    c.sock.settimeout(0.2)
    while not c.closed and time.monotonic() < deadline:
        try:
            data = c.sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b""
        if not data:
            c.closed = True
        c.raw_frames(data)
    out({"goaway": c.goaways[-1] if c.goaways else None, "goaways": c.goaways, "closed": c.closed})


# ---- raw frames (attacks) -------------------------------------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", ftype, flags, sid & 0x7FFFFFFF) + payload


class Raw:
    """A raw HTTP/2 connection: the attacker writes what it likes; everything the server sends is parsed and
    tallied (GOAWAY, RST_STREAM by code, SETTINGS/PING acks, response HEADERS)."""

    def __init__(self, args, settings=b""):
        self.sock = connect(args)
        self.buf = b""
        self.goaway = None
        self.resets = {}
        self.headers = 0
        self.statuses = {}
        self.decoder = hpack.Decoder()
        self.acks = 0
        self.closed = False
        self.bytes_in = 0
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))

    def poll(self, timeout=0.0):
        """Reads whatever is ready (waiting up to timeout for the first bytes); False once the server closed."""
        if self.closed:
            return False
        wait = timeout
        while True:
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending:
                r, _, _ = select.select([self.sock], [], [], wait)
                if not r:
                    return True
            try:
                self.sock.settimeout(5)
                data = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                return True
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.closed = True
                return False
            self.bytes_in += len(data)
            self.buf += data
            self.parse()
            wait = 0

    def parse(self):
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + length:
                return
            ftype, flags, sid = self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            payload = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            if ftype == GOAWAY and self.goaway is None:
                last, code = struct.unpack(">II", payload[:8])
                self.goaway = {"code": ERRORS.get(code, str(code)), "last_stream_id": last & 0x7FFFFFFF,
                               "debug": payload[8:].decode("latin-1")}
            elif ftype == RST_STREAM:
                name = ERRORS.get(struct.unpack(">I", payload)[0], "?")
                self.resets[name] = self.resets.get(name, 0) + 1
            elif ftype == HEADERS:
                self.headers += 1
                try:
                    # The server sends whole blocks, unpadded, without priority (nothing it needs them for).
                    status = dict(self.decoder.decode(payload, raw=True)).get(b":status", b"?").decode()
                except Exception as ex:  # noqa: BLE001 - reported, judged by the test
                    status = "undecodable: %s" % ex
                self.statuses[status] = self.statuses.get(status, 0) + 1
            elif ftype in (SETTINGS, PING) and flags & ACK:
                self.acks += 1
            elif ftype == SETTINGS:
                self.send(frame(SETTINGS, ACK, 0))
            elif ftype == PING:
                self.send(frame(PING, ACK, 0, payload))

    def send(self, data):
        """False once the server has closed (or said GOAWAY and stopped reading)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.closed = True
            return False

    def report(self, **extra):
        d = {"goaway": self.goaway, "resets": self.resets, "headers": self.headers, "statuses": self.statuses, "acks": self.acks,
             "closed": self.closed}
        d.update(extra)
        return d

    def drain(self, seconds):
        """After the attack: read until the server closes, or seconds pass."""
        end = time.monotonic() + seconds
        while not self.closed and time.monotonic() < end:
            self.poll(0.1)


def plain_block(path, authority, scheme):
    """A request's pseudo-headers that leave the dynamic table alone: :method GET and :scheme from the static
    table, :path and :authority as literals without indexing (static name index 4 and 1)."""
    def literal(index, value):
        v = value.encode()
        assert len(v) < 127
        return bytes([index, len(v)]) + v
    return b"\x82" + (b"\x87" if scheme == "https" else b"\x86") + literal(4, path) + literal(1, authority)


def request_block(enc, path, authority, scheme="https"):
    return enc.encode([(":method", "GET"), (":scheme", scheme), (":authority", authority), (":path", path)])


def attack_loop(args, raw, one, name):
    """Sends one() (a batch of frames) up to args.count times, reading between batches; stops early once the
    server has said GOAWAY or closed. Reports how many batches went out and how long it took."""
    start = time.monotonic()
    sent = 0
    while sent < args.count and not raw.closed and time.monotonic() - start < args.deadline:
        if raw.goaway is not None:
            break
        if not raw.send(one(sent)):
            break
        sent += 1
        if sent % 50 == 0:
            raw.poll(0)
    raw.drain(args.drain)
    out(raw.report(attack=name, sent=sent, seconds=round(time.monotonic() - start, 3)))


def cmd_rapid_reset(args):
    raw = Raw(args)
    enc = hpack.Encoder()
    scheme = "https" if args.tls else "http"

    def one(i):
        sid = 1 + 2 * i
        return frame(HEADERS, END_HEADERS | END_STREAM, sid, request_block(enc, args.path, args.host, scheme)) + \
            frame(RST_STREAM, 0, sid, struct.pack(">I", 8))
    attack_loop(args, raw, one, "rapid-reset")


def cmd_settings_flood(args):
    raw = Raw(args)
    attack_loop(args, raw, lambda i: frame(SETTINGS, 0, 0, struct.pack(">HI", 0x4, 65535)), "settings-flood")


def cmd_ping_flood(args):
    raw = Raw(args)
    attack_loop(args, raw, lambda i: frame(PING, 0, 0, struct.pack(">Q", i)), "ping-flood")


def cmd_continuation_flood(args):
    """HEADERS without END_HEADERS, then CONTINUATION frames of valid HPACK (literal, never indexed) that never end
    (or, with --finish, end once args.count frames went out: a block far past MaxHeaderBytes)."""
    raw = Raw(args)
    enc = hpack.Encoder()
    scheme = "https" if args.tls else "http"
    raw.send(frame(HEADERS, END_STREAM, 1, request_block(enc, args.path, args.host, scheme)))
    value = b"a" * 16000
    # Literal never indexed, new name (0x10), name length, name, value length (7-bit prefix 127 + varint), value.
    filler = b"\x10\x05x-pad\x7f" + bytes(encode_varint(len(value) - 127)) + value

    def one(i):
        last = args.finish and i == args.count - 1
        return frame(CONTINUATION, END_HEADERS if last else 0, 1, filler)
    attack_loop(args, raw, one, "continuation-flood")


def cmd_hpack_bomb(args):
    """One 4 KiB header value into the server's dynamic table (literal with incremental indexing), then requests
    whose header block is that entry referenced args.refs times (1 byte each): a small block that decodes to
    refs × 4 KiB, far past the header list limit."""
    raw = Raw(args)
    scheme = "https" if args.tls else "http"
    big = b"b" * 4000
    # Literal with incremental indexing, new name: 0x40, name length, name, value length (7-bit prefix + varint).
    insert = b"\x40\x05x-big" + b"\x7f" + bytes(encode_varint(len(big) - 127)) + big
    # The request fields are encoded without indexing, so the dynamic table holds x-big alone: index 62.
    first = plain_block(args.path, args.host, scheme) + insert
    raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, first))
    # The entry is the newest in the dynamic table: index 62; indexed field = 0x80 | 62.
    refs = bytes([0x80 | 62]) * args.refs

    def one(i):
        sid = 3 + 2 * i
        block = plain_block(args.path, args.host, scheme) + refs
        return frame(HEADERS, END_HEADERS | END_STREAM, sid, block)
    attack_loop(args, raw, one, "hpack-bomb")


def encode_varint(n):
    out_bytes = []
    while n >= 128:
        out_bytes.append((n & 0x7F) | 0x80)
        n >>= 7
    out_bytes.append(n)
    return out_bytes


def cmd_zero_window(args):
    """INITIAL_WINDOW_SIZE 0, GET a large file, never send WINDOW_UPDATE: report when (if) the server resets the
    stream or closes, waiting up to --deadline seconds; then (the connection now idle) when the server closes it,
    up to --drain seconds more."""
    raw = Raw(args, struct.pack(">HI", 0x4, 0))
    enc = hpack.Encoder()
    scheme = "https" if args.tls else "http"
    start = time.monotonic()
    raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(enc, args.path, args.host, scheme)))
    while not raw.closed and not raw.resets and raw.goaway is None and time.monotonic() - start < args.deadline:
        raw.poll(0.2)
    seconds = round(time.monotonic() - start, 3)
    end = time.monotonic() + args.drain
    while not raw.closed and time.monotonic() < end:
        raw.poll(0.2)
    out(raw.report(attack="zero-window", seconds=seconds,
                   closed_after=round(time.monotonic() - start, 3) if raw.closed else None))


def cmd_streams(args):
    """Opens args.count streams at once (GETs of a large file, with a stream window of 0 so none can finish) and
    reports how many were answered with HEADERS and how many refused."""
    raw = Raw(args, struct.pack(">HI", 0x4, 0))
    enc = hpack.Encoder()
    scheme = "https" if args.tls else "http"
    start = time.monotonic()
    raw.poll(0.5)  # the server's SETTINGS first, as a client would
    batch = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, 1 + 2 * i, request_block(enc, args.path, args.host, scheme))
                     for i in range(args.count))
    raw.send(batch)
    end = time.monotonic() + args.drain
    while not raw.closed and time.monotonic() < end:
        raw.poll(0.2)
    out(raw.report(attack="streams", sent=args.count, seconds=round(time.monotonic() - start, 3)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--ca")
    p.add_argument("--host", default="localhost")
    p.add_argument("--authority")
    p.add_argument("--path", default="/")
    p.add_argument("--initial-window", type=int)
    p.add_argument("--max-frame-size", type=int)
    p.add_argument("--requests", default="[]")
    p.add_argument("--concurrent", action="store_true")
    p.add_argument("--hold-window", action="store_true")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--refs", type=int, default=4000)
    p.add_argument("--finish", action="store_true")
    p.add_argument("--deadline", type=float, default=20)
    p.add_argument("--drain", type=float, default=3)
    args = p.parse_args()
    commands = {"requests": cmd_requests, "window": cmd_window, "goaway": cmd_goaway, "rapid-reset": cmd_rapid_reset,
                "settings-flood": cmd_settings_flood, "ping-flood": cmd_ping_flood,
                "continuation-flood": cmd_continuation_flood, "hpack-bomb": cmd_hpack_bomb,
                "zero-window": cmd_zero_window, "streams": cmd_streams}
    commands[args.command](args)


if __name__ == "__main__":
    main()
