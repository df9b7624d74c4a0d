"""The journals of a simulated container (tests/hosts/README.md, "Journals and machines").

- The host's journal of `container@NAME.service`
  (`/var/log/sim-journal/container@NAME.service.jsonl`, JSON lines): written here on
  start, stop, restart and a failed start, from the unit events of simhost, and by
  simhost's ExecReload (the output of the container's switch-to-configuration).
- The container's own journal, inside its root (`$root/var/log/sim-journal.jsonl`, as a
  real container keeps its journal under `$root/var/log/journal`): written by the
  container's init (lib/siminit.py): boot, its units' start/stop and output,
  switch-to-configuration, power-off.
- The machine: the container's init is its leader (lib/simruntime.py).
"""
import json
import os
import re
import time

import simhost as H

HOST_JOURNAL_DIR = "/var/log/sim-journal"


def unit_journal(name):
    return os.path.join(HOST_JOURNAL_DIR, "container@%s.service.jsonl" % name)


def container_journal(root):
    return os.path.join(root, "var/log/sim-journal.jsonl")


def append(path, ident, pid, message, hostname, **extra):
    """One journal record (JSON line); EXTRA: more fields (the container's journal: `unit`)."""
    rec = dict({"ts": time.time(), "host": hostname, "ident": ident, "pid": pid, "message": message}, **extra)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (json.dumps(rec) + "\n").encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def host_line(name, message, ident="systemd", pid=1):
    append(unit_journal(name), ident, pid, message, H.HOST.get("name", "nixos"))


def _root(name):
    st = H.unit_state(name) or {}
    return st.get("root") or os.path.join(H.state_dir(), name)


def leader(name):
    """The leader pid of a running container (its init), or None."""
    import simruntime
    return simruntime.leader(name)


# ------------------------------------------------------------------ hooks (called by simhost)
def _started(name):
    host_line(name, "Starting Container '%s'..." % name)
    host_line(name, "Started Container '%s'." % name)


def _stopped(name):
    host_line(name, "Stopping Container '%s'..." % name)
    host_line(name, "container@%s.service: Deactivated successfully." % name)
    host_line(name, "Stopped Container '%s'." % name)


def on_unit_event(rec):
    """A unit event of simhost (start, stop, restart, terminate of container@NAME); the
    container's own lines are its init's, a reload's are simhost.container_reload's."""
    unit = rec.get("unit", "")
    if not (unit.startswith("container@") and unit.endswith(".service")):
        return
    name = unit[len("container@"):-len(".service")]
    op = rec.get("op")
    if op in ("stop", "terminate"):
        _stopped(name)
    elif op == "start":
        _started(name)
    elif op == "restart":
        _stopped(name)
        _started(name)


def on_failed(name, journal=None):
    """The unit ended up failed (a failed start or activation). What the start printed
    (`journal`, lines "IDENT[PID]: MESSAGE", e.g. systemd-nspawn's complaint) comes first."""
    said = []
    for line in journal or []:
        m = re.match(r"^(.*?)\[(\d+)\]: (.*)$", line)
        if m:
            host_line(name, m.group(3), ident=m.group(1), pid=int(m.group(2)))
        else:
            host_line(name, line)
        said.append(m.group(3) if m else line)
    for message in ("container@%s.service: Main process exited, code=exited, status=1/FAILURE" % name,
                    "container@%s.service: Failed with result 'exit-code'." % name,
                    "Failed to start Container '%s'." % name):
        if message not in said:
            host_line(name, message)


# ------------------------------------------------------------------ reading (journalctl)
def read_lines(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def format_line(rec, output="short"):
    if output == "cat":
        return rec["message"]
    if output == "json":
        return json.dumps({"__REALTIME_TIMESTAMP": str(int(rec["ts"] * 1e6)), "_HOSTNAME": rec["host"],
                           "SYSLOG_IDENTIFIER": rec["ident"], "_PID": str(rec["pid"]), "MESSAGE": rec["message"]})
    stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(rec["ts"]))
    return "%s %s %s[%d]: %s" % (stamp, rec["host"], rec["ident"], rec["pid"], rec["message"])
