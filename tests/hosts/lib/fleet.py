"""Fleet manager of the simulated NixOS hosts (tests/hosts/fleet).

  fleet up N [--flake-hosts I,J] [--no-index-import[=I,J]]
  fleet down | status | stop-host I | start-host I
  fleet fault I KIND [ARGS] | fault I clear

State: $FLEET_STATE (default <repo>/.state/fleet). Host I listens on
$FLEET_SUBNET.(10+I):22 ($FLEET_SUBNET defaults to 127.0.0).
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

TOOLS = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
REPO = os.path.dirname(os.path.dirname(TOOLS))
STATE = os.path.abspath(os.environ.get("FLEET_STATE") or os.path.join(REPO, ".state", "fleet"))
DEPLOY_UID = 4242
FORBIDDEN = ("/etc", "/var", "/run", "/nix", "/root", "/home")


def die(msg, code=1):
    sys.stderr.write("fleet: %s\n" % msg)
    sys.exit(code)


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


def read(p, default=None):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return default


def write(p, text, mode=0o644):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)


def fleet_conf():
    p = os.path.join(STATE, "fleet.json")
    c = json.loads(read(p, "null") or "null")
    if c is None:
        c = {"subnet": os.environ.get("FLEET_SUBNET", "127.0.0"), "hosts": {}}
    return c


def save_fleet_conf(c):
    write(os.path.join(STATE, "fleet.json"), json.dumps(c, indent=1) + "\n")


def hostdir(i):
    return os.path.join(STATE, "host%d" % i)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    st = read("/proc/%d/stat" % pid, "")
    return bool(st) and st[st.rindex(")") + 2] != "Z"


def host_pid(i):
    p = read(os.path.join(hostdir(i), "pid"))
    if not p:
        return None
    pid = int(p.strip())
    return pid if pid_alive(pid) else None


def ns_pids(i):
    """Every process living in host I's mount namespace (sshd, sessions, knob helpers)."""
    ns = (read(os.path.join(hostdir(i), "mntns")) or "").strip()
    if not ns:
        return []
    me = os.getpid()
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit() and int(e) != me:
            try:
                if os.readlink("/proc/%s/ns/mnt" % e) == ns:
                    out.append(int(e))
            except OSError:
                pass
    return out


# ------------------------------------------------------------------ the machine
# What a host's boot mounts or runs from the machine. On a machine where Nix never ran,
# Debian's nix-bin has installed the binaries but not /nix: the first Nix command creates it.
# /nix/var/nix/daemon-socket: NixOS's nix-daemon.socket listens there, and every container's start
# binds it (nspawn refuses a missing bind source); a machine without a nix-daemon lacks it.
NIX_DIRS = ("/nix/store", "/nix/var/nix/profiles", "/nix/var/nix/gcroots", "/nix/var/nix/db",
            "/nix/var/nix/daemon-socket", "/nix/var/nix/temproots", "/nix/var/log/nix")
MACHINE_TOOLS = (
    ("/usr/sbin/sshd", "openssh-server"), ("ssh-keygen", "openssh-client"), ("nix-instantiate", "nix-bin"),
    ("unshare", "util-linux"), ("nsenter", "util-linux"), ("openssl", "openssl"), ("git", "git"),
    ("sudo", "sudo"), ("ip", "iproute2"),
)


def prepare_machine():
    """Create what a fresh machine lacks before any host relies on it, or say exactly what is
    missing and how to get it (never a bare mount error from a host's boot)."""
    missing = sorted({pkg for tool, pkg in MACHINE_TOOLS if not shutil.which(tool)})
    if missing:
        die("this machine lacks %s; install them with scripts/system-deps.sh (or apt-get install %s)"
            % (", ".join(missing), " ".join(missing)))
    for d in NIX_DIRS:
        try:
            os.makedirs(d, exist_ok=True)
        except OSError as e:
            die("cannot create %s, which every simulated host mounts or reads (%s). Nix has never run on this "
                "machine and /nix is not writable: create it as root (mkdir -p %s)" % (d, e.strerror, d))
    probe = os.path.join(STATE, ".overlay-probe")
    for sub in ("lower", "upper", "work", "merged"):
        os.makedirs(os.path.join(probe, sub), exist_ok=True)
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "mount", "-t", "overlay", "overlay",
                        "-o", "lowerdir=/nix/store,upperdir={0}/upper,workdir={0}/work".format(probe),
                        os.path.join(probe, "merged")], capture_output=True, text=True)
    shutil.rmtree(probe, ignore_errors=True)
    if r.returncode != 0:
        die("this machine cannot mount an overlay file system over /nix/store, which every simulated host needs "
            "(its own writable store): %s. The fleet needs root on Linux with overlayfs (modprobe overlay)"
            % (r.stderr.strip() or "exit %d" % r.returncode))


