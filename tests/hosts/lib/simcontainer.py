"""Simulated `nixos-container` (reference D.1-D.3), the Perl tool of nixpkgs
(pkgs/by-name/ni/nixos-container/nixos-container.pl) re-told in Python with its
messages verbatim. `$0` in messages is argv[0], as in Perl."""
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys

import simhost as H

ARGV0 = sys.argv[0] if sys.argv and sys.argv[0] else "nixos-container"
USAGE = """Usage: nixos-container list
       nixos-container create <container-name>
         [--nixos-path <path>]
         [--system-path <path>]
         [--config string]
         [--config-file <path>]
         [--flake flakeref]
         [--ensure-unique-name]
         [--auto-start]
         [--bridge <iface>]
         [--port <port>]
         [--host-address <string>]
         [--local-address <string>]
       nixos-container destroy <container-name>
       nixos-container restart <container-name>
       nixos-container start <container-name>
       nixos-container stop <container-name>
       nixos-container terminate <container-name>
       nixos-container status <container-name>
       nixos-container update <container-name>
         [--config <string>]
         [--config-file <path>]
         [--flake <flakeref>]
         [--nixos-path <path>]
       nixos-container login <container-name>
       nixos-container root-login <container-name>
       nixos-container run <container-name> -- args...
       nixos-container show-ip <container-name>
       nixos-container show-host-key <container-name>
"""


class Die(Exception):
    def __init__(self, msg, code=1):
        Exception.__init__(self, msg)
        self.code = code


def die(msg, code=1):
    raise Die(msg, code)


def profile_dir(name):
    return "/nix/var/nix/profiles/per-container/%s" % name


def flake_build(flake, attr="container"):
    """Simulated `nix build FLAKE#nixosConfigurations."ATTR".config.system.build.toplevel`.
    Local flakes (paths, path:, git+file:) must exist and contain a parseable flake.nix;
    remote refs are "built" from their text alone (no network here)."""
    if "#" in flake:
        H.say("error: flake '%s' does not provide attribute 'packages.x86_64-linux.%s#nixosConfigurations.\"%s\".config.system.build.toplevel'"
              % (flake.split("#", 1)[0], flake.split("#", 1)[1], attr))
        return None
    ref = flake
    for pre in ("git+file://", "path:", "git+file:"):
        if ref.startswith(pre):
            ref = ref[len(pre):]
    local = ref.startswith("/") or ref.startswith(".")
    digest = flake + "#" + attr
    if local:
        d = os.path.realpath(ref)
        fn = os.path.join(d, "flake.nix")
        if not os.path.exists(fn):
            H.say("error: path '%s' does not contain a 'flake.nix', searching up" % d if os.path.isdir(d)
                  else "error: getting status of '%s': No such file or directory" % d)
            return None
        p = subprocess.run(["nix-instantiate", "--parse", fn], capture_output=True, text=True)
        if p.returncode != 0:
            H.say(p.stderr.rstrip("\n"))
            return None
        h = hashlib.sha256()
        for root, dirs, files in os.walk(d):
            dirs[:] = sorted(x for x in dirs if x != ".git")
            for f in sorted(files):
                fp = os.path.join(root, f)
                h.update(fp.encode())
                try:
                    with open(fp, "rb") as fh:
                        h.update(fh.read())
                except OSError:
                    pass
        digest += h.hexdigest()
    return _flake_system(flake, attr, digest)


def _flake_system(flake, attr, digest):
    p = H.store_path("nixos-system-%s-%s" % (attr, H.VERSION), digest)
    if not os.path.lexists(p):
        H.store_add(p, dict(H.container_system_files(attr, {}), **{
            "sim-container.json": '{"flake": %s, "attr": %s}\n' % (_js(flake), _js(attr)),
            "init": "#!/bin/sh\nexit 0\n",
            "nixos-version": H.VERSION + "\n",
        }))
    return p


def _js(s):
    import json
    return json.dumps(s)


def set_container_profile(name, path):
    os.makedirs("/nix/var/nix/profiles/per-container", exist_ok=True)
    os.chmod("/nix/var/nix/profiles/per-container", 0o700)
    os.makedirs(profile_dir(name), exist_ok=True)
    return H.set_profile(path, "system", profile_dir(name))


