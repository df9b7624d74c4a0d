#!/usr/bin/python3
"""Drives a command on a real PTY, as a person at a terminal would (tests only).

  pty-drive.py STEPS_JSON CMD [ARG...]

STEPS_JSON is a list of {"expect": REGEX} (wait up to 20 s for it in the output so
far), {"send": TEXT} (type it) and {"resize": [ROWS, COLS]} (change the window:
the command gets SIGWINCH). The terminal starts at 24x80. Prints everything the
command wrote, exits with its exit status (124 when an expect timed out).
"""
import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time


def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    steps = json.loads(sys.argv[1])
    pid, fd = pty.fork()
    if pid == 0:
        winsize(0, 24, 80)
        os.execvp(sys.argv[2], sys.argv[2:])
    out = b""
    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        out += chunk
        return True
    seen = 0
    for step in steps:
        if "expect" in step:
            deadline = time.time() + 20
            pattern = re.compile(step["expect"].encode())
            while True:
                m = pattern.search(out, seen)
                if m:
                    seen = m.end()
                    break
                if time.time() > deadline or not pump(0.2):
                    sys.stdout.write(out.decode(errors="replace"))
                    sys.stderr.write("pty-drive: timed out waiting for %r\n" % step["expect"])
                    os.kill(pid, 9)
                    sys.exit(124)
        elif "send" in step:
            os.write(fd, step["send"].encode())
        elif "resize" in step:
            winsize(fd, *step["resize"])
    deadline = time.time() + 20
    while time.time() < deadline and pump(0.2):
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