# ------------------------------------------------------------------ keys
def ensure_keys():
    k = os.path.join(STATE, "keys")
    os.makedirs(k, exist_ok=True)
    os.chmod(k, 0o755)
    secrets_p = os.path.join(k, "secrets.json")
    s = json.loads(read(secrets_p, "null") or "null")
    if s is None:
        s = {"deployPassword": "deploy-" + secrets.token_hex(8), "passphrase": "pass-" + secrets.token_hex(8)}
        write(secrets_p, json.dumps(s, indent=1) + "\n", 0o600)
    for name, pw in (("root_ed25519", ""), ("deploy_ed25519", ""), ("root_passphrase_ed25519", s["passphrase"])):
        p = os.path.join(k, name)
        if not os.path.exists(p):
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", pw, "-C", "fleet-" + name, "-f", p)
        os.chmod(p, 0o600)
    return s


# ------------------------------------------------------------------ host creation
CONFIGURATION_NIX = """# /etc/nixos/configuration.nix of simulated host {name} (tests/hosts).
{{ config, lib, pkgs, ... }}:
{{
  imports = [ ./hardware-configuration.nix{imp} ];

  boot.enableContainers = true;
  boot.loader.grub.device = "/dev/vda";
  networking.hostName = "{name}";
  services.openssh.enable = true;
  users.users.deploy = {{ isNormalUser = true; extraGroups = [ "wheel" ]; }};
  environment.systemPackages = with pkgs; [ git vim curl ];

  system.stateVersion = "25.11";
}}
"""
HARDWARE_NIX = """# Do not modify this file!  It was generated by ‘nixos-generate-config’ (simulated).
{ config, lib, pkgs, modulesPath, ... }:
{
  imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];
  boot.initrd.availableKernelModules = [ "virtio_pci" "virtio_blk" ];
  fileSystems."/" = { device = "/dev/vda1"; fsType = "ext4"; };
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
}
"""
NIX_CONF = """# WARNING: this file is generated from the nix.* options in
# your NixOS configuration, typically
# /etc/nixos/configuration.nix.  Do not edit it!
allowed-users = *
auto-optimise-store = false
build-users-group = nixbld
builders =
cores = 0
max-jobs = auto
require-sigs = true
sandbox = true
sandbox-fallback = false
substituters = https://cache.nixos.org/
system-features = nixos-test benchmark big-parallel kvm
trusted-public-keys = cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=
trusted-substituters =
trusted-users = root
extra-sandbox-paths =
"""
INDEX_NIX = """# Initial index created by the simulated fleet so that the host evaluates
# before the provider ran; the provider owns this directory and rewrites this file.
{ ... }: { }
"""
FLAKE_NIX = """{{
  description = "NixOS configuration of {name}";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
  outputs = {{ self, nixpkgs, ... }}: {{
    nixosConfigurations.{name} = nixpkgs.lib.nixosSystem {{
      system = "x86_64-linux";
      modules = [ ./configuration.nix ];
    }};
  }};
}}
"""


