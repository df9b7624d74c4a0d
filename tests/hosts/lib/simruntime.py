"""A running simulated container, as the host sees it: starting its init (siminit.py) in
namespaces of its own, stopping it, and entering it (`nixos-container run`,
`root-login`, `machinectl shell`).

The start takes what systemd-nspawn would get: the container root, the system, the
custom mounts of its command line (NixOS's own --bind-ro=/nix/store and the per-container
profile and gcroots, then EXTRA_NSPAWN_FLAGS: bindMounts, --tmpfs, extraFlags) and the
conf's PRIVATE_NETWORK, PRIVATE_USERS, NETWORK_NAMESPACE_PATH, LOCAL_ADDRESS[6]. It waits
for the init's READY (Type=notify with --notify-ready=yes) or its error (a missing bind
source: `Failed to stat SRC: No such file or directory`, which fails the unit).
"""
import ctypes
import hashlib
import os
import select
import signal
import time

import simhost as H

HERE = os.path.dirname(os.path.realpath(__file__))
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x04000000, 0x08000000, 0x20000000
UID_RANGE = 0x10000
PICK_MIN, PICK_MAX = 0x00080000, 0x6FFF0000  # nspawn's UID_SHIFT_PICK_MIN/MAX
STOP_WAIT = 30.0


class StartFailed(Exception):
    """The container did not come up; args[0]: what systemd-nspawn printed (journal lines)."""


def _machine_file(name):
    return os.path.join(H.SIM_RUN, name + ".machine")


# ------------------------------------------------------------------ what nspawn is asked
def parse_mount(flag, value):
    """--bind[-ro]=SRC[:DST[:OPTIONS]] (nspawn: a `+` source is inside the container root) and
    --tmpfs=PATH[:OPTIONS]."""
    if flag == "--tmpfs":
        dst, _, options = value.partition(":")
        return {"dst": dst, "tmpfs": True, "options": options or "mode=0755"}
    parts = value.split(":")
    src = parts[0]
    dst = parts[1] if len(parts) > 1 and parts[1] else src
    return {"src": src, "dst": dst, "ro": flag == "--bind-ro", "options": parts[2] if len(parts) > 2 else ""}


