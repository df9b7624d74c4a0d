"""Shared core of the simulated NixOS host tools (tests/hosts).

Runs INSIDE a simulated host (its own mount and UTS namespace). The host's
identity and state folder come from /etc/nixos-sim.json, written by `fleet up`.
Everything here follows ../../shared/reference/nixos-containers.md (sections
C, D, E, G); where it cannot, tests/hosts/README.md says so.
"""
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import simguest
import simnspawn
import simpackages
import simresources
import simunit

HERE = os.path.dirname(os.path.realpath(__file__))
TOOLS = os.path.dirname(HERE)
EVAL_NIX = os.path.join(TOOLS, "nix", "eval.nix")
VERSION = "25.11.20251130.0000000"
NIX32 = "0123456789abcdfghijklmnpqrsvwxyz"
PROFILES = "/nix/var/nix/profiles"
SIM_RUN = "/run/nixos-containers-sim"
STC_LOCK = "/run/nixos/switch-to-configuration.lock"
LAST_STC_ERROR = None


def _host():
    try:
        with open("/etc/nixos-sim.json") as f:
            return json.load(f)
    except OSError:
        sys.stderr.write("This is not a NixOS installation!\n")
        sys.exit(1)


HOST = _host()
STATE = HOST["stateDir"]
KNOBS = os.path.join(STATE, "knobs")
STORE_RW = HOST["storeRw"]


# ------------------------------------------------------------------ output
def say(msg, stream=None):
    """Print a line; a cut SSH connection (EPIPE) must not stop the tool."""
    stream = stream or sys.stderr
    try:
        stream.write(msg + "\n")
        stream.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass


