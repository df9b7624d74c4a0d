#!/usr/bin/python3
"""systemctl, journalctl and switch-to-configuration of a simulated container.

This file is copied into the host's store (a `sim-systemd` store path, see
simpackages.py) and runs inside the container, so it uses nothing but the standard
library: it sends its arguments to the container's init (lib/siminit.py) over
/run/systemd/sim-init.sock and relays the answer, as the real tools ask systemd over
D-Bus."""
import json
import os
import socket
import sys

SOCKET = "/run/systemd/sim-init.sock"


def main():
    tool = os.path.basename(sys.argv[0])
    req = {"tool": tool, "argv": sys.argv[1:], "uid": os.geteuid(), "pid": os.getpid(), "argv0": sys.argv[0]}
    if tool == "switch-to-configuration":
        req["system"] = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0]))))
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(SOCKET)
    except OSError:
        sys.stderr.write("System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                         "Failed to connect to bus: Host is down\n")
        return 1
    s.sendall((json.dumps(req) + "\n").encode())
    for line in s.makefile("rb"):
        msg = json.loads(line)
        try:
            if "out" in msg:
                sys.stdout.write(msg["out"])
                sys.stdout.flush()
            elif "err" in msg:
                sys.stderr.write(msg["err"])
                sys.stderr.flush()
            elif "exit" in msg:
                return msg["exit"]
        except BrokenPipeError:
            pass
    return 1


if __name__ == "__main__":
    sys.exit(main())