def uid_shift(name, root, private_users):
    """The host uid of the container's root with --private-users=VALUE, or None (no user
    namespace). `pick`: the range the root directory is already owned by (a previous
    start chowned it), else one derived from the name (nspawn hashes the machine name and
    checks the range is free); a number: that base; `identity`: 0."""
    v = (private_users or "no").strip()
    if v in ("", "no", "0", "false", "off"):
        return None
    if v == "identity":
        return 0
    if v == "pick":
        try:
            owner = os.stat(root).st_uid
        except OSError:
            owner = 0
        if owner >= PICK_MIN and owner <= PICK_MAX and owner % UID_RANGE == 0:
            return owner
        h = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
        return PICK_MIN + (h % ((PICK_MAX - PICK_MIN) // UID_RANGE + 1)) * UID_RANGE
    if v.isdigit():
        return int(v)
    return None


def spec(name, root, system, conf, argv):
    """What the init needs, from nspawn's argv (simhost._nspawn_argv) and the conf."""
    binds, tmpfs = [], []
    private_network = conf.get("PRIVATE_NETWORK") == "1"
    private_users = conf.get("PRIVATE_USERS", "no")
    netns = conf.get("NETWORK_NAMESPACE_PATH") or None
    for a in argv:
        flag, eq, value = a.partition("=")
        if flag in ("--bind", "--bind-ro", "--tmpfs") and eq:
            m = parse_mount(flag, value)
            if m.get("src", "").startswith("+"):
                m["src"] = os.path.join(root, m["src"][1:].lstrip("/"))
            (tmpfs if m.get("tmpfs") else binds).append(m)
        elif flag == "--private-network":
            private_network = True
        elif flag in ("--private-users", "-U"):
            private_users = value if eq else "pick"
        elif flag == "--network-namespace-path" and eq:
            netns = value
    # The per-container profile and gcroots, unless the command line binds them already.
    for sub in ("profiles", "gcroots"):
        if not any(m.get("dst") == "/nix/var/nix/" + sub for m in binds):
            binds.append({"src": "/nix/var/nix/%s/per-container/%s" % (sub, name), "dst": "/nix/var/nix/" + sub, "ro": False, "options": ""})
    shift = uid_shift(name, root, private_users)
    addresses = [conf[k] for k in ("LOCAL_ADDRESS", "LOCAL_ADDRESS6") if conf.get(k)] if private_network else []
    return {"name": name, "root": root, "system": system, "binds": binds, "tmpfs": tmpfs,
            "privateNetwork": private_network, "netnsPath": netns, "addresses": addresses,
            "userns": shift is not None, "uidShift": shift or 0}


# ------------------------------------------------------------------ start and stop
def _shift_ownership(root, shift):
    """--private-users-ownership=chown: the container tree, owned by the host's ids, is
    chowned into the container's range (as nspawn does when the root is not yet owned by it)."""
    try:
        current = os.lstat(root).st_uid
    except OSError:
        return
    if current == shift:
        return
    old = current - (current % UID_RANGE) if current >= UID_RANGE else 0

    def shifted(i):
        return shift + ((i - old) % UID_RANGE if i >= old else i % UID_RANGE)
    for dirpath, dirs, files in os.walk(root):
        for e in [dirpath] + [os.path.join(dirpath, x) for x in dirs + files]:
            try:
                st = os.lstat(e)
                os.lchown(e, shifted(st.st_uid), shifted(st.st_gid))
            except OSError:
                pass
        dirs[:] = [d for d in dirs if not os.path.ismount(os.path.join(dirpath, d))]


def start(name, root, system, conf, argv, timeout):
    """Run the container: returns the leader's pid, or raises StartFailed(lines)."""
    s = spec(name, root, system, conf, argv)
    if s["userns"] and s["uidShift"]:
        _shift_ownership(root, s["uidShift"])
    # the init's spec and its stderr, outside the records that name containers (NAME.json, NAME.machine)
    spec_file = os.path.join(H.SIM_RUN, "init", name + ".spec")
    H.write_json_atomic(spec_file, s)
    r_note, w_note = os.pipe()
    r_map, w_map = os.pipe()
    log = os.open(os.path.join(H.SIM_RUN, "init", name + ".log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    child = os.fork()
    if child == 0:
        try:
            os.setsid()
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) != 0:
                os.write(w_note, ("ERR unshare: %s\n" % os.strerror(ctypes.get_errno())).encode())
                os._exit(1)
            if os.fork() == 0:  # PID 1 of the new PID namespace
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                # Nothing of the tool that started it: an inherited descriptor (a session's pipe,
                # a lock file a deploy script holds open) would live as long as the container.
                keep = sorted((w_note, r_map))
                os.closerange(3, keep[0])
                os.closerange(keep[0] + 1, keep[1])
                os.closerange(keep[1] + 1, os.sysconf("SC_OPEN_MAX"))
                for fd in keep:
                    os.set_inheritable(fd, True)
                os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.join(HERE, "siminit.py"),
                                              spec_file, str(w_note), str(r_map)])
            os._exit(0)
        finally:
            os._exit(1)
    os.close(w_note)
    os.close(r_map)
    os.close(log)
    os.waitpid(child, 0)
    leader, buf, err = None, b"", None
    deadline = time.time() + timeout
    try:
        while True:
            left = deadline - time.time()
            if left <= 0:
                err = "Timeout"
                break
            ready, _, _ = select.select([r_note], [], [], left)
            if not ready:
                continue
            chunk = os.read(r_note, 65536)
            if not chunk:
                err = err or "exited"
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = line.decode("utf-8", "replace")
                if msg.startswith("PID "):
                    leader = int(msg[4:])
                elif msg == "USERNS":
                    for f in ("uid_map", "gid_map"):
                        with open("/proc/%d/%s" % (leader, f), "w") as fh:
                            fh.write("0 %d %d\n" % (s["uidShift"], UID_RANGE))
                    os.write(w_map, b"MAPPED\n")
                elif msg == "READY":
                    H.write_json_atomic(_machine_file(name), {
                        "leader": leader, "root": root, "mntns": os.readlink("/proc/%d/ns/mnt" % leader),
                        "since": H.now_iso(), "uidShift": s["uidShift"] if s["userns"] else None})
                    return leader
                elif msg.startswith("ERR "):
                    err = msg[4:]
    finally:
        os.close(r_note)
        os.close(w_map)
    if leader:
        _kill(leader, signal.SIGKILL)
        _wait_gone(leader, 5)
    if err == "Timeout":
        raise StartFailed(["container@%s.service: start operation timed out. Terminating." % name])
    if err == "exited":
        raise StartFailed(["Container %s exited unexpectedly (see %s)." % (name, os.path.join(H.SIM_RUN, "init", name + ".log"))])
    raise StartFailed([err])


def leader(name):
    """The pid of a running container's init, verified by its mount namespace."""
    rec = H.read_json(_machine_file(name))
    if not rec:
        return None
    try:
        pid = int(rec["leader"])
        if os.readlink("/proc/%d/ns/mnt" % pid) != rec["mntns"] or _zombie(pid):
            return None
        return pid
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return st[st.rindex(")") + 2] in "ZX"
    except (OSError, ValueError):
        return True


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _wait_gone(pid, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if _zombie(pid):
            return True
        time.sleep(0.02)
    return _zombie(pid)


def stop(name):
    """Power the container off: its init stops the units and exits (SIGTERM, what nspawn's
    --kill-signal=SIGRTMIN+3 asks of systemd), SIGKILL after STOP_WAIT seconds. The kernel
    ends every other process of the container with its PID 1; its mounts go with it."""
    pid = leader(name)
    if pid:
        _kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, STOP_WAIT):
            _kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
    try:
        os.unlink(_machine_file(name))
    except OSError:
        pass


def enter(name, argv, interactive=False, cwd="/root"):
    """The command line that runs ARGV inside the running container NAME as its root, the
    way nixos-container does (`nsenter --all -t LEADER`, then `su root -l -c "exec ..."`):
    root's login shell with a clean environment, in root's home."""
    pid = leader(name)
    if not pid:
        return None
    env = ["/usr/bin/env", "-i", "HOME=/root", "USER=root", "LOGNAME=root",
           "SHELL=/run/current-system/sw/bin/bash", "PATH=/run/wrappers/bin:/run/current-system/sw/bin"]
    if os.environ.get("TERM"):
        env.append("TERM=" + os.environ["TERM"])
    shell = ["/run/current-system/sw/bin/bash", "--login"]
    if not interactive:
        shell += ["-c", "exec " + " ".join("'%s'" % a.replace("'", "'\\''") for a in argv)]
    return ["nsenter", "--target", str(pid), "--all", "--root", "--wdns=" + cwd, "--"] + env + shell