def update_flake(name, flake, quiet_reload=False, attr=None):
    if attr is None:
        attr = "container"
    p = flake_build(flake, attr)
    if p is None:
        H.say("%s: failed to build container from flake '%s'" % (ARGV0, flake))
        return 1
    set_container_profile(name, p)
    H.event(event="container-update", container=name, flake=flake, system=p)
    return 0


def write_container_config(name, root, config=None, config_file=None):
    d = os.path.join(root, "etc/nixos")
    os.makedirs(d, exist_ok=True)
    if config_file is not None:
        extra = "imports = [ %s ];" % os.path.abspath(config_file)
    else:
        extra = config or ""
    text = """{ config, lib, pkgs, ... }:

with lib;

{ boot.isContainer = true;
  networking.hostName = mkDefault "%s";
  networking.useDHCP = false;
  %s
}
""" % (name, extra)
    with open(os.path.join(d, "configuration.nix"), "w") as f:
        f.write(text)


def build_from_config(name, root):
    cfgfile = os.path.join(root, "etc/nixos/configuration.nix")
    if not os.path.exists(cfgfile):
        H.say("error: getting status of '%s': No such file or directory" % cfgfile)
        return None
    system = H.evaluate_container_file(name, cfgfile)
    if system is None:
        return None
    return H.build_container_system(name, system)