def out(msg):
    say(msg, sys.stdout)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event(**kw):
    rec = {"ts": now_iso()}
    rec.update(kw)
    line = json.dumps(rec, sort_keys=False) + "\n"
    try:
        fd = os.open(os.path.join(STATE, "events.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass
    if kw.get("event") == "unit":
        import simjournal  # the container's journals and machine follow its unit (lib/simjournal.py)
        simjournal.on_unit_event(rec)


# ------------------------------------------------------------------ knobs
def _knob_path(name):
    return os.path.join(KNOBS, name + ".json")


def knob_get(name):
    try:
        with open(_knob_path(name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def knob_take(name):
    """Consume one use of a counted knob ({"remaining": N, ...}); None if unset."""
    p = _knob_path(name)
    try:
        fd = os.open(p, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            raw += chunk
        try:
            k = json.loads(raw.decode() or "null")
        except ValueError:
            return None
        if not k or k.get("remaining", 0) <= 0:
            return None
        k["remaining"] -= 1
        data = json.dumps(k).encode()
        os.lseek(fd, 0, 0)
        os.ftruncate(fd, 0)
        os.write(fd, data)
        return k
    finally:
        os.close(fd)


# ------------------------------------------------------------------ store
def nix32_hash(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    n = int.from_bytes(h.digest()[:20], "big")
    s = ""
    for _ in range(32):
        s += NIX32[n & 31]
        n >>= 5
    return s


def store_path(name, payload):
    return "/nix/store/%s-%s" % (nix32_hash(name, payload), name)


def rw(path):
    """Writable location of a /nix/store path (the host's store is mounted read-only, as on NixOS)."""
    assert path.startswith("/nix/store/")
    return os.path.join(STORE_RW, path[len("/nix/store/"):])


def store_add(path, files):
    """Create a store directory with `files` {rel: str | ("link", target)}; no-op if it exists."""
    if os.path.lexists(path):
        return path
    dst = rw(path)
    tmp = dst + ".tmp-%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        os.makedirs(tmp)
    except PermissionError:
        return path  # a non-root build of a new path: nothing is written (see README, differences)
    for rel, content in sorted(files.items()):
        fp = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(fp), exist_ok=True)
        if isinstance(content, tuple):
            os.symlink(content[1], fp)
        else:
            with open(fp, "w") as f:
                f.write(content)
            os.chmod(fp, 0o555 if rel.startswith("bin/") or rel == "init" else 0o444)
    try:
        os.rename(tmp, dst)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json_atomic(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def write_text_atomic(path, text, mode=0o644):
    """Write to a temporary name and rename: a reader sees the old file or the new one."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def symlink_force(target, link):
    tmp = "%s.tmp-%d" % (link, os.getpid())
    try:
        os.unlink(tmp)
    except OSError:
        pass
    os.symlink(target, tmp)
    os.rename(tmp, link)


# ------------------------------------------------------------------ systems
def system_info(path):
    """sim-system.json of a host system path (None if not a simulated system)."""
    if not path:
        return None
    return read_json(os.path.join(path, "sim-system.json"))


def current_system():
    try:
        return os.path.realpath("/run/current-system") if os.path.exists("/run/current-system") else None
    except OSError:
        return None


def current_info():
    return system_info(current_system()) or {"containers": {}, "enableContainers": False,
                                             "confDir": "/etc/nixos-containers", "stateDir": "/var/lib/nixos-containers"}


def conf_dir():
    return current_info().get("confDir", "/etc/nixos-containers")


def state_dir():
    return current_info().get("stateDir", "/var/lib/nixos-containers")


def render_conf(c, system_path):
    """/etc/nixos-containers/NAME.conf byte for byte as nixos-containers.nix writes it
    (reference C.2): each optional line is followed by the newline of the template line
    it sits on, so an emitted one is followed by an empty line and an omitted one leaves
    an empty line; the privateNetwork block nests the same way and is one empty line
    when off."""
    def optional(cond, line):  # optionalString cond "LINE\n"
        return line + "\n" if cond else ""

    def lines(*parts):  # the lines of an indented string, each interpolation on its own line
        return "".join(p + "\n" for p in parts)
    ports = ",".join("%s:%s:%s" % (p["protocol"], p["hostPort"],
                                   p["hostPort"] if p["containerPort"] is None else p["containerPort"])
                     for p in c["forwardPorts"])
    network = ("PRIVATE_NETWORK=1\n" + lines(
        optional(c["hostBridge"] is not None, "HOST_BRIDGE=%s" % c["hostBridge"]),
        optional(len(c["forwardPorts"]) > 0, "HOST_PORT=%s" % ports),
        *[optional(c[key] is not None, "%s=%s" % (var, c[key]))
          for var, key in (("HOST_ADDRESS", "hostAddress"), ("HOST_ADDRESS6", "hostAddress6"),
                           ("LOCAL_ADDRESS", "localAddress"), ("LOCAL_ADDRESS6", "localAddress6"),
                           ("LOCAL_MAC_ADDRESS", "localMacAddress"))])) if c["privateNetwork"] else ""
    binds = "".join(" %s=%s" % ("--bind-ro" if m["isReadOnly"] else "--bind",
                                m["mountPoint"] if m["hostPath"] is None else "%s:%s" % (m["hostPath"], m["mountPoint"]))
                    for m in c["bindMounts"])
    extra = (" " + " ".join(c["extraFlags"])) if c["extraFlags"] else ""
    return lines(
        optional(c["flake"] is None, "SYSTEM_PATH=%s" % system_path),
        optional(c["flake"] is not None, "FLAKE=%s" % c["flake"]),
        "COPY_RESOLV_CONF=%s" % ("1" if c["copyResolvConf"] else "0"),
        network,
        optional(c["networkNamespace"] is not None, "NETWORK_NAMESPACE_PATH=%s" % c["networkNamespace"]),
        "PRIVATE_USERS=%s" % c["privateUsers"],
        'INTERFACES="%s"' % " ".join(c["interfaces"]),
        'MACVLANS="%s"' % " ".join(c["macvlans"]),
        optional(c["autoStart"], "AUTO_START=1"),
        'EXTRA_NSPAWN_FLAGS="%s"' % (binds + extra))


def unit_of(name, c, toplevel, conf_text, dirs, service_config=None):
    """container@NAME.service (reference C.3): its unit file, whose text is what
    switch-to-configuration compares. service_config: what the host configuration adds
    to its [Service] section (resource limits)."""
    return simunit.container_unit(name, c, dirs, store_path, toplevel, conf_text, service_config)


def tool_links(enable_containers):
    links = {"sw/bin/nixos-rebuild": ("link", os.path.join(TOOLS, "bin", "nixos-rebuild")),
             "sw/bin/systemctl": ("link", os.path.join(TOOLS, "bin", "systemctl")),
             "sw/bin/switch-to-configuration": ("link", os.path.join(TOOLS, "bin", "switch-to-configuration")),
             "bin/switch-to-configuration": ("link", os.path.join(TOOLS, "bin", "switch-to-configuration"))}
    if enable_containers:
        links["sw/bin/nixos-container"] = ("link", os.path.join(TOOLS, "bin", "nixos-container"))
    for tool in ("journalctl", "machinectl"):  # lib/simjournal.py
        links["sw/bin/" + tool] = ("link", os.path.join(TOOLS, "bin", tool))
    return links


def build_container_system(name, system_cfg):
    payload = json.dumps({"name": name, "config": system_cfg}, sort_keys=True)
    p = store_path("nixos-system-%s-%s" % (name, VERSION), payload)
    if not os.path.lexists(p):
        store_add(p, dict(container_system_files(name, system_cfg or {}), **{
            "sim-container.json": json.dumps({"name": name, "config": system_cfg}, indent=1, sort_keys=True) + "\n",
            "init": "#!/bin/sh\n# simulated NixOS container init of %s\nexit 0\n" % name,
            "nixos-version": VERSION + "\n",
        }))
    return p


def container_system_files(name, cfg):
    """What a container toplevel links to, made real enough to run (simpackages.py): its
    system path `sw`, its `etc` (environment.etc and the files NixOS always writes), the
    store paths of the packages its config mentions (a unit's `path`, `${pkgs.x}/bin/x`),
    and bin/switch-to-configuration (the container's own, simclient.py)."""
    for ref in sorted(simguest.store_refs(cfg)):
        simpackages.materialize(ref, store_path, store_add)
    for n in simguest.UNIT_PATH_PACKAGES:
        simpackages.materialize(simguest.package_path(n), store_path, store_add)
    sw = simpackages.system_path(simguest.system_packages(cfg), store_path, store_add)
    entries = simguest.etc_entries(cfg, simguest.hostname(cfg, name))
    etc_files = {}
    for target, e in entries.items():
        etc_files["etc/" + target] = e["text"] if "text" in e else ("link", e["source"])
    etc = store_path("etc", json.dumps(etc_files, sort_keys=True))
    store_add(etc, etc_files)
    tools = simpackages.sim_systemd(store_path, store_add)
    return {"sw": ("link", sw), "etc": ("link", etc + "/etc"),
            "bin/switch-to-configuration": ("link", tools + "/bin/switch-to-configuration")}


STORE_FILE_TRACE = "trace: sim-store-file:"


def store_files(stderr):
    """The files of the writers (pkgs.writeText, writeShellScript, ...) the evaluation used:
    nix/pkgs.nix reports each through builtins.trace. Returns (files, the other stderr)."""
    files, rest = [], []
    for line in stderr.splitlines(True):
        if line.startswith(STORE_FILE_TRACE):
            try:
                files.append(json.loads(line[len(STORE_FILE_TRACE):]))
            except ValueError:
                pass
        else:
            rest.append(line)
    return files, "".join(rest)


def write_store_files(files):
    """Create the store paths of writer derivations (text at their destination)."""
    for f in files:
        dest = (f.get("destination") or "").lstrip("/")
        mode_bin = bool(f.get("executable"))
        if dest:
            rel = dest
        else:
            rel = None
        path = f["path"]
        if os.path.lexists(path):
            continue
        if rel is None:
            dst = rw(path)
            tmp = dst + ".tmp-%d" % os.getpid()
            try:
                with open(tmp, "w") as fh:
                    fh.write(f.get("text") or "")
                os.chmod(tmp, 0o555 if mode_bin else 0o444)
                os.rename(tmp, dst)
            except OSError:
                pass
        else:
            store_add(path, {rel: f.get("text") or ""})
            if mode_bin:
                try:
                    os.chmod(os.path.join(rw(path), rel), 0o555)
                except OSError:
                    pass


def build_host_system(ev, realise=True):
    """Turn the evaluation result into store paths: container toplevels, the etc tree
    with the conf files, and the host toplevel. Returns (toplevel, info)."""
    sv = ev.get("stateVersion", "25.11")
    newdirs = _version_at_least(sv, "22.05")
    prefix = "nixos-" if newdirs else ""
    confdir_name = prefix + "containers"
    dirs = {"confDirName": confdir_name, "confDir": "/etc/" + confdir_name, "stateDir": "/var/lib/" + prefix + "containers"}
    containers = {}
    etc_files = {}
    for name, c in sorted(ev["containers"].items()):
        if c["flake"] is not None:
            top = "/nix/var/nix/profiles/per-container/%s" % name
        elif c["hasConfig"]:
            payload = json.dumps({"name": name, "config": c["system"]}, sort_keys=True)
            top = store_path("nixos-system-%s-%s" % (name, VERSION), payload)
            if realise:
                write_store_files(ev.get("storeFiles") or [])
                build_container_system(name, c["system"])
        else:
            top = c["path"]
        conf = render_conf(c, top)
        etc_files["etc/%s/%s.conf" % (confdir_name, name)] = conf
        info = {k: v for k, v in c.items() if k != "system"}
        # Resource limits from systemd.services."container@NAME".serviceConfig land in the same
        # unit file, so a changed limit is a changed unit (reference E.3).
        limits = simresources.settings_of(ev.get("config"), name)
        unit = unit_of(name, c, top, conf, dirs, limits)
        if limits:
            unit["Resources"] = limits
        info.update({"toplevel": top, "conf": conf, "unit": unit})
        containers[name] = info
    if not ev["enableContainers"]:
        etc_files = {}  # environment.etc entries live inside mkIf config.boot.enableContainers
        for info in containers.values():
            info["unit"] = None
    etc_path = store_path("etc", json.dumps(etc_files, sort_keys=True))
    info = dict(dirs, hostName=ev["hostName"], stateVersion=sv, enableContainers=ev["enableContainers"],
                etc=etc_path, containers=containers, version=VERSION,
                template=simunit.container_unit(None, simunit.TEMPLATE_CONFIG, dirs, store_path))
    payload = json.dumps({"info": info, "config": ev.get("config")}, sort_keys=True)
    top = store_path("nixos-system-%s-%s" % (ev["hostName"], VERSION), payload)
    info["toplevel"] = top
    if realise:
        store_add(etc_path, dict(etc_files, **{"etc/.sim-etc": "simulated /etc/static\n"}))
        files = {"sim-system.json": json.dumps(info, indent=1, sort_keys=True) + "\n",
                 "nixos-version": VERSION + "\n",
                 "init": "#!/bin/sh\n# simulated NixOS init\nexit 0\n",
                 "etc": ("link", etc_path + "/etc"),
                 "sim-config.json": json.dumps(ev.get("config"), indent=1, sort_keys=True) + "\n"}
        files.update(tool_links(ev["enableContainers"]))
        store_add(top, files)
    return top, info


def _version_at_least(a, b):
    def parts(v):
        out = []
        for p in v.replace("-", ".").split("."):
            out.append(int(p) if p.isdigit() else 0)
        return out
    return parts(a) >= parts(b)


# ------------------------------------------------------------------ evaluation
def git_tracked_source(repo):
    """Flakes only see git-tracked files (reference G.1): copy `git ls-files` content
    (working-tree version) into /nix/store/<hash>-source, as Nix would fetch it."""
    def git(*a):
        return subprocess.run(["git", "-c", "safe.directory=*", "-C", repo] + list(a),
                              capture_output=True, text=True)
    ls = git("ls-files", "-z")
    if ls.returncode != 0:
        say("error: path '%s' is not a flake (git repository expected): %s" % (repo, ls.stderr.strip()))
        return None
    names = sorted(n for n in ls.stdout.split("\0") if n)
    files = {}
    h = hashlib.sha256()
    for n in names:
        fp = os.path.join(repo, n)
        if os.path.islink(fp):
            files[n] = ("link", os.readlink(fp))
            h.update(("L%s\0%s\0" % (n, os.readlink(fp))).encode())
        elif os.path.isfile(fp):
            with open(fp) as f:
                files[n] = f.read()
            h.update(("F%s\0" % n).encode() + files[n].encode() + b"\0")
    if git("status", "--porcelain", "--untracked-files=no").stdout.strip():
        say("warning: Git tree '%s' is dirty" % repo)
    path = "/nix/store/%s-source" % nix32_hash("source", h.hexdigest())
    store_add(path, files)
    return path


def nix_eval_cmd():
    """The real evaluator, never writing the store. Non-root users have no daemon here
    (on NixOS they would go through nix-daemon), so they evaluate against dummy://."""
    cmd = ["nix-instantiate"]
    if os.geteuid() != 0:
        cmd += ["--store", "dummy://"]
    return cmd + ["--readonly-mode", "--eval", "--strict", "--json"]


def evaluate(config_path, flake_ref=None, flake_attr=None):
    """Run the real nix-instantiate on the mini NixOS module system. Returns the
    evaluation data or None (error text already printed, nothing changed)."""
    k = knob_take("eval-fail")
    if k:
        say("error: simulated evaluation failure (fleet fault eval-fail)")
        say("(use '--show-trace' to show detailed location information)")
        return None
    args = nix_eval_cmd() + [EVAL_NIX, "--argstr", "hostName", HOST["name"]]
    if flake_ref is not None:
        src = git_tracked_source(flake_ref)
        if src is None:
            return None
        if not os.path.exists(os.path.join(src, "flake.nix")):
            say("error: source tree referenced by 'git+file://%s' does not contain a '/flake.nix' file" % flake_ref)
            return None
        args += ["--argstr", "flakeDir", src, "--argstr", "flakeAttr", flake_attr or HOST["name"]]
    else:
        if not os.path.exists(config_path):
            say("error: file 'nixos-config' was not found in the Nix search path (add it using $NIX_PATH or -I)"
                if config_path == "" else "error: getting status of '%s': No such file or directory" % config_path)
            return None
        args += ["--argstr", "configuration", os.path.abspath(config_path)]
    env = dict(os.environ)
    env.setdefault("HOME", "/root" if os.geteuid() == 0 else "/tmp")
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    files, stderr = store_files(p.stderr)
    if stderr:
        try:
            sys.stderr.write(stderr)
            sys.stderr.flush()
        except OSError:
            pass
    if p.returncode != 0:
        return None
    ev = json.loads(p.stdout)
    ev["storeFiles"] = files
    return ev


def evaluate_container_file(name, config_file):
    args = nix_eval_cmd() + [EVAL_NIX, "--argstr", "mode", "container", "--argstr", "containerName", name,
            "--argstr", "configuration", config_file]
    p = subprocess.run(args, capture_output=True, text=True)
    files, stderr = store_files(p.stderr)
    if stderr:
        say(stderr.rstrip("\n"))
    if p.returncode != 0:
        return None
    write_store_files(files)
    return json.loads(p.stdout)["system"]


# ------------------------------------------------------------------ profiles
def generations(profile="system", base=PROFILES):
    gens = []
    try:
        for e in os.listdir(base):
            if e.startswith(profile + "-") and e.endswith("-link"):
                mid = e[len(profile) + 1:-5]
                if mid.isdigit():
                    gens.append(int(mid))
    except OSError:
        pass
    return sorted(gens)


def current_generation(profile="system", base=PROFILES):
    try:
        t = os.readlink(os.path.join(base, profile))
    except OSError:
        return None
    mid = t[len(profile) + 1:-5] if t.startswith(profile + "-") else ""
    return int(mid) if mid.isdigit() else None


def set_profile(path, profile="system", base=PROFILES):
    """nix-env -p PROFILE --set PATH: a new generation unless it equals the last one."""
    os.makedirs(base, exist_ok=True)
    gens = generations(profile, base)
    if gens:
        last = os.path.join(base, "%s-%d-link" % (profile, gens[-1]))
        if os.path.realpath(last) == os.path.realpath(path):
            symlink_force("%s-%d-link" % (profile, gens[-1]), os.path.join(base, profile))
            return gens[-1]
    n = (gens[-1] + 1) if gens else 1
    symlink_force(path, os.path.join(base, "%s-%d-link" % (profile, n)))
    symlink_force("%s-%d-link" % (profile, n), os.path.join(base, profile))
    return n


def rollback_profile(profile="system", base=PROFILES, dry=False):
    cur = current_generation(profile, base)
    older = [g for g in generations(profile, base) if cur is None or g < cur]
    if not older:
        return None
    g = older[-1]
    if not dry:
        symlink_force("%s-%d-link" % (profile, g), os.path.join(base, profile))
    return g


# ------------------------------------------------------------------ units
def unit_state(name):
    return read_json(os.path.join(SIM_RUN, name + ".json"), None)


def save_unit_state(name, st):
    write_json_atomic(os.path.join(SIM_RUN, name + ".json"), st)


def is_active(name):
    st = unit_state(name)
    return bool(st and st.get("state") == "active")


def active_containers():
    out_ = []
    try:
        for e in sorted(os.listdir(SIM_RUN)):
            if e.endswith(".json"):
                st = read_json(os.path.join(SIM_RUN, e))
                if st and st.get("state") == "active":
                    out_.append(e[:-5])
    except OSError:
        pass
    return out_


def unit_exists(name, info=None):
    """container@NAME.service is loadable: declarative unit, or the template."""
    info = info or current_info()
    if not info.get("enableContainers"):
        return False
    return True


def parse_conf(path):
    vals = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.split("=", 1)
                    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                        v = v[1:-1]
                    vals[k.strip()] = v
    except OSError:
        return None
    return vals


class UnitError(Exception):
    def __init__(self, msg, code=1):
        Exception.__init__(self, msg)
        self.code = code


def _root_of(name, conf):
    info = current_info()
    decl = info.get("containers", {}).get(name)
    if decl and decl.get("ephemeral"):
        return "/run/nixos-containers/%s" % name
    return os.path.join(state_dir(), name)


def container_start(name, by="systemctl", log=True):
    """ExecStart of container@NAME.service (reference C.4), simulated: creates the state
    dirs, copies resolv.conf, runs `nixos-container update` for flake containers without
    a profile (G.13), then records the system the container runs."""
    info = current_info()
    if not unit_exists(name, info):
        raise UnitError("Unit container@%s.service not found." % name, 5)
    if is_active(name):
        return False
    conf_path = os.path.join(info.get("confDir", "/etc/nixos-containers"), name + ".conf")
    conf = parse_conf(conf_path) or {}
    root = _root_of(name, conf)
    for d, mode in (("usr/bin", 0o755), ("etc", 0o755), ("var/lib", 0o755), ("var/lib/private", 0o700), ("root", 0o700)):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, d), mode)
    os.makedirs("/run/nixos-containers", mode=0o700, exist_ok=True)
    for f in ("etc/os-release", "etc/machine-id"):
        fp = os.path.join(root, f)
        if not os.path.lexists(fp):
            open(fp, "a").close()
    for d in ("/nix/var/nix/profiles/per-container/%s" % name, "/nix/var/nix/gcroots/per-container/%s" % name):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
    if conf.get("COPY_RESOLV_CONF", "1") == "1" and os.path.exists("/etc/resolv.conf"):
        try:
            dst = os.path.join(root, "etc/resolv.conf")
            if os.path.lexists(dst):
                os.unlink(dst)
            shutil.copyfile("/etc/resolv.conf", dst)
        except OSError:
            pass
    profile_sys = "/nix/var/nix/profiles/per-container/%s/system" % name
    if conf.get("FLAKE") and not os.path.exists(profile_sys):
        import simcontainer
        rc = simcontainer.update_flake(name, conf["FLAKE"], quiet_reload=True)
        if rc != 0:
            _set_failed(name)
            raise UnitError(_job_failed("start", name))
    system = conf.get("SYSTEM_PATH") or profile_sys
    if not os.path.exists(system):
        _set_failed(name)
        raise UnitError(_job_failed("start", name))
    decl = info.get("containers", {}).get(name)
    argv = _nspawn_argv(name, conf, root, system, decl)
    complaint = simnspawn.check(argv)
    if complaint:
        _set_failed(name, journal=["container %s[%d]: %s" % (name, _fake_pid(name, 0), complaint),
                                   "container@%s.service: Main process exited, code=exited, status=1/FAILURE" % name,
                                   "container@%s.service: Failed with result 'exit-code'." % name])
        raise UnitError(_job_failed("start", name))
    _container_boot(name, root, system)
    import simruntime  # the container runs for real (lib/simruntime.py, lib/siminit.py)
    try:
        leader = simruntime.start(name, root, os.path.realpath(system), conf, argv, _start_timeout(name, info))
    except simruntime.StartFailed as e:
        _set_failed(name, journal=["container %s[%d]: %s" % (name, _fake_pid(name, 0), line) for line in e.args[0]]
                    + ["container@%s.service: Main process exited, code=exited, status=1/FAILURE" % name,
                       "container@%s.service: Failed with result 'exit-code'." % name])
        raise UnitError(_job_failed("start", name))
    st = unit_state(name) or {"name": name, "starts": 0, "reloads": 0, "stops": 0}
    st.update({"name": name, "state": "active", "system": os.path.realpath(system),
               "since": now_iso(), "root": root, "pid": leader,
               "nspawn": argv, "cgroup": applied_cgroup(name, info), "journal": []})
    st["starts"] = st.get("starts", 0) + 1
    save_unit_state(name, st)
    if log:
        event(event="unit", unit="container@%s.service" % name, op="start", system=st["system"], by=by)
    return True


def _start_timeout(name, info):
    """TimeoutStartSec of the unit, in seconds (infinity: an hour)."""
    decl = info.get("containers", {}).get(name) or {}
    usec = simunit.timeout_start_usec((decl.get("unit") or {}).get("TimeoutStartSec") or "1min")
    return 3600.0 if usec == simunit.INFINITY else usec / 1e6


def unit_limits(name, info=None):
    """The resource-control settings of container@NAME in the given (default: current) system."""
    decl = (info or current_info()).get("containers", {}).get(name) or {}
    return (decl.get("unit") or {}).get("Resources") or {}


def applied_cgroup(name, info=None):
    """What systemd realizes in a running container's cgroup from its loaded unit, at start and at
    every daemon-reload: the resource control and the device list (DeviceAllow=, on cgroup v2 a BPF
    program systemd attaches anew; systemd's unit_deserialize_state invalidates every realized
    cgroup setting of a reloaded unit)."""
    info = info or current_info()
    decl = info.get("containers", {}).get(name)
    unit = (decl or {}).get("unit") or info.get("template") or {}
    props = simresources.show_properties(unit_limits(name, info))
    props["DeviceAllow"] = simunit.parse_unit_file(unit.get("file", "")).get("DeviceAllow", [])
    return props


# The variables the start script passes into the container with --setenv, in its order.
SETENV = ("PRIVATE_NETWORK", "PRIVATE_USERS", "HOST_BRIDGE", "HOST_ADDRESS", "LOCAL_ADDRESS", "HOST_ADDRESS6",
          "LOCAL_ADDRESS6", "LOCAL_MAC_ADDRESS", "HOST_PORT")


def _nspawn_argv(name, conf, root, system, decl):
    """The words after `systemd-nspawn` as the start script (reference C.4, nixpkgs' startScript)
    runs it, in its order. The unit's own settings (ephemeral, capabilities, tmpfs, extra veths,
    written into the script: decl, or the template's for an imperative container) change only with
    the unit; the conf's are read at each start; EXTRA_NSPAWN_FLAGS is word-split unquoted (G.9).
    The argv of a running container is kept in its record: what it was started with."""
    c = decl or simunit.TEMPLATE_CONFIG
    caps = list(c["additionalCapabilities"]) + (["CAP_NET_ADMIN"] if c["enableTun"] else [])
    private_users = conf.get("PRIVATE_USERS", "")
    idmap = ":idmap" if private_users and simunit.user_namespaced(private_users) else ""
    extra = ["--private-network"] if conf.get("PRIVATE_NETWORK") == "1" else []
    extra += ["--private-users=" + private_users] if private_users else []
    if any(conf.get(v) for v in ("HOST_ADDRESS", "LOCAL_ADDRESS", "HOST_ADDRESS6", "LOCAL_ADDRESS6", "LOCAL_MAC_ADDRESS")):
        extra.append("--network-veth")
    extra += ["--port=" + p for p in conf.get("HOST_PORT", "").split(",") if p]
    extra += ["--network-bridge=" + conf["HOST_BRIDGE"]] if conf.get("HOST_BRIDGE") else []
    extra += ["--network-namespace-path=" + conf["NETWORK_NAMESPACE_PATH"]] if conf.get("NETWORK_NAMESPACE_PATH") else []
    extra += ["--network-veth-extra=" + v for v in sorted(c["extraVeths"])]
    extra += ["--network-interface=" + i for i in conf.get("INTERFACES", "").split()]
    extra += ["--network-macvlan=" + i for i in conf.get("MACVLANS", "").split()]
    argv = ["--keep-unit", "-M", name, "-D", root] + extra + [
        "--notify-ready=yes", "--kill-signal=SIGRTMIN+3",
        "--bind-ro=/nix/store:/nix/store" + idmap,
        "--bind-ro=/nix/var/nix/db:/nix/var/nix/db" + idmap,
        "--bind-ro=/nix/var/nix/daemon-socket:/nix/var/nix/daemon-socket" + idmap,
        "--bind=/nix/var/nix/profiles/per-container/%s:/nix/var/nix/profiles%s" % (name, idmap),
        "--bind=/nix/var/nix/gcroots/per-container/%s:/nix/var/nix/gcroots%s" % (name, idmap)]
    argv += [] if c["ephemeral"] else ["--link-journal=try-guest"]
    for var in SETENV:
        argv += ["--setenv", "%s=%s" % (var, conf.get(var, ""))]
    argv += ["--setenv", "PATH=" + simunit.unit_path(store_path)]
    argv += ["--ephemeral"] if c["ephemeral"] else []
    argv += ["--capability=" + ",".join(caps)] if caps else []
    argv += ["--tmpfs=" + t for t in c["tmpfs"]]
    argv += conf.get("EXTRA_NSPAWN_FLAGS", "").split()
    # containerInit, a script of its own that sets up the extra veths inside: its path follows them.
    init = store_path("container-init", json.dumps(c["extraVeths"], sort_keys=True))
    return argv + [init, system + "/init"]


def _container_boot(name, root, system):
    """What the container's own stage 2 would do that the host can see: sshd host keys
    are generated at first boot when services.openssh.enable is set."""
    cfg = (read_json(os.path.join(system, "sim-container.json"), {}) or {}).get("config") or {}
    if ((cfg.get("services") or {}).get("openssh") or {}).get("enable") is True:
        key = os.path.join(root, "etc/ssh/ssh_host_ed25519_key")
        if not os.path.exists(key):
            os.makedirs(os.path.dirname(key), exist_ok=True)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@" + name, "-f", key],
                           capture_output=True)


def _fake_pid(name, n):
    return 10000 + int(hashlib.sha256(("%s:%d" % (name, n)).encode()).hexdigest()[:6], 16) % 50000


def _job_failed(verb, name):
    return ("Job for container@%s.service failed because the control process exited with error code.\n"
            "See \"systemctl status container@%s.service\" and \"journalctl -xeu container@%s.service\" for details."
            % (name, name, name))


def _set_failed(name, journal=None):
    import simruntime
    simruntime.stop(name)
    st = unit_state(name) or {"name": name, "starts": 0, "reloads": 0, "stops": 0}
    st.update({"state": "failed", "since": now_iso(), "pid": 0})
    if journal is not None:
        st["journal"] = journal
    save_unit_state(name, st)
    import simjournal
    simjournal.on_failed(name, journal)


def container_stop(name, by="systemctl", op="stop", log=True):
    st = unit_state(name)
    if not st or st.get("state") not in ("active", "failed"):
        return False
    was = st.get("state")
    if was == "active":
        import simruntime
        simruntime.stop(name)
    st.update({"state": "inactive", "since": now_iso(), "pid": 0})
    st["stops"] = st.get("stops", 0) + 1
    save_unit_state(name, st)
    if was == "active" and log:
        event(event="unit", unit="container@%s.service" % name, op=op, system=st.get("system"), by=by)
        if st.get("root", "").startswith("/run/nixos-containers/"):
            shutil.rmtree(st["root"], ignore_errors=True)  # ephemeral: removed at shutdown
    return was == "active"


def container_reload(name, by="systemctl"):
    """ExecReload (reference C.3): `nixos-container run "$INSTANCE" -- bash --login -c
    "${SYSTEM_PATH:-/nix/var/nix/profiles/system}/bin/switch-to-configuration test"`, with
    the conf read again; the container's switch-to-configuration (lib/siminit.py) activates
    that system in place. Its output goes to the unit's journal; a failure (exit 4: a unit
    inside failed) fails the reload, and the container keeps running what it activated."""
    if not is_active(name):
        raise UnitError("container@%s.service is not active, cannot reload." % name)
    conf = parse_conf(os.path.join(conf_dir(), name + ".conf")) or {}
    system = conf.get("SYSTEM_PATH") or "/nix/var/nix/profiles/system"
    host_view = system if conf.get("SYSTEM_PATH") else "/nix/var/nix/profiles/per-container/%s/system" % name
    failed = ("Job for container@%s.service failed because the control process exited with error code.\n"
              "See \"systemctl status container@%s.service\" and \"journalctl -xeu container@%s.service\" for details."
              % (name, name, name))
    import simjournal
    simjournal.host_line(name, "Reloading Container '%s'..." % name)
    p = subprocess.run([os.path.join(TOOLS, "bin", "nixos-container"), "run", name, "--", "bash", "--login", "-c",
                        "%s/bin/switch-to-configuration test" % system],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, INSTANCE=name))
    for line in p.stdout.splitlines():
        simjournal.host_line(name, line, ident="container %s" % name, pid=_fake_pid(name, 1))
    st = unit_state(name)
    if os.path.exists(host_view):
        st["system"] = os.path.realpath(host_view)
    st["reloads"] = st.get("reloads", 0) + 1
    st["lastReload"] = now_iso()
    save_unit_state(name, st)
    event(event="unit", unit="container@%s.service" % name, op="reload", system=st["system"], by=by,
          **({} if p.returncode == 0 else {"failed": True, "exitCode": p.returncode}))
    if p.returncode != 0:
        simjournal.host_line(name, "container@%s.service: Control process exited, code=exited, status=%d/%s"
                             % (name, p.returncode, {1: "FAILURE", 4: "NOPERMISSION"}.get(p.returncode, str(p.returncode))))
        simjournal.host_line(name, "Reload failed for Container '%s'." % name)
        raise UnitError(failed)
    simjournal.host_line(name, "Reloaded Container '%s'." % name)


# ------------------------------------------------------------------ switch-to-configuration
def _lock_stc():
    os.makedirs("/run/nixos", exist_ok=True)
    fd = os.open(STC_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _etc_activate(info):
    """setup-etc: /etc/static -> the new etc tree; declarative conf symlinks in
    /etc/nixos-containers (imperative regular files are left alone)."""
    etc = info["etc"] + "/etc"
    symlink_force(etc, "/etc/static")
    cdir = info["confDir"]
    os.makedirs(cdir, exist_ok=True)
    os.chmod(cdir, 0o755)
    wanted = set()
    if info["enableContainers"]:
        for name in info["containers"]:
            wanted.add(name + ".conf")
            symlink_force("/etc/static/%s/%s.conf" % (info["confDirName"], name), os.path.join(cdir, name + ".conf"))
    for d in ("/etc/nixos-containers", "/etc/containers"):
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for e in entries:
            fp = os.path.join(d, e)
            if os.path.islink(fp) and os.readlink(fp).startswith("/etc/static/") and not (d == cdir and e in wanted):
                os.unlink(fp)


def stc_plan(old, new):
    """Compute what switch-to-configuration does to container units (reference E.3)."""
    oldc = (old or {}).get("containers", {}) if (old or {}).get("enableContainers") else {}
    newc = new["containers"] if new["enableContainers"] else {}
    stop, restart, skip, start_new = [], [], [], []
    for name in active_containers():
        o = oldc.get(name)
        n = newc.get(name)
        if n is None:
            # declarative unit gone; an imperative container keeps the template unless it is gone too
            if o is not None or not new["enableContainers"]:
                stop.append(name)
            continue
        if o is None:
            # was imperative (template instance), now declarative: unit file changed
            o_unit = None
        else:
            o_unit = o["unit"]
        if o_unit != n["unit"]:
            if n["unit"]["X-RestartIfChanged"]:
                restart.append(name)
            else:
                skip.append(name)
    for name, n in sorted(newc.items()):
        if n["autoStart"] and name not in stop and not is_active(name):
            start_new.append(name)
    return {"stop": stop, "restart": restart, "skip": skip, "startNew": start_new}


def _daemon_reload(info):
    """systemd re-applies the cgroup settings of every reloaded unit to its running processes:
    a running container gets its new limits here, whether or not it is restarted afterwards."""
    for name in active_containers():
        st = unit_state(name)
        applied = applied_cgroup(name, info)
        if st.get("cgroup") != applied:
            st["cgroup"] = applied
            save_unit_state(name, st)
            event(event="unit", unit="container@%s.service" % name, op="cgroup-applied", by="daemon-reload")


def _units(names):
    return ", ".join("container@%s.service" % n for n in names)


def switch_to_configuration(system_path, action):
    """Activate SYSTEM_PATH: action in switch|test|dry-activate|boot. Returns exit code."""
    new = system_info(system_path)
    if new is None:
        say("This is not a NixOS installation!")
        return 1
    old = system_info(current_system())
    if action == "boot":
        return 0  # bootloader only
    plan = stc_plan(old, new)
    if action == "dry-activate":
        if plan["stop"] or plan["restart"]:
            say("would stop the following units: " + _units(sorted(plan["stop"] + plan["restart"])))
        if plan["skip"]:
            say("would NOT stop the following changed units: " + _units(plan["skip"]))
        say("would activate the configuration...")
        if plan["restart"]:
            say("would start the following units: " + _units(plan["restart"]))
        if plan["startNew"]:
            say("would start the following units: " + _units(plan["startNew"]))
        return 0
    global LAST_STC_ERROR
    fd = _lock_stc()
    if fd is None:
        LAST_STC_ERROR = "lock"
        say("Could not acquire lock")
        return 1
    try:
        k = knob_get("rebuild-sleep")
        if k and k.get("phase") == "activate" and k.get("seconds", 0) > 0:
            time.sleep(k["seconds"])
        fail = knob_take("activate-fail")
        if plan["stop"] or plan["restart"]:
            say("stopping the following units: " + _units(sorted(plan["stop"] + plan["restart"])))
        for n in sorted(plan["stop"]):
            container_stop(n, by="switch-to-configuration")
        for n in plan["restart"]:
            container_stop(n, by="switch-to-configuration", log=False)
        if plan["skip"]:
            say("NOT restarting the following changed units: " + _units(plan["skip"]))
        say("activating the configuration...")
        say("setting up /etc...")
        _etc_activate(new)
        symlink_force(system_path, "/run/current-system")
        _daemon_reload(new)
        say("reloading user units for root...")
        say("setting up tmpfiles")
        failed = []
        if plan["restart"]:
            say("starting the following units: " + _units(plan["restart"]))
        for n in plan["restart"]:
            try:
                container_start(n, by="switch-to-configuration", log=False)
                event(event="unit", unit="container@%s.service" % n, op="restart",
                      system=(unit_state(n) or {}).get("system"), by="switch-to-configuration")
            except UnitError:
                failed.append("container@%s.service" % n)
        started = []
        for n in plan["startNew"]:
            try:
                if container_start(n, by="switch-to-configuration"):
                    started.append(n)
            except UnitError:
                failed.append("container@%s.service" % n)
        if started:
            say("the following new units were started: " + _units(started))
        if fail:
            unit = fail.get("unit") or (("container@%s.service" % (plan["restart"] + started)[0])
                                        if (plan["restart"] + started) else "nixos-sim-fault.service")
            if unit.startswith("container@") and unit.endswith(".service"):
                _set_failed(unit[len("container@"):-len(".service")])
            failed.append(unit)
        if failed:
            say("warning: the following units failed: " + ", ".join(failed))
            for u in failed:
                say("\n× %s\n     Loaded: loaded\n     Active: failed (Result: exit-code) since %s" % (u, now_iso()))
                if u.startswith("container@") and u.endswith(".service"):
                    for line in (unit_state(u[len("container@"):-len(".service")]) or {}).get("journal", []):
                        say("%s %s %s" % (now_iso(), HOST["name"], line))
            return 4
        return 0
    finally:
        os.close(fd)


def boot_activate():
    """What a (re)boot does: /run/current-system = the boot default profile, /etc set up,
    autoStart containers started (machines.target)."""
    prof = os.path.join(PROFILES, "system")
    if not os.path.exists(prof):
        return
    target = os.path.realpath(prof)
    info = system_info(target)
    if info is None:
        return
    _etc_activate(info)
    symlink_force(target, "/run/current-system")
    symlink_force(target, "/run/booted-system")
    event(event="boot", system=target)
    if info.get("enableContainers"):
        for name, c in sorted(info["containers"].items()):
            if c["autoStart"]:
                try:
                    container_start(name, by="boot")
                except UnitError as e:
                    say(str(e))
