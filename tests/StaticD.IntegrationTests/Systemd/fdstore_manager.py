#!/usr/bin/env python3
"""A minimal service manager with a file-descriptor store, driven by the test over stdin/stdout.

    fdstore_manager.py PROGRAM [ARG]...

It binds a NOTIFY_SOCKET, and keeps every descriptor a service sends with FDSTORE=1 (under its FDNAME), drops
them on FDSTOREREMOVE=1, and passes them to the next start at fd 3.. with LISTEN_FDS / LISTEN_FDNAMES /
LISTEN_PID, as systemd does for a unit with FileDescriptorStoreMax= across `systemctl restart`.

Commands (stdin, one per line):   start | stop | quit
Events (stdout, one per line):
    ready PID            the service sent READY=1
    exited CODE          the service exited after `stop` (or on its own)
    notify TEXT          every notification, newlines written as '|'
    stored N             the store now holds N descriptors
The service's stdout and stderr go to this script's stderr.
"""
import array
import ctypes
import os
import select
import signal
import socket
import sys
import tempfile

command = sys.argv[1:]
directory = tempfile.mkdtemp(prefix="staticd-fdstore-")
notify_path = os.path.join(directory, "notify")
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(notify_path)
notify.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)

store = []  # (name, fd) in the order received, as systemd passes them
child = None
# SIGTERM (the test disposing of this helper) runs the finally clause at the end, which kills the service.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def receive():
    fds = array.array("i")
    data, ancdata, _, _ = notify.recvmsg(65536, socket.CMSG_SPACE(253 * fds.itemsize), socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    text = data.decode("utf-8", "replace")
    emit("notify " + text.replace("\n", "|"))
    fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
    name = fields.get("FDNAME", "stored")
    if fields.get("FDSTOREREMOVE") == "1":
        for entry in [e for e in store if e[0] == name]:
            os.close(entry[1])
            store.remove(entry)
        emit(f"stored {len(store)}")
    if fields.get("FDSTORE") == "1":
        for fd in fds:
            store.append((name, fd))
        emit(f"stored {len(store)}")
    elif fds:
        for fd in fds:  # systemd closes descriptors sent without FDSTORE=1
            os.close(fd)
    return fields


def start():
    global child
    env = dict(os.environ)
    env["NOTIFY_SOCKET"] = notify_path
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(name, None)
    if store:
        env["LISTEN_FDS"] = str(len(store))
        env["LISTEN_FDNAMES"] = ":".join(name for name, _ in store)
    pid = os.fork()
    if pid == 0:
        try:
            # PR_SET_PDEATHSIG: should this manager die outright, the kernel kills the service too.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
            # Move the stored descriptors out of the way first: one of them may already sit on 3.. .
            # (Not inheritable: a copy left open in the service would keep a socket alive after it closes fd 3..)
            high = [os.dup2(fd, 200 + i, inheritable=False) for i, (_, fd) in enumerate(store)]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i, inheritable=True)
            os.dup2(2, 1)
            if store:
                env["LISTEN_PID"] = str(os.getpid())
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    child = pid
    # Like Type=notify: the start job is done when READY=1 arrives (or the service dies first).
    while True:
        readable, _, _ = select.select([notify], [], [], 0.05)
        if readable and receive().get("READY") == "1":
            emit(f"ready {pid}")
            return
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            child = None
            emit(f"exited {os.waitstatus_to_exitcode(status)}")
            return


def stop():
    global child
    if child is None:
        return
    os.kill(child, signal.SIGTERM)
    while True:
        readable, _, _ = select.select([notify], [], [], 0.05)
        if readable:
            receive()
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            # Late notifications (STOPPING=1) may still be queued.
            while select.select([notify], [], [], 0)[0]:
                receive()
            child = None
            emit(f"exited {os.waitstatus_to_exitcode(status)}")
            return


pending = b""  # stdin is read raw: a buffered readline could hide a second command from select
try:
    running = True
    while running:
        readable, _, _ = select.select([0, notify], [], [], 0.2)
        if notify in readable:
            receive()
        if 0 in readable:
            chunk = os.read(0, 4096)
            pending += chunk if chunk else b"\nquit\n"
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                word = line.decode().strip()
                if word == "quit":
                    running = False
                    break
                if word:
                    {"start": start, "stop": stop}[word]()
        if child is not None:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                child = None
                emit(f"exited {os.waitstatus_to_exitcode(status)}")
finally:
    if child is not None:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    os.unlink(notify_path)
    os.rmdir(directory)