def get_opts(args, spec):
    """Getopt::Long-ish: spec maps option name -> takes value (bool)."""
    opts, rest = {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest += args[i:]
            break
        if a.startswith("--"):
            key, val = a[2:], None
            if "=" in key:
                key, val = key.split("=", 1)
            if key not in spec:
                H.say("Unknown option: %s" % key)
                raise Die(None, 1)
            if spec[key] == 2:  # two values (--option K V, --override-input A B)
                opts.setdefault(key, []).append((args[i + 1], args[i + 2]))
                i += 3
                continue
            if spec[key]:
                if val is None:
                    if i + 1 >= len(args):
                        H.say("Option %s requires an argument" % key)
                        raise Die(None, 1)
                    val = args[i + 1]
                    i += 1
                opts[key] = val
            else:
                opts[key] = True
        else:
            rest.append(a)
        i += 1
    return opts, rest


SPEC = {"help": 0, "ensure-unique-name": 0, "auto-start": 0, "bridge": 1, "port": 1, "host-address": 1,
        "local-address": 1, "nixos-path": 1, "system-path": 1, "signal": 1, "config": 1, "config-file": 1,
        "flake": 1, "log-format": 1, "option": 2, "impure": 0, "update-input": 1, "override-input": 2,
        "commit-lock-file": 0, "no-registries": 0, "no-update-lock-file": 0, "no-write-lock-file": 0,
        "no-allow-dirty": 0, "recreate-lock-file": 0}


def main(argv):
    os.umask(0o022)
    os.environ["NIXOS_CONFIG"] = ""
    conf_dir = H.conf_dir()
    state_dir = H.state_dir()
    os.makedirs(conf_dir, mode=0o755, exist_ok=True)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    opts, rest = get_opts(argv, SPEC)
    if opts.get("help"):
        sys.stdout.write(USAGE)
        return 0
    if ("host-address" in opts) != ("local-address" in opts):
        die("With --host-address set, --local-address is required as well! at %s line 90.\n" % ARGV0)
    if "config" in opts and "config-file" in opts:
        die("--config and --config-file are mutually incompatible. Please define one or the other, but not both at %s line 94.\n" % ARGV0)
    flake_attr = "container"
    if "flake" in opts and "#" in opts["flake"]:
        opts["flake"], flake_attr = opts["flake"].split("#", 1)
    if not rest:
        die("%s: no action specified\n" % ARGV0)
    action = rest[0]
    args = rest[1:]
    if action == "list":
        try:
            for e in sorted(os.listdir(conf_dir)):
                m = re.match(r"^(.*)\.conf$", e)
                if m and not (conf_dir == "/etc/containers" and m.group(1) in ("libpod", "containers", "registries")):
                    H.out(m.group(1))
        except OSError:
            pass
        return 0
    if not args:
        die("%s: no container name specified\n" % ARGV0)
    name = args[0]
    if not re.match(r"^[a-zA-Z0-9_-]+$", name):
        die("%s: invalid container name\n" % ARGV0)
    conf = os.path.join(conf_dir, name + ".conf")
    root = os.path.join(state_dir, name)

    if action == "create":
        return create(name, opts, conf_dir, state_dir, flake_attr)
    if action not in ("destroy", "restart", "start", "stop", "terminate", "status", "update", "login",
                      "root-login", "run", "show-ip", "show-host-key"):
        if not os.path.exists(conf):
            die("%s: container ‘%s’ does not exist\n" % (ARGV0, name), 2)
        die("%s: unknown action ‘%s’\n" % (ARGV0, action))
    if not os.path.exists(conf):
        if action == "destroy":
            return 0
        if action == "status":
            H.out("gone")
        die("%s: container ‘%s’ does not exist\n" % (ARGV0, name), 2)

    if action == "destroy":
        if not os.access(conf, os.W_OK):
            die("%s: cannot destroy declarative container (remove it from your configuration.nix instead)\n" % ARGV0)
        if H.is_active(name):
            H.container_stop(name, by="nixos-container", op="terminate")
        for d in (profile_dir(name), "/nix/var/nix/gcroots/per-container/%s" % name, root):
            if os.path.lexists(d):
                shutil.rmtree(d, ignore_errors=True)
        os.unlink(conf)
        H.event(event="container-destroy", container=name)
        return 0
    if action == "start":
        return _unit("start", name, "failed to start container")
    if action == "stop":
        return _unit("stop", name, "failed to stop container")
    if action == "restart":
        _unit("stop", name, "failed to stop container")
        return _unit("start", name, "failed to start container")
    if action == "terminate":
        if not H.is_active(name):
            die("%s: unable to get container's main PID\n" % ARGV0)
        H.container_stop(name, by="nixos-container", op="terminate")
        return 0
    if action == "status":
        H.out("up" if H.is_active(name) else "down")
        return 0
    if action == "update":
        return update(name, opts, conf, root, flake_attr)
    if action == "login":
        die("%s: 'login' needs a real container's getty; the simulated host has none (tests/hosts/README.md)\n" % ARGV0)
    if action in ("root-login", "run"):
        # nsenter into the leader's namespaces, then `su root -l` (-c "exec 'arg' ...") there
        # (reference D.2; lib/simruntime.py, enter)
        import simruntime
        cmd = args[1:]
        if cmd and cmd[0] == "--":
            cmd = cmd[1:]
        argv = simruntime.enter(name, cmd, interactive=action == "root-login") if H.is_active(name) else None
        if argv is None:
            die("%s: unable to get container's main PID\n" % ARGV0)
        if action == "root-login":
            os.execvp(argv[0], argv)
        H.event(event="container-run", container=name, cmd=cmd)
        try:
            return subprocess.call(argv)
        except OSError as e:
            H.say(str(e))
            return 1
    if action == "show-ip":
        text = _read(conf)
        m = re.search(r"^LOCAL_ADDRESS=([0-9\.]+)(\/[0-9]+)?$", text, re.M)
        if not m:
            m = re.search(r"^LOCAL_ADDRESS6=([0-9a-f:]+)(\/[0-9]+)?$", text, re.M)
        if not m:
            die("%s: cannot get IP address\n" % ARGV0)
        H.out(m.group(1))
        return 0
    if action == "show-host-key":
        for k in ("ssh_host_ed25519_key.pub", "ssh_host_ecdsa_key.pub"):
            p = os.path.join(root, "etc/ssh", k)
            if os.path.exists(p):
                sys.stdout.write(_read(p))
                return 0
        return 1
    return 0


def _read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return ""


def _unit(op, name, failmsg):
    try:
        if op == "start":
            H.container_start(name, by="nixos-container")
        else:
            H.container_stop(name, by="nixos-container")
    except H.UnitError as e:
        H.say(str(e))
        die("%s: %s\n" % (ARGV0, failmsg))
    return 0


def update(name, opts, conf, root, flake_attr):
    flake = opts.get("flake")
    if flake is None and "config" not in opts and "config-file" not in opts:
        m = re.search(r"^FLAKE=(.*)$", _read(conf), re.M)
        if m:
            flake = m.group(1)
    if flake is not None:
        if update_flake(name, flake, attr=flake_attr) != 0:
            raise Die(None, 1)
    else:
        if "config" in opts or "config-file" in opts:
            write_container_config(name, root, opts.get("config"), opts.get("config-file"))
        p = build_from_config(name, root)
        if p is None:
            die("%s: failed to build container configuration\n" % ARGV0)
        set_container_profile(name, p)
        H.event(event="container-update", container=name, system=p)
    if H.is_active(name):
        H.say("reloading container...")
        try:
            H.container_reload(name, by="nixos-container")
        except H.UnitError as e:
            H.say(str(e))
            die("%s: failed to reload container\n" % ARGV0)
    return 0


def create(name, opts, conf_dir, state_dir, flake_attr):
    os.makedirs("/run/lock", exist_ok=True)
    lock = open("/run/lock/nixos-container", "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    conf = os.path.join(conf_dir, name + ".conf")
    root = os.path.join(state_dir, name)
    if opts.get("ensure-unique-name"):
        base, nr = name, 0
        while os.path.exists(conf) or os.path.exists(root):
            name = "%s-%d" % (base, nr)
            nr += 1
            conf = os.path.join(conf_dir, name + ".conf")
            root = os.path.join(state_dir, name)
    if os.path.exists(conf):
        die("%s: container ‘%s’ already exists\n" % (ARGV0, name))
    if len(name) > 11:
        die("%s: container name ‘%s’ is too long\n" % (ARGV0, name))
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    host_addr, local_addr = opts.get("host-address"), opts.get("local-address")
    if host_addr is None:
        used = set()
        for e in os.listdir(conf_dir):
            if e.endswith(".conf"):
                t = _read(os.path.join(conf_dir, e))
                for m in re.finditer(r"^(?:HOST|LOCAL)_ADDRESS=([0-9\.]+)$", t, re.M):
                    used.add(m.group(1))
        for n in range(1, 255):
            h, l_ = "10.233.%d.1" % n, "10.233.%d.2" % n
            if h not in used and l_ not in used:
                host_addr, local_addr = h, l_
                break
        if host_addr is None:
            die("%s: out of IP addresses\n" % ARGV0)
    H.say("host IP is %s, container IP is %s" % (host_addr, local_addr))
    text = ("PRIVATE_NETWORK=1\nHOST_ADDRESS=%s\nLOCAL_ADDRESS=%s\nHOST_BRIDGE=%s\nHOST_PORT=%s\nAUTO_START=%d\n"
            % (host_addr, local_addr, opts.get("bridge", ""), opts.get("port", ""), 1 if opts.get("auto-start") else 0))
    if opts.get("flake"):
        text += "FLAKE=%s\n" % opts["flake"]
    with open(conf, "w") as f:
        f.write(text)
    os.makedirs("/nix/var/nix/profiles/per-container", exist_ok=True)
    os.chmod("/nix/var/nix/profiles/per-container", 0o700)
    os.makedirs(profile_dir(name), exist_ok=True)
    os.chmod(profile_dir(name), 0o755)

    def cleanup():
        for d in (profile_dir(name), root):
            shutil.rmtree(d, ignore_errors=True)
        try:
            os.unlink(conf)
        except OSError:
            pass
    if opts.get("flake"):
        p = flake_build(opts["flake"], flake_attr)
        if p is None:
            cleanup()
            die("%s: failed to build container from flake '%s'\n" % (ARGV0, opts["flake"]))
        set_container_profile(name, p)
    elif opts.get("system-path"):
        set_container_profile(name, opts["system-path"])
    else:
        os.makedirs(root, mode=0o700, exist_ok=True)
        write_container_config(name, root, opts.get("config"), opts.get("config-file"))
        p = build_from_config(name, root)
        if p is None:
            cleanup()
            die("%s: failed to build initial container configuration\n" % ARGV0)
        set_container_profile(name, p)
    H.event(event="container-create", container=name)
    if opts.get("ensure-unique-name"):
        H.out(name)
    return 0


def run(argv):
    try:
        return main(argv)
    except Die as e:
        if e.args and e.args[0]:
            sys.stderr.write(e.args[0])
        return e.code
