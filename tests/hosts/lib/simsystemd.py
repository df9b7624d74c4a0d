"""The systemd of a running simulated container (tests/hosts/README.md, "Inside a container"):
its units (the container config's systemd.services, lib/simguest.py), their jobs, run for real
with /bin/sh inside the container and reaped here, the boot, the activation of a system
(switch-to-configuration-ng's rules and messages), poweroff, and what systemctl reports.
It lives in the container's init (lib/siminit.py); lib/simsystemctl.py answers the tools.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import threading
import time
import traceback

import simguest
import simhost as H  # its helpers only: this runs inside the container
import simjournal as J

libc = ctypes.CDLL(None, use_errno=True)
SOCKET = "/run/systemd/sim-init.sock"
JOURNAL = "/var/log/sim-journal.jsonl"
SETTLE = 0.25  # switch-to-configuration waits until systemd has been quiet for 250 ms
STOP_TIMEOUT = 10.0  # TimeoutStopSec is 90 s by default; the simulator waits 10 s (README)
TARGETS = ("default.target", "multi-user.target", "basic.target", "sysinit.target", "network.target",
           "network-online.target", "sockets.target", "timers.target", "paths.target", "local-fs.target",
           "remote-fs.target", "nss-lookup.target", "nss-user-lookup.target", "getty.target", "machines.target")
# Units of a NixOS container that the simulator does not run but that are there and active.
STATIC_UNITS = {"systemd-journald.service": "Journal Service", "dbus.service": "D-Bus System Message Bus",
                "nscd.service": "Name Service Cache Daemon (nsncd)", "systemd-logind.service": "User Login Management",
                "systemd-tmpfiles-setup.service": "Create System Files and Directories"}
EXIT_NAMES = {0: "SUCCESS", 1: "FAILURE", 2: "INVALIDARGUMENT", 3: "NOTIMPLEMENTED", 4: "NOPERMISSION",
              5: "NOTINSTALLED", 6: "NOTCONFIGURED", 7: "NOTRUNNING", 126: "CANNOTINVOKE", 127: "NOTFOUND",
              200: "CHDIR", 203: "EXEC", 209: "STDOUT", 217: "USER", 216: "GROUP"}
CLEAN_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE)


# ------------------------------------------------------------------ helpers
def now():
    return time.time()


def stamp(t):
    return time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(t)) if t else ""


def ago(t):
    d = int(max(0, now() - t))
    if d < 60:
        return "%ds ago" % d
    if d < 3600:
        return "%dmin %ds ago" % (d // 60, d % 60)
    return "%dh %dmin ago" % (d // 3600, (d % 3600) // 60)


def write_atomic(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
    H.write_text_atomic(path, text, mode)


def symlink_atomic(target, link):
    os.makedirs(os.path.dirname(link) or "/", exist_ok=True)
    H.symlink_force(target, link)


def _parse_timespan(v, default):
    try:
        s = str(v).strip()
        for suffix, mult in (("ms", 0.001), ("min", 60.0), ("s", 1.0), ("h", 3600.0)):
            if s.endswith(suffix):
                return float(s[:-len(suffix)]) * mult
        return float(s)
    except ValueError:
        return default


# ------------------------------------------------------------------ units
class Unit:
    def __init__(self, name, defn):
        self.name = name
        self.defn = defn
        self.state = "inactive"
        self.sub = "dead"
        self.result = "success"
        self.main_pid = 0
        self.exec_main_pid = 0
        self.exec_main_code = 0
        self.exec_main_status = 0
        self.since = 0.0
        self.active_enter = 0.0
        self.n_restarts = 0
        self.starts = []  # start times, for the start rate limit
        self.proc = None
        self.stopping = False
        self.job = threading.RLock()
        self.exited = threading.Event()
        self.restart_timer = None
        self.invocation = None

    @property
    def description(self):
        return self.defn["description"] if self.defn else self.name


class Manager:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec["name"]
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.units = {}
        self.system = None
        self.state = "initializing"
        self.procs = {}  # pid -> callback(status)
        self.unclaimed = {}
        self.jlock = threading.Lock()
        self.events = 0
        self.last_event = now()

    # -------------------------------------------------------------- journal
    def journal(self, message, ident="systemd", pid=1, unit=None):
        with self.jlock:
            J.append(JOURNAL, ident, pid, message, self.hostname(), **({"unit": unit} if unit else {}))

    def hostname(self):
        try:
            return socket.gethostname()
        except OSError:
            return self.name

    def changed(self):
        with self.cond:
            self.events += 1
            self.last_event = now()
            self.cond.notify_all()

    def set_state(self, u, state, sub, result=None):
        with self.cond:
            was_active = u.state == "active"
            u.state, u.sub = state, sub
            if result is not None:
                u.result = result
            u.since = now()
            if state == "active" and not was_active:
                u.active_enter = u.since
            self.changed()

    # -------------------------------------------------------------- processes
    def reaper(self):
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.05)
                continue
            except InterruptedError:
                continue
            with self.lock:
                cb = self.procs.pop(pid, None)
                if cb is None:
                    self.unclaimed[pid] = status
                    if len(self.unclaimed) > 1000:
                        self.unclaimed.clear()
            if cb:
                try:
                    cb(status)
                except Exception:
                    traceback.print_exc()

    def credentials(self, u):
        """User=/Group= of the unit, from the container's /etc/passwd and /etc/group."""
        d = u.defn
        if not d.get("user") and not d.get("group"):
            return None
        passwd = [line.split(":") for line in _lines("/etc/passwd")]
        groups = [line.split(":") for line in _lines("/etc/group")]
        uid = gid = None
        home, shell, user = "/", "/run/current-system/sw/bin/nologin", d.get("user")
        if d.get("user"):
            for p in passwd:
                if len(p) >= 7 and (p[0] == d["user"] or p[2] == d["user"]):
                    uid, gid, home, shell, user = int(p[2]), int(p[3]), p[5], p[6], p[0]
            if uid is None and d["user"].isdigit():
                uid, gid = int(d["user"]), int(d["user"])
            if uid is None:
                raise LookupError("Failed to determine user credentials: No such process")
        if d.get("group"):
            gid = None
            for g in groups:
                if len(g) >= 3 and (g[0] == d["group"] or g[2] == d["group"]):
                    gid = int(g[2])
            if gid is None and d["group"].isdigit():
                gid = int(d["group"])
            if gid is None:
                raise LookupError("Failed to determine group credentials: No such process")
        return {"uid": uid if uid is not None else 0, "gid": gid if gid is not None else 0, "home": home,
                "shell": shell, "user": user or "root"}

    def spawn(self, u, cmd, extra_env=None):
        """Run one Exec line of U with /bin/sh -c; its output goes to the journal. Returns
        (pid, exit event holder)."""
        d = u.defn
        env = {"LANG": "C.UTF-8", "INVOCATION_ID": os.urandom(16).hex(), "SYSTEMD_EXEC_PID": ""}
        env.update(d["environment"])
        for ef in d["environmentFiles"]:
            optional = ef.startswith("-")
            path = ef[1:] if optional else ef
            try:
                for line in _lines(path):
                    line = line.strip()
                    if line and not line.startswith("#") and "=" in line:
                        k, v = line.split("=", 1)
                        env[k.strip()] = v.strip().strip('"').strip("'")
            except OSError:
                if not optional:
                    raise LookupError("Failed to load environment files: No such file or directory")
        if extra_env:
            env.update(extra_env)
        creds = None if cmd["privileged"] else self.credentials(u)
        kw = {}
        if creds:
            env.update(HOME=creds["home"], USER=creds["user"], LOGNAME=creds["user"], SHELL=creds["shell"])
            kw = {"user": creds["uid"], "group": creds["gid"], "extra_groups": []}
        ident = d.get("syslogIdentifier") or cmd["ident"] or u.name
        status_box = {}
        done = threading.Event()

        def finished(status):
            status_box["status"] = status
            done.set()
        with self.lock:
            p = subprocess.Popen(["/bin/sh", "-c", cmd["shell"], ident], env=env, cwd=d.get("workingDirectory") or "/",
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 start_new_session=True, close_fds=True, **kw)
            if p.pid in self.unclaimed:
                status_box["status"] = self.unclaimed.pop(p.pid)
                done.set()
            else:
                self.procs[p.pid] = finished
        p.returncode = 0  # reaped by the reaper thread, never by subprocess

        def pump():
            for raw in iter(p.stdout.readline, b""):
                self.journal(raw.decode("utf-8", "replace").rstrip("\n"), ident=ident, pid=p.pid, unit=u.name)
            p.stdout.close()
        threading.Thread(target=pump, daemon=True).start()
        return p, done, status_box

    def run_control(self, u, cmds, extra_env=None):
        """Run control commands (ExecStartPre, ExecReload, ExecStop, ...) one after the
        other; the first failing one that is not `-`-prefixed ends it: (ok, status)."""
        for cmd in cmds:
            p, done, box = self.spawn(u, cmd, extra_env)
            done.wait()
            code, st = _decode(box["status"])
            if code != "exited" or st != 0:
                if not cmd["ignore"]:
                    return False, (code, st, p.pid)
        return True, None

    # -------------------------------------------------------------- unit jobs
    def unit(self, name):
        return self.units.get(name)

    def start(self, name, chain=None):
        """A start job; returns its result: done, failed, dependency, bad-setting, not-found."""
        chain = chain or set()
        u = self.unit(name)
        if u is None:
            return "done" if name in TARGETS or name in STATIC_UNITS else "not-found"
        if name in chain:
            return "done"  # an ordering cycle: systemd breaks it, so does this
        chain = chain | {name}
        with u.job:
            if u.state in ("active", "activating", "reloading"):
                return "done"
            if u.defn.get("loadError"):
                return "bad-setting"
            deps = [x for x in u.defn["requires"] + u.defn["wants"]]
            for dep in sorted(deps, key=lambda x: 0 if x in u.defn["after"] else 1):
                r = self.start(dep, chain)
                if dep in u.defn["requires"] and r != "done":
                    self.journal("Dependency failed for %s." % u.description, unit=u.name)
                    self.journal("%s: Job %s/start failed with result 'dependency'." % (u.name, u.name), unit=u.name)
                    return "dependency"
            return self._start(u)

    def _start(self, u):
        d = u.defn
        if u.restart_timer:
            u.restart_timer.cancel()
            u.restart_timer = None
        t = now()
        u.starts = [s for s in u.starts if t - s < 10] + [t]
        if len(u.starts) > 5:  # StartLimitBurst=5 in StartLimitIntervalSec=10s
            self.journal("%s: Start request repeated too quickly." % u.name, unit=u.name)
            self.journal("%s: Failed with result 'start-limit-hit'." % u.name, unit=u.name)
            self.journal("Failed to start %s." % u.description, unit=u.name)
            self.set_state(u, "failed", "failed", "start-limit-hit")
            return "failed"
        u.stopping = False
        self.journal("Starting %s..." % u.description, unit=u.name)
        self.set_state(u, "activating", "start-pre")
        try:
            ok, why = self.run_control(u, d["startPre"])
            if not ok:
                return self._failed_start(u, why)
            self.set_state(u, "activating", "start")
            if d["type"] in ("oneshot", "forking"):
                for cmd in d["start"]:
                    p, done, box = self.spawn(u, cmd)
                    u.exec_main_pid = p.pid
                    done.wait()
                    code, st = _decode(box["status"])
                    u.exec_main_code, u.exec_main_status = code, st
                    if (code != "exited" or st != 0) and not cmd["ignore"]:
                        return self._failed_start(u, (code, st, p.pid))
                ok, why = self.run_control(u, d["startPost"])
                if not ok:
                    return self._failed_start(u, why)
                if d["type"] == "forking" or d["remainAfterExit"]:
                    self.set_state(u, "active", "exited" if d["type"] == "oneshot" else "running", "success")
                    self.journal("%s %s." % ("Finished" if d["type"] == "oneshot" else "Started", u.description), unit=u.name)
                else:
                    self.set_state(u, "inactive", "dead", "success")
                    self.journal("%s: Deactivated successfully." % u.name, unit=u.name)
                    self.journal("Finished %s." % u.description, unit=u.name)
                return "done"
            p, done, box = self.spawn(u, d["start"][0])
            u.proc, u.main_pid, u.exec_main_pid = p, p.pid, p.pid
            u.exec_main_code, u.exec_main_status = 0, 0
            u.exited.clear()
            invocation = object()
            u.invocation = invocation
            self.set_state(u, "active", "running", "success")
            self.journal("Started %s." % u.description, unit=u.name)
            threading.Thread(target=self._watch_main, args=(u, done, box, invocation), daemon=True).start()
            ok, why = self.run_control(u, d["startPost"])
            if not ok:
                self._kill(u)
                return self._failed_start(u, why)
            return "done"
        except LookupError as e:
            self.journal("%s: %s" % (u.name, e), unit=u.name)
            return self._failed_start(u, ("exited", 217, 0))

    def _failed_start(self, u, why):
        code, st, pid = why
        self._log_exit(u, code, st, "Control" if u.sub == "start-pre" else "Main")
        u.exec_main_code, u.exec_main_status = code, st
        result = "exit-code" if code == "exited" else "signal"
        self.journal("%s: Failed with result '%s'." % (u.name, result), unit=u.name)
        self.journal("Failed to start %s." % u.description, unit=u.name)
        self.set_state(u, "failed", "failed", result)
        self._maybe_restart(u, failure=True)
        return "failed"

    def _log_exit(self, u, code, st, what="Main"):
        if code == "exited":
            self.journal("%s: %s process exited, code=exited, status=%d/%s" % (u.name, what, st, EXIT_NAMES.get(st, str(st))), unit=u.name)
        else:
            self.journal("%s: %s process exited, code=killed, status=%d/%s" % (u.name, what, st, signal.Signals(st).name if st in signal.Signals._value2member_map_ else st), unit=u.name)

    def _watch_main(self, u, done, box, invocation):
        done.wait()
        code, st = _decode(box["status"])
        if u.invocation is not invocation:
            return
        u.exec_main_code, u.exec_main_status = code, st
        u.main_pid = 0
        u.proc = None
        clean = (code == "exited" and st == 0) or (code == "killed" and st in [int(s) for s in CLEAN_SIGNALS])
        if u.stopping:
            u.exited.set()
            return
        if clean:
            self.journal("%s: Deactivated successfully." % u.name, unit=u.name)
            self.set_state(u, "inactive", "dead", "success")
            self._maybe_restart(u, failure=False)
        else:
            self._log_exit(u, code, st)
            result = "exit-code" if code == "exited" else "signal"
            self.journal("%s: Failed with result '%s'." % (u.name, result), unit=u.name)
            self.set_state(u, "failed", "failed", result)
            self._maybe_restart(u, failure=True)
        u.exited.set()

    def _maybe_restart(self, u, failure):
        policy = u.defn["restart"]
        if u.stopping or policy == "no":
            return
        if not (policy == "always" or (policy in ("on-failure", "on-abnormal") and failure) or (policy == "on-success" and not failure)):
            return
        self.set_state(u, "activating", "auto-restart", "exit-code" if failure else "success")
        u.n_restarts += 1
        self.journal("%s: Scheduled restart job, restart counter is at %d." % (u.name, u.n_restarts), unit=u.name)

        def again():
            u.restart_timer = None
            with u.job:
                if u.sub == "auto-restart":
                    self.set_state(u, "inactive", "dead")
                    self._start(u)
        u.restart_timer = threading.Timer(_parse_timespan(u.defn["restartSec"], 0.1), again)
        u.restart_timer.daemon = True
        u.restart_timer.start()

    def _kill(self, u):
        p = u.proc
        if p is None:
            return
        for sig in (signal.SIGTERM, signal.SIGCONT):
            try:
                os.killpg(p.pid, sig)
            except OSError:
                pass
        if not u.exited.wait(STOP_TIMEOUT):
            self.journal("%s: State 'stop-sigterm' timed out. Killing." % u.name, unit=u.name)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            u.exited.wait(5)

    def stop(self, name):
        u = self.unit(name)
        if u is None:
            return "done" if name in TARGETS or name in STATIC_UNITS else "not-found"
        with u.job:
            if u.restart_timer:
                u.restart_timer.cancel()
                u.restart_timer = None
            if u.state == "inactive" or (u.state == "failed" and u.proc is None):
                return "done"
            u.stopping = True
            self.journal("Stopping %s..." % u.description, unit=u.name)
            self.set_state(u, "deactivating", "stop")
            try:
                self.run_control(u, u.defn["stop"], {"MAINPID": str(u.main_pid or "")})
            except LookupError:
                pass
            self._kill(u)
            u.proc, u.main_pid = None, 0
            self.journal("%s: Deactivated successfully." % u.name, unit=u.name)
            self.journal("Stopped %s." % u.description, unit=u.name)
            self.set_state(u, "inactive", "dead", "success")
            return "done"

    def reload(self, name):
        """(result, message): a reload job."""
        u = self.unit(name)
        if u is None:
            return "not-found", None
        with u.job:
            if u.state != "active":
                return "inactive", None
            if not u.defn["reload"]:
                return "not-applicable", None
            self.journal("Reloading %s..." % u.description, unit=u.name)
            self.set_state(u, "reloading", "reload")
            try:
                ok, why = self.run_control(u, u.defn["reload"], {"MAINPID": str(u.main_pid or "")})
            except LookupError:
                ok, why = False, ("exited", 217, 0)
            self.set_state(u, "active", "running" if u.proc else "exited")
            if not ok:
                self._log_exit(u, why[0], why[1], "Control")
                self.journal("Reload failed for %s." % u.description, unit=u.name)
                return "failed", None
            self.journal("Reloaded %s." % u.description, unit=u.name)
            return "done", None

    def restart(self, name):
        u = self.unit(name)
        if u is None:
            return "not-found"
        with u.job:
            if u.state in ("active", "activating", "reloading") or u.proc is not None:
                self.stop(name)
            return self.start(name)

    # -------------------------------------------------------------- targets and ordering
    def wanted(self):
        """Units a running system wants: those wanted or required by a target."""
        out = []
        for n, u in self.units.items():
            if any(t in TARGETS for t in u.defn["wantedBy"] + u.defn["requiredBy"]):
                out.append(n)
        return self.ordered(out)

    def ordered(self, names):
        names = sorted(set(names))
        after = {n: set() for n in names}
        for n in names:
            d = self.units[n].defn
            for a in d["after"]:
                if a in after:
                    after[n].add(a)
            for b in d["before"]:
                if b in after:
                    after[b].add(n)
        out, seen = [], set()

        def visit(n, stack):
            if n in seen or n in stack:
                return
            for a in sorted(after[n]):
                visit(a, stack | {n})
            seen.add(n)
            out.append(n)
        for n in names:
            visit(n, set())
        return out

    def settle(self):
        """Wait until nothing has changed for SETTLE seconds (as switch-to-configuration does)."""
        while True:
            with self.cond:
                quiet = now() - self.last_event
            if quiet >= SETTLE:
                return
            time.sleep(SETTLE - quiet)

    # -------------------------------------------------------------- activation
    def load(self, system):
        cfg = (H.read_json(os.path.join(system, "sim-container.json"), {}) or {}).get("config") or {}
        return cfg, simguest.services(cfg)

    def activate(self, system, cfg):
        """The system's activation script: users and groups, /etc, /bin/sh, /run/current-system."""
        host = simguest.hostname(cfg, self.name)
        libc.sethostname(host.encode(), len(host.encode()))
        uid_map = H.read_json("/var/lib/nixos/uid-map", {}) or {}
        gid_map = H.read_json("/var/lib/nixos/gid-map", {}) or {}
        passwd, group, shadow, uid_map, gid_map, homes = simguest.accounts(cfg, uid_map, gid_map)
        write_atomic("/var/lib/nixos/uid-map", json.dumps(uid_map, sort_keys=True) + "\n")
        write_atomic("/var/lib/nixos/gid-map", json.dumps(gid_map, sort_keys=True) + "\n")
        write_atomic("/etc/passwd", "\n".join(passwd) + "\n")
        write_atomic("/etc/group", "\n".join(group) + "\n")
        write_atomic("/etc/shadow", "\n".join(shadow) + "\n", 0o600)
        for home, uid, gid in homes:
            if not os.path.exists(home):
                os.makedirs(home, 0o700)
                os.chown(home, uid, gid)
        self.setup_etc(system, cfg, host, passwd, group)
        os.makedirs("/bin", exist_ok=True)
        symlink_atomic("/usr/bin/bash", "/bin/sh")  # NixOS: binsh, the store's bash
        os.makedirs("/var/empty", exist_ok=True)
        os.makedirs("/run/systemd", exist_ok=True)
        symlink_atomic(system, "/run/current-system")
        self.system = system

    def setup_etc(self, system, cfg, host, passwd, group):
        """setup-etc.pl: /etc/static -> the system's etc; an entry is a symlink through
        /etc/static, or (mode other than "symlink") a copy with that mode and owner;
        entries of the previous system that are gone are removed."""
        static = os.path.realpath(os.path.join(system, "etc"))
        symlink_atomic(static, "/etc/static")
        users = {p.split(":")[0]: int(p.split(":")[2]) for p in passwd}
        groups = {g.split(":")[0]: int(g.split(":")[2]) for g in group}
        entries = simguest.etc_entries(cfg, host)
        clean = set(_lines("/etc/.clean")) if os.path.exists("/etc/.clean") else set()
        copied = set()
        for target, e in sorted(entries.items()):
            path = "/etc/" + target
            if os.path.isdir(path) and not os.path.islink(path):
                continue
            if e["mode"] == "symlink":
                symlink_atomic("/etc/static/" + target, path)
                continue
            src = "/etc/static/" + target
            try:
                with open(src, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            uid = _owner(e["user"], users)
            gid = _owner(e["group"], groups)
            tmp = "%s.tmp-%d" % (path, os.getpid())
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
            os.chmod(tmp, int(e["mode"], 8))
            os.chown(tmp, uid, gid)
            os.rename(tmp, path)
            copied.add(target)
        for target in sorted(clean - copied):
            try:
                os.unlink("/etc/" + target)
            except OSError:
                pass
        write_atomic("/etc/.clean", "".join(t + "\n" for t in sorted(copied)))
        for dirpath, dirs, files in os.walk("/etc"):
            for f in files:
                p = os.path.join(dirpath, f)
                if os.path.islink(p) and os.readlink(p).startswith("/etc/static/") and not os.path.exists(p):
                    os.unlink(p)  # an entry of the previous system that is gone

    def boot(self):
        """Stage 2 and systemd's start-up: activate the booted system, start the default target."""
        system = self.spec["system"]
        self.journal("systemd 258.2 running in system mode (+PAM +AUDIT -SELINUX +APPARMOR +IMA +IPE +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBCRYPTSETUP_PLUGINS +LIBFDISK +PCRE2 +PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD +BPF_FRAMEWORK +BTF -XKBCOMMON +UTMP -SYSVINIT +LIBARCHIVE)")
        self.journal("Detected virtualization systemd-nspawn.")
        cfg, units = self.load(system)
        self.activate(system, cfg)
        self.journal("Hostname set to <%s>." % self.hostname())
        with self.lock:
            self.units = {n: Unit(n, d) for n, d in units.items()}
            self.state = "starting"
        started_simple = False
        for n in self.wanted():
            self.start(n)
            started_simple = started_simple or self.units[n].defn["type"] not in ("oneshot", "forking")
        self.journal("Reached target Multi-User System.")
        if started_simple:
            self.settle()
        with self.cond:
            self.state = "running"
            self.cond.notify_all()
        self.journal("Startup finished in 1.2s.")

    def switch(self, system, action, out):
        """switch-to-configuration ACTION inside the container (switch-to-configuration-ng's
        order and messages). Returns its exit code."""
        err = out.err
        if action == "check":
            return 0
        if action == "boot":
            return 0  # a container has no boot loader
        cfg, new = self.load(system)
        with self.lock:
            before = {n: u.state for n, u in self.units.items() if u.state != "inactive"}
        stop, start, reload, restart, skip = set(), set(), set(), set(), set()
        for n, state in before.items():
            if state not in ("active", "activating"):
                continue
            old = self.units[n].defn
            nd = new.get(n)
            if nd is None:
                stop.add(n)
            elif old["identity"] != nd["identity"]:
                if nd["reloadIfChanged"]:
                    reload.add(n)
                elif not nd["restartIfChanged"]:
                    skip.add(n)
                elif not nd["stopIfChanged"]:
                    restart.add(n)
                else:
                    stop.add(n)
                    start.add(n)
            elif old["reloadTriggers"] != nd["reloadTriggers"]:
                reload.add(n)
        names = (lambda s: ", ".join(sorted(s, key=str.lower)))
        if action == "dry-activate":
            if stop:
                err("would stop the following units: %s\n" % names(stop))
            if skip:
                err("would NOT stop the following changed units: %s\n" % names(skip))
            err("would activate the configuration...\n")
            if reload:
                err("would reload the following units: %s\n" % names(reload))
            if restart:
                err("would restart the following units: %s\n" % names(restart))
            if start:
                err("would start the following units: %s\n" % names(start))
            return 0
        stc_pid = out.pid
        self.journal("switching to system configuration %s" % system, ident="switch-to-configuration", pid=stc_pid)
        if stop:
            err("stopping the following units: %s\n" % names(stop))
            for n in sorted(stop):
                self.stop(n)
        if skip:
            err("NOT restarting the following changed units: %s\n" % names(skip))
        err("activating the configuration...\n")
        self.journal("activating the configuration...", ident="switch-to-configuration", pid=stc_pid)
        err("setting up /etc...\n")
        self.activate(system, cfg)
        with self.lock:
            for n, d in new.items():
                if n in self.units:
                    self.units[n].defn = d
                else:
                    self.units[n] = Unit(n, d)
            for n in list(self.units):
                if n not in new and self.units[n].state in ("inactive", "failed"):
                    del self.units[n]
            for u in self.units.values():  # reset-failed
                if u.state == "failed":
                    u.state, u.sub, u.result = "inactive", "dead", "success"
        err("restarting sysinit-reactivation.target\n")
        failed_jobs = []
        for n in list(reload):
            if self.units[n].state != "active":
                reload.discard(n)
                start.add(n)
        if reload:
            err("reloading the following units: %s\n" % names(reload))
            for n in sorted(reload):
                if self.reload(n)[0] != "done":
                    failed_jobs.append(("reload", n))
        if restart:
            err("restarting the following units: %s\n" % names(restart))
            for n in sorted(restart):
                if self.restart(n) != "done":
                    failed_jobs.append(("restart", n))
        if start:
            err("starting the following units: %s\n" % names(start))
        for n in self.ordered([x for x in start if x in self.units]):
            if self.start(n) != "done":
                failed_jobs.append(("start", n))
        for n in self.wanted():  # the active targets are started again: what they want starts
            self.start(n)
        for job, n in failed_jobs:
            err("Failed to %s %s\n" % (job, n))
        self.settle()
        with self.lock:
            after = {n: u for n, u in self.units.items() if u.state != "inactive"}
            failed = sorted((n for n, u in after.items()
                             if u.state == "failed" or (u.sub == "auto-restart" and u.exec_main_status != 0)), key=str.lower)
            new_units = sorted((n for n, u in after.items() if n not in failed and n not in before), key=str.lower)
        if new_units:
            err("the following new units were started: %s\n" % ", ".join(new_units))
        code = 4 if failed_jobs else 0
        if failed:
            err("warning: the following units failed: %s\n" % ", ".join(failed))
            out.out(self.status_text(failed) + "\n")
            code = 4
        if code == 0:
            self.journal("finished switching to system configuration %s" % system, ident="switch-to-configuration", pid=stc_pid)
        else:
            self.journal("switching to system configuration %s failed (status %d)" % (system, code),
                         ident="switch-to-configuration", pid=stc_pid)
        return code

    def poweroff(self):
        with self.cond:
            self.state = "stopping"
            self.cond.notify_all()
        self.journal("Stopping session-1.scope - Session 1 of User root...")
        for n in reversed(self.ordered([n for n, u in self.units.items() if u.state != "inactive"])):
            try:
                self.stop(n)
            except Exception:
                traceback.print_exc()
        self.journal("Reached target System Power Off.")
        os._exit(0)

    # -------------------------------------------------------------- systemctl's answers
    def props(self, name):
        u = self.unit(name)
        if u is None:
            if name in TARGETS or name in STATIC_UNITS:
                desc = STATIC_UNITS.get(name, name)
                return {"Id": name, "Names": name, "Description": desc, "LoadState": "loaded", "ActiveState": "active",
                        "SubState": "active" if name.endswith(".target") else "running", "Result": "success",
                        "MainPID": "0", "UnitFileState": "static", "FragmentPath": "/etc/systemd/system/" + name}
            return {"Id": name, "Names": name, "Description": name, "LoadState": "not-found", "ActiveState": "inactive",
                    "SubState": "dead", "Result": "success", "MainPID": "0", "UnitFileState": "", "FragmentPath": ""}
        d = u.defn
        return {  # in `systemctl show`'s order: the Service interface's properties, then the Unit's
            "Type": d["type"], "Restart": d["restart"], "RemainAfterExit": "yes" if d["remainAfterExit"] else "no",
            "MainPID": str(u.main_pid), "Result": u.result, "NRestarts": str(u.n_restarts),
            "ExecMainPID": str(u.exec_main_pid),
            "ExecMainCode": "1" if u.exec_main_code == "exited" else "2" if u.exec_main_code == "killed" else "0",
            "ExecMainStatus": str(u.exec_main_status),
            "User": d.get("user") or "", "Group": d.get("group") or "",
            "Id": name, "Names": name,
            "Requires": " ".join(d["requires"]), "Wants": " ".join(d["wants"]),
            "WantedBy": " ".join(d["wantedBy"]), "RequiredBy": " ".join(d["requiredBy"]),
            "Before": " ".join(d["before"]), "After": " ".join(d["after"]),
            "Description": u.description,
            "LoadState": "bad-setting" if d.get("loadError") else "loaded",
            "ActiveState": u.state, "SubState": u.sub,
            "FragmentPath": "/etc/systemd/system/" + name,
            "UnitFileState": "enabled" if d["wantedBy"] or d["requiredBy"] else "static",
            "StateChangeTimestamp": stamp(u.since), "ActiveEnterTimestamp": stamp(u.active_enter),
            "CanReload": "yes" if d["reload"] else "no",
        }

    def system_state(self):
        with self.lock:
            if self.state in ("initializing", "starting", "stopping"):
                return self.state
            if any(u.state == "failed" for u in self.units.values()):
                return "degraded"
            return "running"

    def status_text(self, names):
        blocks = []
        for n in names:
            p = self.props(n)
            u = self.unit(n)
            bullet = {"active": "●", "failed": "×", "reloading": "●", "activating": "●"}.get(p["ActiveState"], "○")
            lines = ["%s %s - %s" % (bullet, n, p["Description"]),
                     "     Loaded: %s (%s; %s; preset: ignored)" % (p["LoadState"], p["FragmentPath"], p["UnitFileState"])]
            if u is not None:
                active = {"active": "active (%s)" % u.sub, "failed": "failed (Result: %s)" % u.result,
                          "activating": "activating (%s)" % u.sub, "deactivating": "deactivating (%s)" % u.sub,
                          "reloading": "reloading (%s)" % u.sub}.get(u.state, "inactive (dead)")
                since = (" since %s; %s" % (stamp(u.since), ago(u.since))) if u.since else ""
                lines.append("     Active: %s%s" % (active, since))
                if u.main_pid:
                    lines.append("   Main PID: %d (%s)" % (u.main_pid, u.defn.get("syslogIdentifier") or (u.defn["start"][0]["ident"] if u.defn["start"] else "sh")))
                elif u.exec_main_pid and u.exec_main_code:
                    lines.append("   Main PID: %d (code=%s, status=%s)" % (
                        u.exec_main_pid, u.exec_main_code, "%d/%s" % (u.exec_main_status, EXIT_NAMES.get(u.exec_main_status, u.exec_main_status))
                        if u.exec_main_code == "exited" else signal.Signals(u.exec_main_status).name[3:] if u.exec_main_status in signal.Signals._value2member_map_ else u.exec_main_status))
                tail = [r for r in _journal_records() if r.get("unit") == n][-10:]
                if tail:
                    lines.append("")
                    lines += [_format(r) for r in tail]
            else:
                lines.append("     Active: active (%s)" % p["SubState"])
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)


def _decode(status):
    if os.WIFEXITED(status):
        return "exited", os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return "killed", os.WTERMSIG(status)
    return "exited", 1


def _lines(path):
    with open(path) as f:
        return f.read().splitlines()


def _owner(spec, table):
    if spec.startswith("+"):
        try:
            return int(spec[1:])
        except ValueError:
            return 0
    return table.get(spec, 0)


def _journal_records():
    return J.read_lines(JOURNAL)


def _format(rec, output="short"):
    return J.format_line(rec, output)
