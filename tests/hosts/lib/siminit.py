"""The init of a running simulated container: what systemd-nspawn sets up and what the
container's own systemd (PID 1) then does, in one Python process (tests/hosts/README.md,
"Inside a container").

Started by simruntime.start() as PID 1 of a new PID namespace, in new mount, UTS and IPC
namespaces, as the host's root:

1. nspawn's part: the container root gets its API file systems (/proc, a /dev with the
   basic device nodes, tmpfs /tmp and /run, /sys read-only), the machine's /usr read-only
   (the simulator's userland, README), and the custom mounts of the nspawn command line
   (--bind, --bind-ro, --tmpfs; /nix/store and the per-container profile and gcroots),
   a missing bind source stopping the start as nspawn does; then pivot_root into it; with
   --private-users a user namespace (the host writes its uid/gid map), with
   --private-network a network namespace of its own with `lo` up.
2. systemd's part (lib/simsystemd.py): the boot activation (users, /etc,
   /run/current-system), the start of every service wanted by a target, then READY
   (nspawn's --notify-ready); afterwards it answers the container's systemctl / journalctl /
   switch-to-configuration (lib/simsystemctl.py, lib/simclient.py) on
   /run/systemd/sim-init.sock, runs the units' commands with /bin/sh, reaps them, and on
   SIGTERM stops everything (poweroff).

Everything it imports is imported before pivot_root (the simulator's files are not
visible inside the container).
"""
import ctypes
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import simsystemctl  # noqa: E402
import simsystemd  # noqa: E402

libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE, MS_STRICTATIME = 32, 4096, 16384, 1 << 18, 1 << 24
CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
SYS_PIVOT_ROOT = 155
MNT_DETACH = 2
UID_SHIFT = [0]  # with --private-users, the host uid of the container's root


class SetupError(Exception):
    pass