def create_host(i, subnet, flake, index_import, secrets_):
    H = hostdir(i)
    name = "host%d" % i
    addr = "%s.%d" % (subnet, 10 + i)
    F = os.path.join(H, "fs")
    for d in ("etc.upper", "etc.work", "var.upper", "var.work", "store.upper", "store.work", "store-rw",
              "profiles", "gcroots", "run", "home", "roothome", "srv", "knobs"):
        os.makedirs(os.path.join(F if d != "knobs" else H, d), exist_ok=True)
    os.chmod(H, 0o755)
    os.chmod(os.path.join(H, "knobs"), 0o755)
    os.chmod(os.path.join(F, "roothome"), 0o700)
    E = os.path.join(F, "etc.upper")
    write(os.path.join(H, "hostname"), name + "\n")
    for log in ("ssh.jsonl", "events.jsonl"):
        write(os.path.join(H, log), "", 0o666)
    # identity
    write(os.path.join(E, "hostname"), name + "\n")
    write(os.path.join(E, "hosts"), "127.0.0.1 localhost\n%s %s\n::1 localhost ip6-localhost ip6-loopback\n" % (addr, name))
    # users: deploy (password + key), sudo rules
    pw_hash = sh("openssl", "passwd", "-6", "-stdin", input=secrets_["deployPassword"]).stdout.strip()
    # NixOS's Nix build users (nix.nrBuildUsers, 32 by default, group nixbld = 30000), which the
    # host's nix.conf names: without them Nix warns about build-users-group on every evaluation.
    builders = ["nixbld%d" % k for k in range(1, 33)]
    write(os.path.join(E, "passwd"), read("/etc/passwd") + "deploy:x:%d:%d:deploy:/home/deploy:/bin/bash\n" % (DEPLOY_UID, DEPLOY_UID)
          + "".join("%s:x:%d:30000:Nix build user %d:/var/empty:/run/current-system/sw/bin/nologin\n" % (b, 30000 + k, k)
                    for k, b in enumerate(builders, 1)))
    write(os.path.join(E, "group"), read("/etc/group") + "deploy:x:%d:\n" % DEPLOY_UID + "nixbld:x:30000:%s\n" % ",".join(builders))
    write(os.path.join(E, "nix", "nix.conf"), NIX_CONF)
    # The store of a NixOS host is root:nixbld 1775; Nix (as root) insists on it at every start.
    os.chown(os.path.join(F, "store.upper"), 0, 30000)
    os.chmod(os.path.join(F, "store.upper"), 0o1775)
    write(os.path.join(E, "shadow"), read("/etc/shadow") + "deploy:%s:19000:0:99999:7:::\n" % pw_hash, 0o640)
    try:
        import grp
        os.chown(os.path.join(E, "shadow"), 0, grp.getgrnam("shadow").gr_gid)
    except (KeyError, OSError):
        pass
    home = os.path.join(F, "home", "deploy")
    os.makedirs(home, exist_ok=True)
    os.chown(home, DEPLOY_UID, DEPLOY_UID)
    os.chmod(home, 0o755)
    sudo_mode = "password" if i == 2 else "nopasswd"
    sudoers = read("/etc/sudoers").replace(
        'secure_path="/usr/local/sbin', 'secure_path="/run/current-system/sw/bin:/usr/local/sbin')
    write(os.path.join(E, "sudoers"), sudoers, 0o440)
    write(os.path.join(E, "sudoers.d", "deploy"),
          "deploy ALL=(ALL:ALL) %sALL\n" % ("" if sudo_mode == "password" else "NOPASSWD: "), 0o440)
    write(os.path.join(E, "profile.d", "nixos-sim.sh"),
          'case ":$PATH:" in *:/run/current-system/sw/bin:*) ;; *) PATH="/run/current-system/sw/bin:$PATH";; esac\nexport PATH\n')
    write(os.path.join(E, "environment"),
          'PATH="/run/current-system/sw/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n')
    pam = read("/etc/pam.d/sshd", "").replace("session    required     pam_loginuid.so", "session    optional     pam_loginuid.so")
    write(os.path.join(E, "pam.d", "sshd"), pam)
    # sshd
    ssh_dir = os.path.join(E, "ssh")
    os.makedirs(ssh_dir, exist_ok=True)
    hk = os.path.join(ssh_dir, "ssh_host_ed25519_key")
    if not os.path.exists(hk):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@" + name, "-f", hk)
    keys = os.path.join(STATE, "keys")
    root_keys = read(os.path.join(keys, "root_ed25519.pub")) + read(os.path.join(keys, "root_passphrase_ed25519.pub"))
    write(os.path.join(ssh_dir, "authorized_keys.d", "root"), root_keys)
    write(os.path.join(ssh_dir, "authorized_keys.d", "deploy"), read(os.path.join(keys, "deploy_ed25519.pub")))
    write(os.path.join(ssh_dir, "sshd_config"), """# sshd of simulated NixOS host {name} (tests/hosts)
ListenAddress {addr}:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile /etc/ssh/authorized_keys.d/%u
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
AllowTcpForwarding yes
GatewayPorts no
X11Forwarding no
PrintMotd no
PrintLastLog no
MaxSessions 10
AcceptEnv LANG LC_*
Subsystem sftp {tools}/bin/sim-sftp-server
ForceCommand {tools}/bin/sim-session
""".format(name=name, addr=addr, tools=TOOLS))
    # NixOS layout
    nixos = os.path.join(E, "nixos")
    write(os.path.join(nixos, "configuration.nix"),
          CONFIGURATION_NIX.format(name=name, imp="" if not index_import else " ./pulumi-containers"))
    write(os.path.join(nixos, "hardware-configuration.nix"), HARDWARE_NIX)
    if index_import:
        write(os.path.join(nixos, "pulumi-containers", "default.nix"), INDEX_NIX)
    if flake:
        write(os.path.join(nixos, "flake.nix"), FLAKE_NIX.format(name=name))
        g = ["git", "-c", "safe.directory=*", "-C", nixos]
        sh(*g, "init", "-q", "-b", "main")
        sh(*g, "add", "-A")
        sh(*g, "-c", "user.name=fleet", "-c", "user.email=fleet@localhost", "commit", "-q", "-m", "initial configuration")
    write(os.path.join(E, "nixos-sim.json"), json.dumps({
        "name": name, "index": i, "address": addr, "stateDir": H, "storeRw": os.path.join(F, "store-rw"),
        "tools": TOOLS, "rebuildSeconds": float(os.environ.get("FLEET_REBUILD_SECONDS") or 0),
        "rebuildSecondsPerContainer": float(os.environ.get("FLEET_REBUILD_SECONDS_PER_CONTAINER") or 0),
        "flake": flake, "indexImport": index_import, "deploySudo": sudo_mode,
    }, indent=1) + "\n")
    return {"name": name, "index": i, "address": addr, "flake": flake, "indexImport": index_import, "sudo": sudo_mode}


