"""The programs of a simulated container: fake packages made real enough to run.

Nothing is built (README, differences 2), but a running container executes its units'
commands and `nixos-container run` commands for real. So the store paths of the
packages a container uses (its system path, its units' `path`, any
/nix/store/<hash>-<name> its config mentions) are created in the host's store with a
`bin/` of symlinks to the machine's own (Debian) executables of the matching package,
read from dpkg's file lists: `${pkgs.curl}/bin/curl` is the machine's curl. A package
the machine lacks has an empty `bin/`, as if it had no programs. `systemd`'s systemctl and
journalctl, and every container system's bin/switch-to-configuration, are the
simulator's own (simclient.py, copied into a `sim-systemd` store path).
"""
import hashlib
import os

HERE = os.path.dirname(os.path.realpath(__file__))
DPKG_INFO = "/var/lib/dpkg/info"
BIN_DIRS = ("/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/")

# nixpkgs name -> Debian packages whose programs it stands for (default: the same name).
DEBIAN = {
    "bash": ["bash"], "bashInteractive": ["bash"], "coreutils": ["coreutils"], "coreutils-full": ["coreutils"],
    "gnused": ["sed"], "gnugrep": ["grep"], "gnutar": ["tar"], "xz": ["xz-utils"], "gnupatch": ["patch"],
    "util-linux": ["util-linux", "mount", "bsdutils"], "libcap": ["libcap2-bin"], "ncurses": ["ncurses-bin"],
    "host": ["bind9-host"], "iputils": ["iputils-ping"], "nettools": ["net-tools", "hostname"],
    "shadow": ["passwd", "login"], "nix": ["nix-bin"], "perl": ["perl", "perl-base"],
    "python3": ["python3", "python3-minimal", "python3.11", "python3.11-minimal"],
    "openssh": ["openssh-client", "openssh-server"], "dnsutils": ["bind9-dnsutils"], "dig": ["bind9-dnsutils"],
    "gawk": [], "which": [], "netcat": [], "getent": [], "getconf": [], "su": [], "mkpasswd": [],
}
for _py in ("python311", "python312", "python313"):
    DEBIAN[_py] = DEBIAN["python3"]
# Programs named explicitly (a program of a Debian package that is not the package's own,
# or one Debian installs through /etc/alternatives): link name -> machine program.
PROGRAMS = {
    "gawk": {"awk": "awk", "gawk": "awk"}, "which": {"which": "which"}, "netcat": {"nc": "nc"},
    "getent": {"getent": "getent"}, "getconf": {"getconf": "getconf"}, "su": {"su": "su"},
    "mkpasswd": {"mkpasswd": "mkpasswd"}, "bash": {"sh": "bash"}, "bashInteractive": {"sh": "bash"},
}
SIM_TOOLS = ("systemctl", "journalctl", "switch-to-configuration")


def package_name(path):
    """/nix/store/<hash>-<name> -> name."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return base.split("-", 1)[1] if "-" in base else base


def _machine_program(name):
    for d in ("/usr/bin", "/usr/sbin"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return _usr(os.path.realpath(p))
    return None


def _usr(path):
    """A machine path as the container sees it: only /usr is there (/bin is NixOS's own)."""
    for old, new in (("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/")):
        if path.startswith(old) and os.path.exists(new + path[len(old):]):
            return new + path[len(old):]
    return path


def _dpkg_programs(pkg):
    for fn in (pkg + ".list", pkg + ":amd64.list"):
        try:
            with open(os.path.join(DPKG_INFO, fn)) as f:
                lines = f.read().splitlines()
            break
        except OSError:
            continue
    else:
        return {}
    out = {}
    for line in lines:
        if line.startswith(BIN_DIRS) and line.count("/") in (2, 3) and not line.endswith("/"):
            real = line if os.path.islink(line) or os.path.isfile(line) else None
            if real and os.access(line, os.X_OK):
                target = _usr(os.path.realpath(line))
                if os.path.exists(target):
                    out[os.path.basename(line)] = target
    return out


def programs(name):
    """{program name: machine path} of the fake package NAME."""
    out = {}
    for pkg in DEBIAN.get(name, [name]):
        out.update(_dpkg_programs(pkg))
    for link, prog in PROGRAMS.get(name, {}).items():
        target = _machine_program(prog)
        if target:
            out[link] = target
    return out


def sim_systemd(store_path, store_add):
    """The store path of the container tools (simclient.py under each tool's name)."""
    with open(os.path.join(HERE, "simclient.py")) as f:
        text = f.read()
    path = store_path("sim-systemd-258.2", hashlib.sha256(text.encode()).hexdigest())
    store_add(path, {"bin/" + t: text for t in SIM_TOOLS})
    return path


def materialize(path, store_path, store_add):
    """Create store path PATH of a fake package: bin/ links to its programs."""
    if os.path.lexists(path):
        return path
    name = package_name(path)
    if name == "systemd":
        tools = sim_systemd(store_path, store_add)
        files = {"bin/" + t: ("link", "%s/bin/%s" % (tools, t)) for t in ("systemctl", "journalctl")}
    else:
        files = {"bin/" + p: ("link", target) for p, target in sorted(programs(name).items())}
    files.setdefault("nix-support/sim-package", "simulated package %s: programs of the machine\n" % name)
    store_add(path, files)
    return path


def system_path(packages, store_path, store_add):
    """/run/current-system/sw of a container: buildEnv of PACKAGES (the first one providing a
    program wins, as systemPackages win over corePackages by priority)."""
    links = {}
    for p in packages:
        materialize(p, store_path, store_add)
        try:
            entries = sorted(os.listdir(os.path.join(p, "bin")))
        except OSError:
            entries = []
        for e in entries:
            links.setdefault(e, "%s/bin/%s" % (p, e))
    path = store_path("system-path", "\n".join("%s %s" % kv for kv in sorted(links.items())))
    store_add(path, dict({"bin/" + e: ("link", t) for e, t in links.items()},
                         **{"nix-support/sim-system-path": "simulated system path\n"}))
    return path
