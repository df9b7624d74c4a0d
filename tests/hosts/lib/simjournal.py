"""The journals and the machine of a simulated container (tests/hosts/README.md,
"Where the simulator differs"): no container runs, so this module models what the
operations commands (`journalctl -M` / `-u container@NAME`, `machinectl`,
`nixos-container run` / `root-login`) can observe of one.

- Journals: JSON lines. The host's journal of `container@NAME.service`
  (`/var/log/sim-journal/container@NAME.service.jsonl`) and the container's own
  journal, inside its root (`$root/var/log/sim-journal.jsonl`, as a real
  container keeps its journal under `$root/var/log/journal`). Lines are written
  on start, stop, reload and a failed start, from the unit events of simhost.
- The machine: a real "leader" process per running container, in a UTS
  namespace of its own whose hostname is the container name, chrooted into the
  container root; `$root/run/current-system` points at the system the container
  runs. So `readlink /proc/LEADER/root/run/current-system` and
  `nsenter --target LEADER --uts` work as on NixOS.
"""
import ctypes
import json
import os
import sys
import re
import signal
import socket
import time

import simhost as H

HOST_JOURNAL_DIR = "/var/log/sim-journal"
CLONE_NEWUTS = 0x04000000


def unit_journal(name):
    return os.path.join(HOST_JOURNAL_DIR, "container@%s.service.jsonl" % name)


def container_journal(root):
    return os.path.join(root, "var/log/sim-journal.jsonl")


def _append(path, ident, pid, message, hostname):
    rec = {"ts": time.time(), "host": hostname, "ident": ident, "pid": pid, "message": message}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (json.dumps(rec) + "\n").encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def _host_line(name, message, ident="systemd", pid=1):
    _append(unit_journal(name), ident, pid, message, H.HOST.get("name", "nixos"))


def _guest_line(name, root, message, ident="systemd", pid=1):
    _append(container_journal(root), ident, pid, message, name)


def _root(name):
    st = H.unit_state(name) or {}
    return st.get("root") or os.path.join(H.state_dir(), name)


# ------------------------------------------------------------------ the machine (leader process)
def _machine_file(name):
    return os.path.join(H.SIM_RUN, name + ".machine")


def leader(name):
    """The leader pid of a running container, or None (verified: it is chrooted into the root)."""
    try:
        with open(_machine_file(name)) as f:
            rec = json.load(f)
        pid = int(rec["leader"])
        if os.path.realpath("/proc/%d/root" % pid) != os.path.realpath(rec["root"]):
            return None
        return pid
    except (OSError, ValueError, KeyError):
        return None


# The leader itself: its own UTS namespace with the container's hostname, chrooted into its root.
_LEADER = """
import ctypes, os, signal, socket, sys
name, root = sys.argv[1], sys.argv[2]
if ctypes.CDLL(None, use_errno=True).unshare(%d) == 0:
    socket.sethostname(name)
os.chroot(root)
os.chdir("/")
signal.signal(signal.SIGHUP, signal.SIG_IGN)
while True:
    signal.pause()
""" % CLONE_NEWUTS


def _spawn_leader(name, root):
    """Double fork: the leader is detached from the SSH session that started it."""
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(r)
            os.setsid()
            grandchild = os.fork()
            if grandchild != 0:
                os.write(w, str(grandchild).encode())
                os._exit(0)
            os.close(w)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 1024)
            # A program of its own, so the leader's command line is not that of the tool that
            # started it (a `nixos-rebuild switch` would otherwise seem to outlive its run).
            os.execv(sys.executable, [sys.executable, "-c", _LEADER, name, root])
        finally:
            os._exit(0)
    os.close(w)
    pid = int(os.read(r, 32).decode() or "0")
    os.close(r)
    os.waitpid(child, 0)
    H.write_json_atomic(_machine_file(name), {"leader": pid, "root": root})
    return pid


def _kill_leader(name):
    pid = leader(name)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.unlink(_machine_file(name))
    except OSError:
        pass


def _set_current_system(root, system):
    link = os.path.join(root, "run/current-system")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    H.symlink_force(system, link)


def _clear_run(root):
    try:
        os.unlink(os.path.join(root, "run/current-system"))
    except OSError:
        pass


# ------------------------------------------------------------------ hooks (called by simhost)
def _started(name, system):
    root = _root(name)
    _host_line(name, "Starting Container '%s'..." % name)
    _set_current_system(root, system)
    pid = _spawn_leader(name, root)
    _host_line(name, "Started Container '%s'." % name)
    _guest_line(name, root, "systemd 257.9 running in system mode", pid=1)
    _guest_line(name, root, "Detected virtualization systemd-nspawn.")
    _guest_line(name, root, "Hostname set to <%s>." % name)
    _guest_line(name, root, "Reached target Multi-User System.")
    _guest_line(name, root, "Startup finished in 1.2s.")
    return pid


def _stopped(name):
    root = _root(name)
    if leader(name):
        _guest_line(name, root, "Stopping session-1.scope - Session 1 of User root...")
        _guest_line(name, root, "Reached target System Power Off.")
    _host_line(name, "Stopping Container '%s'..." % name)
    _kill_leader(name)
    _clear_run(root)
    _host_line(name, "container@%s.service: Deactivated successfully." % name)
    _host_line(name, "Stopped Container '%s'." % name)


def on_unit_event(rec):
    """A unit event of simhost (start, stop, restart, reload, terminate of container@NAME)."""
    unit = rec.get("unit", "")
    if not (unit.startswith("container@") and unit.endswith(".service")):
        return
    name = unit[len("container@"):-len(".service")]
    op = rec.get("op")
    if op in ("stop", "terminate"):
        _stopped(name)
    elif op == "start":
        _started(name, rec.get("system") or "")
    elif op == "restart":
        _stopped(name)
        _started(name, rec.get("system") or "")
    elif op == "reload":
        root = _root(name)
        _host_line(name, "Reloading Container '%s'..." % name)
        _set_current_system(root, rec.get("system") or "")
        _guest_line(name, root, "activating the configuration...", ident="switch-to-configuration", pid=4242)
        _guest_line(name, root, "finished switching to system configuration %s" % rec.get("system"), ident="switch-to-configuration", pid=4242)
        _host_line(name, "Reloaded Container '%s'." % name)


def on_failed(name, journal=None):
    """The unit ended up failed (a failed start or activation). What the start printed
    (`journal`, lines "IDENT[PID]: MESSAGE", e.g. systemd-nspawn's complaint) comes first."""
    _kill_leader(name)
    _clear_run(_root(name))
    said = []
    for line in journal or []:
        m = re.match(r"^(.*?)\[(\d+)\]: (.*)$", line)
        if m:
            _host_line(name, m.group(3), ident=m.group(1), pid=int(m.group(2)))
        else:
            _host_line(name, line)
        said.append(m.group(3) if m else line)
    for message in ("container@%s.service: Main process exited, code=exited, status=1/FAILURE" % name,
                    "container@%s.service: Failed with result 'exit-code'." % name,
                    "Failed to start Container '%s'." % name):
        if message not in said:
            _host_line(name, message)


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