def boot_host(i, addr):
    H = hostdir(i)
    F = os.path.join(H, "fs")
    # /run is a fresh tmpfs at every boot on NixOS
    shutil.rmtree(os.path.join(F, "run"), ignore_errors=True)
    os.makedirs(os.path.join(F, "run"))
    os.chmod(os.path.join(F, "run"), 0o755)
    for f in ("mntns",):
        try:
            os.unlink(os.path.join(H, f))
        except OSError:
            pass
    log = open(os.path.join(H, "boot.log"), "a")
    p = subprocess.Popen(["unshare", "--mount", "--uts", "--propagation", "private", "--",
                          os.path.join(TOOLS, "bin", "sim-boot"), H],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    write(os.path.join(H, "pid"), "%d\n" % p.pid)
    return p


def wait_up(i, addr, p, timeout=30):
    t_end = time.time() + timeout
    while time.time() < t_end:
        if p.poll() is not None:
            die("host%d failed to boot (exit %s); see %s/boot.log and sshd.log" % (i, p.returncode, hostdir(i)))
        try:
            with socket.create_connection((addr, 22), timeout=0.5) as s:
                s.settimeout(2)
                if s.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    die("host%d: sshd did not answer on %s:22 within %ds" % (i, addr, timeout))


def container_leaders(i):
    """The inits of host I's running containers (lib/simruntime.py): each is PID 1 of the
    container's own namespaces, so ns_pids does not see it; killing it ends the container."""
    d = os.path.join(hostdir(i), "fs", "run", "nixos-containers-sim")
    out = []
    try:
        entries = os.listdir(d)
    except OSError:
        return out
    for e in entries:
        if e.endswith(".machine"):
            try:
                rec = json.loads(read(os.path.join(d, e)) or "{}")
                if os.readlink("/proc/%d/ns/mnt" % rec["leader"]) == rec["mntns"]:
                    out.append(int(rec["leader"]))
            except (OSError, ValueError, KeyError, TypeError):
                pass
    return out


def stop_host(i):
    for pid in container_leaders(i):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    pids = ns_pids(i)
    main = host_pid(i)
    if main and main not in pids:
        pids.append(main)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        t_end = time.time() + (2 if sig == signal.SIGTERM else 5)
        while time.time() < t_end and any(pid_alive(p) for p in pids):
            time.sleep(0.02)
        pids = [p for p in pids if pid_alive(p)]
        if not pids:
            break
    # children reaped by init; /run of the host is gone at shutdown
    shutil.rmtree(os.path.join(hostdir(i), "fs", "run"), ignore_errors=True)
    os.makedirs(os.path.join(hostdir(i), "fs", "run"), exist_ok=True)
    for f in ("pid", "mntns"):
        try:
            os.unlink(os.path.join(hostdir(i), f))
        except OSError:
            pass
    for k in ("hold-lock.json", "disk-full.json"):
        try:
            os.unlink(os.path.join(hostdir(i), "knobs", k))
        except OSError:
            pass


# ------------------------------------------------------------------ manifest
def write_manifest(c, s):
    keys = os.path.join(STATE, "keys")
    hosts, kh = [], []
    for key in sorted(c["hosts"], key=int):
        h = c["hosts"][key]
        i = int(key)
        H = hostdir(i)
        pub = read(os.path.join(H, "fs", "etc.upper", "ssh", "ssh_host_ed25519_key.pub")).split()
        fp = sh("ssh-keygen", "-l", "-E", "sha256", "-f",
                os.path.join(H, "fs", "etc.upper", "ssh", "ssh_host_ed25519_key.pub")).stdout.split()[1]
        line = "%s %s %s" % (h["address"], pub[0], pub[1])
        kh.append(line)
        hosts.append({
            "name": h["name"], "index": i, "address": h["address"], "port": 22,
            "hostKey": "%s %s" % (pub[0], pub[1]), "hostKeyFingerprint": fp, "knownHostsLine": line,
            "users": {
                "root": {"privateKeyPath": os.path.join(keys, "root_ed25519"),
                         "passphraseKeyPath": os.path.join(keys, "root_passphrase_ed25519"),
                         "passphrase": s["passphrase"]},
                "deploy": {"privateKeyPath": os.path.join(keys, "deploy_ed25519"),
                           "password": s["deployPassword"], "sudo": h["sudo"]},
            },
            "flake": h["flake"], "indexImport": h["indexImport"],
            "stateDir": H, "logPath": os.path.join(H, "ssh.jsonl"), "eventsPath": os.path.join(H, "events.jsonl"),
            "knobsDir": os.path.join(H, "knobs"),
            "pid": host_pid(i),
            "running": host_pid(i) is not None,
        })
    write(os.path.join(STATE, "known_hosts"), "\n".join(kh) + ("\n" if kh else ""))
    write(os.path.join(STATE, "manifest.json"), json.dumps({"stateDir": STATE, "hosts": hosts}, indent=2) + "\n")
    return hosts


# ------------------------------------------------------------------ commands
def parse_list(v):
    return {int(x) for x in v.split(",") if x.strip()} if v else set()


def cmd_up(args):
    if not args or not args[0].isdigit():
        die("usage: fleet up N [--flake-hosts I,J] [--no-index-import[=I,J]]", 2)
    n = int(args[0])
    if n < 1 or n > 200:
        die("N must be between 1 and 200", 2)
    flake_hosts, noidx = set(), set()
    rest = args[1:]
    j = 0
    while j < len(rest):
        a = rest[j]
        if a == "--flake-hosts":
            flake_hosts = parse_list(rest[j + 1])
            j += 1
        elif a.startswith("--flake-hosts="):
            flake_hosts = parse_list(a.split("=", 1)[1])
        elif a == "--no-index-import":
            noidx = set(range(1, n + 1))
        elif a.startswith("--no-index-import="):
            noidx = parse_list(a.split("=", 1)[1])
        else:
            die("unknown option %s" % a, 2)
        j += 1
    if os.geteuid() != 0:
        die("must run as root (unshare/mount)")
    for f in FORBIDDEN:
        if STATE == f or STATE.startswith(f + "/"):
            die("FLEET_STATE must not be under %s (the hosts mount their own %s)" % (f, f))
    os.makedirs(STATE, exist_ok=True)
    os.chmod(STATE, 0o755)
    p_ = os.path.dirname(STATE)
    while p_ not in ("/", ""):
        st = os.stat(p_)
        if not st.st_mode & 0o001:
            os.chmod(p_, st.st_mode | 0o011)  # the deploy user must reach the logs
        p_ = os.path.dirname(p_)
    t0 = time.time()
    prepare_machine()
    s = ensure_keys()
    c = fleet_conf()
    save_fleet_conf(c)
    procs = {}
    for i in range(1, n + 1):
        key = str(i)
        if key in c["hosts"] and host_pid(i):
            continue
        if key not in c["hosts"]:
            c["hosts"][key] = create_host(i, c["subnet"], i in flake_hosts, i not in noidx, s)
            save_fleet_conf(c)
        procs[i] = boot_host(i, c["hosts"][key]["address"])
    for i, p in procs.items():
        wait_up(i, c["hosts"][str(i)]["address"], p)
    hosts = write_manifest(c, s)
    print("fleet: %d host(s) up in %.1fs (state %s)" % (n, time.time() - t0, STATE))
    for h in hosts:
        if h["index"] <= n:
            print("  %s: ssh -i %s -o UserKnownHostsFile=%s root@%s    (deploy: -i %s deploy@%s, password %s)" % (
                h["name"], h["users"]["root"]["privateKeyPath"], os.path.join(STATE, "known_hosts"), h["address"],
                h["users"]["deploy"]["privateKeyPath"], h["address"], h["users"]["deploy"]["password"]))
    print("  manifest: %s" % os.path.join(STATE, "manifest.json"))


def cmd_down(args):
    c = fleet_conf()
    for key in list(c["hosts"]):
        stop_host(int(key))
    # processes of hosts that were never recorded (interrupted up)
    if os.path.isdir(STATE):
        for e in os.listdir(STATE):
            if e.startswith("host") and e[4:].isdigit():
                stop_host(int(e[4:]))
        shutil.rmtree(STATE, ignore_errors=True)
    print("fleet: down (%s removed)" % STATE)


def cmd_status(args):
    c = fleet_conf()
    if not c["hosts"]:
        print("fleet: no hosts (state %s)" % STATE)
        return
    for key in sorted(c["hosts"], key=int):
        h = c["hosts"][key]
        i = int(key)
        pid = host_pid(i)
        knobs = sorted(e[:-5] for e in os.listdir(os.path.join(hostdir(i), "knobs")) if e.endswith(".json"))
        cur = "-"
        sys_link = os.path.join(hostdir(i), "fs", "profiles", "system")
        if os.path.islink(sys_link):
            cur = os.readlink(sys_link)
        print("%-7s %-15s %-8s pid=%-7s profile=%-16s%s%s" % (
            h["name"], h["address"], "up" if pid else "down", pid or "-", cur,
            " flake" if h["flake"] else "", (" knobs=" + ",".join(knobs)) if knobs else ""))


def host_index(v):
    c = fleet_conf()
    if not v.isdigit() or v not in c["hosts"]:
        die("no such host: %s" % v, 2)
    return int(v), c


def cmd_stop_host(args):
    i, _ = host_index(args[0] if args else "")
    stop_host(i)
    print("fleet: host%d stopped" % i)


def cmd_start_host(args):
    i, c = host_index(args[0] if args else "")
    if host_pid(i):
        print("fleet: host%d already running" % i)
        return
    prepare_machine()
    p = boot_host(i, c["hosts"][str(i)]["address"])
    wait_up(i, c["hosts"][str(i)]["address"], p)
    write_manifest(c, ensure_keys())
    print("fleet: host%d started" % i)


def nsenter(i, *cmd, **kw):
    pid = host_pid(i)
    if not pid:
        die("host%d is not running" % i)
    return ["nsenter", "--target", str(pid), "--mount", "--uts", "--"] + list(cmd)


def knob(i, name, data):
    write(os.path.join(hostdir(i), "knobs", name + ".json"), json.dumps(data) + "\n", 0o666)


def cmd_fault(args):
    if len(args) < 2:
        die("usage: fleet fault I KIND [ARGS] | fleet fault I clear", 2)
    i, c = host_index(args[0])
    kind, a = args[1], args[2:]

    def num(k, default, conv=int):
        return conv(a[k]) if len(a) > k else default
    if kind in ("eval-fail", "build-fail", "hang"):
        knob(i, kind, {"remaining": num(0, 1)})
    elif kind == "activate-fail":
        knob(i, kind, {"remaining": num(0, 1), "unit": a[1] if len(a) > 1 else None})
    elif kind == "rebuild-sleep":
        if not a:
            die("usage: fleet fault I rebuild-sleep SECONDS [build|activate]", 2)
        knob(i, kind, {"seconds": float(a[0]), "phase": a[1] if len(a) > 1 else "build"})
    elif kind == "cut-next":
        n, delay = 1, 0.5
        rest = list(a)
        if rest and rest[0].isdigit():
            n = int(rest.pop(0))
        if rest and rest[0] == "--delay":
            delay = float(rest[1])
        knob(i, "cut-next", {"remaining": n, "delay": delay, "afterBytes": None})
    elif kind == "cut-after-bytes":
        if not a:
            die("usage: fleet fault I cut-after-bytes BYTES [N]", 2)
        knob(i, "cut-next", {"remaining": num(1, 1), "afterBytes": int(a[0]), "delay": 0})
    elif kind == "hold-lock":
        secs = num(0, 3600, float)
        script = ("import fcntl,os,sys,time\nos.makedirs('/run/nixos',exist_ok=True)\n"
                  "f=open('/run/nixos/switch-to-configuration.lock','a')\nfcntl.flock(f,fcntl.LOCK_EX)\n"
                  "print('locked',flush=True)\ntime.sleep(%r)\n" % secs)
        p = subprocess.Popen(nsenter(i, "python3", "-c", script), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        line = p.stdout.readline()
        if b"locked" not in line:
            die("could not take the switch lock on host%d" % i)
        knob(i, "hold-lock", {"pid": p.pid, "seconds": secs, "until": time.time() + secs})
    elif kind == "disk-full":
        if os.path.exists(os.path.join(hostdir(i), "knobs", "disk-full.json")):
            return
        subprocess.run(nsenter(i, "sh", "-c", "mount --bind /etc/nixos /etc/nixos && mount -o remount,bind,ro /etc/nixos"),
                       check=True)
        knob(i, "disk-full", {"errno": "EROFS", "path": "/etc/nixos"})
    elif kind == "clear":
        clear(i)
    else:
        die("unknown fault kind %s (eval-fail, build-fail, activate-fail, rebuild-sleep, hang, cut-next, "
            "cut-after-bytes, hold-lock, disk-full, clear)" % kind, 2)
    print("fleet: host%d fault %s" % (i, " ".join(args[1:])))


def clear(i):
    kd = os.path.join(hostdir(i), "knobs")
    hl = json.loads(read(os.path.join(kd, "hold-lock.json"), "null") or "null")
    if hl:
        try:
            os.killpg(hl["pid"], signal.SIGKILL)
        except OSError:
            pass
    if os.path.exists(os.path.join(kd, "disk-full.json")) and host_pid(i):
        subprocess.run(nsenter(i, "umount", "/etc/nixos"), check=False)
    for e in os.listdir(kd):
        os.unlink(os.path.join(kd, e))


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__.strip())
        return
    cmds = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "stop-host": cmd_stop_host,
            "start-host": cmd_start_host, "fault": cmd_fault}
    if argv[0] not in cmds:
        die("unknown command %s" % argv[0], 2)
    lock = open(os.path.join("/tmp" if not os.path.isdir(os.path.dirname(STATE)) else os.path.dirname(STATE),
                             ".fleet-%s.lock" % os.path.basename(STATE)), "a")
    import fcntl
    fcntl.flock(lock, fcntl.LOCK_EX)
    cmds[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
