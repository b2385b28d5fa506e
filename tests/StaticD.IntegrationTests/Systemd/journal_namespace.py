#!/usr/bin/env python3
"""Runs a private systemd-journald and a service in a private mount namespace, so the test can stop *that*
journald while the service runs without touching the host's (or the shared test run's) journal.

    unshare --mount --propagation private python3 journal_namespace.py PROGRAM [ARG]...

A tmpfs over /run hides the host's journal sockets; journald started here binds its own at the usual path
/run/systemd/journal/socket, which is where the service looks.

Commands (stdin):  query | stop-journald | quit
Events (stdout):   started JOURNALD_PID SERVICE_PID
                   entry MESSAGE        (for `query`: each journal entry of the service; then "end")
                   journald-stopped
                   exited CODE
The service's stdout and stderr go to this script's stderr.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

JOURNALD = "/lib/systemd/systemd-journald"
SOCKET = "/run/systemd/journal/socket"


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def journal_listening():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


def die_with_parent():
    # PR_SET_PDEATHSIG: if this script is killed outright, the kernel kills journald and the service too.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


# SIGTERM (the test disposing of this helper) runs the finally clause below, which stops both children.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
# No arguments: journald takes its first argument as a journal namespace name.
journald = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
deadline = time.monotonic() + 5
while not journal_listening():
    if journald.poll() is not None or time.monotonic() > deadline:
        raise SystemExit("journal_namespace.py: systemd-journald did not start")
    time.sleep(0.05)

service = subprocess.Popen(sys.argv[1:], stdout=sys.stderr, stderr=sys.stderr, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
emit(f"started {journald.pid} {service.pid}")

try:
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        word = line.strip()
        if word == "query":
            subprocess.run(["journalctl", "--sync"], check=True)
            out = subprocess.run(["journalctl", "--no-pager", "--all", "-o", "json", f"_PID={service.pid}"],
                                 check=True, capture_output=True, text=True).stdout
            for entry in out.splitlines():
                message = json.loads(entry).get("MESSAGE")
                emit("entry " + (message if isinstance(message, str) else repr(message)))
            emit("end")
        elif word == "stop-journald":
            journald.send_signal(signal.SIGTERM)
            journald.wait(5)
            emit("journald-stopped")
        elif word == "quit":
            break
finally:
    if service.poll() is None:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(10)
        except subprocess.TimeoutExpired:
            service.kill()
    emit(f"exited {service.wait()}")
    if journald.poll() is None:
        journald.send_signal(signal.SIGTERM)
        journald.wait(5)
