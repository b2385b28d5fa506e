#!/usr/bin/env python3
"""Sets up what a service manager would hand a service, then execs it in place (same pid).

    systemd_exec.py [--fd KIND]... [--env NAME=VALUE]... [--env-self NAME]... -- PROGRAM [ARG]...

--fd KIND      put a descriptor on fd 3, 4, ... in the order given. KIND is one of
                 file:PATH          a regular file opened read-only
                 udp                an unbound UDP socket (SOCK_DGRAM)
                 tcp-bound          a TCP socket bound to 127.0.0.1 but not listening
                 tcp-listen:PORT    a listening TCP socket on 127.0.0.1:PORT
                 unix-listen        a listening AF_UNIX stream socket (not TCP)
--env N=V      set an environment variable for PROGRAM
--env-self N   set N to this process's pid: execve keeps the pid, so LISTEN_PID / WATCHDOG_PID name PROGRAM.
--stderr-journal IDENT
               connect stderr to journald's stream socket as StandardError=journal does (identifier IDENT,
               default priority 6, "<N>" prefixes honoured) and set JOURNAL_STREAM to its DEVICE:INODE.

.NET's Process class cannot pass descriptors beyond 0-2 to a child, and LISTEN_PID must equal the pid of the
process that reads it; exec-ing in place solves both.
"""
import os
import socket
import sys
import tempfile


def open_kind(kind):
    if kind.startswith("file:"):
        return os.open(kind[5:], os.O_RDONLY)
    if kind == "udp":
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM).detach()
    if kind == "tcp-bound":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        return s.detach()
    if kind.startswith("tcp-listen:"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(kind[11:])))
        s.listen(128)
        return s.detach()
    if kind == "unix-listen":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(os.path.join(tempfile.mkdtemp(prefix="staticd-unix-"), "sock"))
        s.listen(16)
        return s.detach()
    raise SystemExit(f"systemd_exec.py: unknown fd kind {kind!r}")


def stderr_to_journal(identifier):
    """sd_journal_stream_fd(3): the header is identifier, unit id, priority, level prefix, forward to syslog,
    kmsg, console, one per line."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/systemd/journal/stdout")
    s.shutdown(socket.SHUT_RD)
    s.sendall(f"{identifier}\n\n6\n1\n0\n0\n0\n".encode())
    st = os.fstat(s.fileno())
    os.dup2(s.fileno(), 2, inheritable=True)
    s.close()
    return f"{st.st_dev}:{st.st_ino}"


def main(argv):
    if "--" not in argv:
        raise SystemExit("systemd_exec.py: missing -- PROGRAM")
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    kinds, env = [], dict(os.environ)
    i = 0
    while i < len(options):
        flag, value = options[i], options[i + 1]
        if flag == "--fd":
            kinds.append(value)
        elif flag == "--env":
            name, _, val = value.partition("=")
            env[name] = val
        elif flag == "--env-self":
            env[value] = str(os.getpid())
        elif flag == "--stderr-journal":
            env["JOURNAL_STREAM"] = stderr_to_journal(value)
        else:
            raise SystemExit(f"systemd_exec.py: unknown option {flag!r}")
        i += 2

    # Open everything first, move it out of the way (fd >= 100), then place it at 3.. : a freshly opened
    # descriptor may itself be 3 or 4 and would otherwise be overwritten by an earlier dup2.
    high = []
    for kind in kinds:
        fd = open_kind(kind)
        high.append(os.dup2(fd, 100 + len(high)) if fd != 100 + len(high) else fd)
        if fd != high[-1]:
            os.close(fd)
    for index, fd in enumerate(high):
        os.dup2(fd, 3 + index, inheritable=True)
    for fd in high:
        os.close(fd)
    sys.stdout.flush()
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