# ------------------------------------------------------------------ nspawn's part
def _mount(src, dst, fstype=None, flags=0, data=None):
    enc = (lambda s: s.encode() if s is not None else None)
    if libc.mount(enc(src), enc(dst), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        e = ctypes.get_errno()
        raise SetupError("Failed to mount %s (type %s) on %s: %s" % (src or "n/a", fstype or "n/a", dst, os.strerror(e)))


def _chase(root, path):
    """The host path of PATH inside ROOT, following symlinks inside the root (nspawn's
    chase_symlinks with CHASE_PREFIX_ROOT); a missing tail is kept as it is."""
    parts = [p for p in path.split("/") if p and p != "."]
    cur = root
    hops = 0
    while parts:
        p = parts.pop(0)
        if p == "..":
            cur = os.path.dirname(cur) if cur != root else root
            continue
        nxt = os.path.join(cur, p)
        if os.path.islink(nxt) and hops < 32:
            hops += 1
            target = os.readlink(nxt)
            parts = [x for x in target.split("/") if x and x != "."] + parts
            if target.startswith("/"):
                cur = root
            continue
        cur = nxt
    return cur


def _makedirs(path, mode=0o755):
    """mkdir -p; what it creates belongs to the container's root (nspawn's mkdir_p_safe with
    the uid shift)."""
    missing = []
    p = path
    while p and p != "/" and not os.path.lexists(p):
        missing.append(p)
        p = os.path.dirname(p)
    os.makedirs(path, mode=mode, exist_ok=True)
    if UID_SHIFT[0]:
        for d in missing:
            os.lchown(d, UID_SHIFT[0], UID_SHIFT[0])


def _bind(root, m):
    """nspawn's mount_bind(): the source must exist, the mount point is created like it."""
    try:
        st = os.stat(m["src"])
    except OSError as e:
        raise SetupError("Failed to stat %s: %s" % (m["src"], os.strerror(e.errno)))
    where = _chase(root, m["dst"])
    is_dir = os.path.isdir(m["src"])
    if os.path.exists(where):
        if is_dir and not os.path.isdir(where):
            raise SetupError("Cannot bind mount directory %s on file %s." % (m["src"], where))
        if not is_dir and os.path.isdir(where):
            raise SetupError("Cannot bind mount file %s on directory %s." % (m["src"], where))
    else:
        _makedirs(os.path.dirname(where))
        if is_dir:
            _makedirs(where)
        else:
            open(where, "a").close()
            if UID_SHIFT[0]:
                os.lchown(where, UID_SHIFT[0], UID_SHIFT[0])
    del st
    _mount(m["src"], where, None, MS_BIND | MS_REC)
    if m["ro"]:
        _mount(None, where, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def _tmpfs(root, dst, options="mode=755", flags=MS_NOSUID | MS_NODEV | MS_STRICTATIME):
    """A tmpfs, owned by the container's root as nspawn's tmpfs_patch_options() makes it."""
    where = _chase(root, dst)
    _makedirs(where)
    if UID_SHIFT[0]:
        options += ",uid=%d,gid=%d" % (UID_SHIFT[0], UID_SHIFT[0])
    _mount("tmpfs", where, "tmpfs", flags, options)


def _dev(root):
    """A minimal /dev, as nspawn makes one: tmpfs with the basic nodes (bind mounts of the
    host's), /dev/shm, and the /proc/self/fd links."""
    _tmpfs(root, "/dev", "mode=755", MS_NOSUID | MS_STRICTATIME)
    dev = os.path.join(root, "dev")
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        p = os.path.join(dev, node)
        open(p, "a").close()
        _mount("/dev/" + node, p, None, MS_BIND)
    _tmpfs(root, "/dev/shm", "mode=1777")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")):
        os.symlink(target, os.path.join(dev, name))
    _makedirs(os.path.join(dev, "pts"))
    if UID_SHIFT[0]:
        for e in ("shm", "pts", "fd", "stdin", "stdout", "stderr", "ptmx"):
            os.lchown(os.path.join(dev, e), UID_SHIFT[0], UID_SHIFT[0])


def _lo_up():
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def setup(spec, tell, wait_mapped):
    """Everything systemd-nspawn does before it runs the container's init."""
    root = spec["root"]
    UID_SHIFT[0] = spec.get("uidShift") or 0
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for m in spec["binds"]:  # checked first: nspawn fails before anything is mounted
        try:
            os.stat(m["src"])
        except OSError as e:
            raise SetupError("Failed to stat %s: %s" % (m["src"], os.strerror(e.errno)))
    # the root becomes a mount point of its own first (pivot_root needs one), so that the mounts
    # below land on it and are not copied again
    _mount(root, root, None, MS_BIND | MS_REC)
    for d in ("proc", "sys", "usr", "bin", "etc", "root", "var/log", "nix/store"):
        _makedirs(os.path.join(root, d))
    for link in ("lib", "lib64"):  # the machine's dynamic loader and libraries (README)
        p = os.path.join(root, link)
        if not os.path.lexists(p) and os.path.exists("/usr/" + link):
            os.symlink("usr/" + link, p)
            if UID_SHIFT[0]:
                os.lchown(p, UID_SHIFT[0], UID_SHIFT[0])
    _tmpfs(root, "/tmp", "mode=1777")
    _dev(root)
    _tmpfs(root, "/run", "mode=755")
    _mount("proc", os.path.join(root, "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("/sys", os.path.join(root, "sys"), None, MS_BIND | MS_REC)
    _mount(None, os.path.join(root, "sys"), None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    _mount("/usr", os.path.join(root, "usr"), None, MS_BIND | MS_REC)
    _mount(None, os.path.join(root, "usr"), None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    for m in sorted(spec["binds"] + spec["tmpfs"], key=lambda m: m["dst"]):
        if m.get("tmpfs"):
            _tmpfs(root, m["dst"], m.get("options") or "mode=0755")
        else:
            _bind(root, m)
    hostname = spec["name"].encode()
    libc.sethostname(hostname, len(hostname))
    if spec.get("netnsPath"):
        try:
            fd = os.open(spec["netnsPath"], os.O_RDONLY)
        except OSError as e:
            raise SetupError("Failed to open network namespace path %s: %s" % (spec["netnsPath"], os.strerror(e.errno)))
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise SetupError("Failed to join network namespace %s: %s" % (spec["netnsPath"], os.strerror(ctypes.get_errno())))
        os.close(fd)
    old = os.path.join(root, ".sim-oldroot")
    _makedirs(old)
    if libc.syscall(SYS_PIVOT_ROOT, root.encode(), old.encode()) != 0:
        raise SetupError("Failed to pivot root: %s" % os.strerror(ctypes.get_errno()))
    os.chdir("/")
    libc.umount2(b"/.sim-oldroot", MNT_DETACH)
    os.rmdir("/.sim-oldroot")
    if spec.get("userns"):
        if libc.unshare(CLONE_NEWUSER) != 0:
            raise SetupError("Failed to create user namespace: %s" % os.strerror(ctypes.get_errno()))
        tell("USERNS")
        wait_mapped()
        os.setgroups([])
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
    if spec.get("privateNetwork"):
        if libc.unshare(CLONE_NEWNET) != 0:
            raise SetupError("Failed to create network namespace: %s" % os.strerror(ctypes.get_errno()))
        _lo_up()
        for addr in spec.get("addresses", []):
            subprocess.run(["/usr/bin/ip", "addr", "add", addr, "dev", "lo"], capture_output=True)


# ------------------------------------------------------------------ main
def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    notify = os.fdopen(int(sys.argv[2]), "w", buffering=1)
    mapped = os.fdopen(int(sys.argv[3]), "r")

    def tell(msg):
        notify.write(msg + "\n")
        notify.flush()
    tell("PID %s" % os.readlink("/proc/self"))
    try:
        setup(spec, tell, lambda: mapped.readline())
    except (SetupError, OSError) as e:
        tell("ERR %s" % (e.args[0] if isinstance(e, SetupError) else "%s" % e))
        sys.exit(1)
    mapped.close()
    m = simsystemd.Manager(spec)
    m.switch_lock = threading.Lock()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=m.poweroff).start())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    threading.Thread(target=m.reaper, daemon=True).start()
    simsystemctl.serve(m)
    try:
        m.boot()
    except Exception:
        traceback.print_exc()
        tell("ERR %s" % traceback.format_exc().strip().splitlines()[-1])
        sys.exit(1)
    tell("READY")
    notify.close()
    while True:
        signal.pause()


if __name__ == "__main__":
    main()

