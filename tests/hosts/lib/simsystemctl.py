"""What the tools of a simulated container get from its init (tests/hosts/README.md, "Inside a
container"): the socket that systemctl, journalctl and switch-to-configuration
(lib/simclient.py) talk to, and their answers, in systemctl(1)'s and journalctl(1)'s words,
from the model of lib/simsystemd.py.
"""
import json
import os
import socket
import threading
import time
import traceback

from simsystemd import SOCKET, STATIC_UNITS, TARGETS, _format, _journal_records


class Output:
    """Streams a request's output to the client: JSON lines {"out"|"err": text}, then {"exit": n}."""
    def __init__(self, conn):
        self.conn = conn
        self.pid = 0

    def _send(self, rec):
        try:
            self.conn.sendall((json.dumps(rec) + "\n").encode())
        except OSError:
            pass

    def out(self, text):
        self._send({"out": text})

    def err(self, text):
        self._send({"err": text})

    def exit(self, code):
        self._send({"exit": code})


def serve(m):
    os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
    try:
        os.unlink(SOCKET)
    except OSError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCKET)
    os.chmod(SOCKET, 0o666)
    srv.listen(64)
    m.server = srv
    threading.Thread(target=_accept, args=(m,), daemon=True).start()

def _accept(m):
    while True:
        try:
            conn, _ = m.server.accept()
        except OSError:
            time.sleep(0.05)
            continue
        threading.Thread(target=_handle, args=(m, conn), daemon=True).start()

def _handle(m, conn):
    out = Output(conn)
    try:
        f = conn.makefile("rb")
        req = json.loads(f.readline().decode() or "{}")
        out.pid = req.get("pid", 0)
        code = dispatch(m, req, out)
    except Exception:
        out.err("sim-init: %s\n" % traceback.format_exc())
        code = 1
    out.exit(code)
    try:
        conn.close()
    except OSError:
        pass

def dispatch(m, req, out):
    tool = req.get("tool")
    argv = req.get("argv") or []
    if tool == "switch-to-configuration":
        if len(argv) != 1 or argv[0] not in ("switch", "boot", "test", "dry-activate", "check"):
            out.err("Usage: %s [check|switch|boot|test|dry-activate]\n" % req.get("argv0", tool))
            return 1
        if req.get("uid", 0) != 0:
            out.err("%s must be run as the root user\n" % req.get("argv0", tool))
            return 1
        system = req.get("system") or ""
        if not os.path.exists(os.path.join(system, "sim-container.json")):
            out.err("This is not a NixOS installation!\n")
            return 1
        with m.switch_lock:
            return m.switch(system, argv[0], out)
    if tool == "journalctl":
        return journalctl(argv, out)
    return systemctl(m, argv, out, req.get("uid", 0))


def _option(argv, i, *names):
    """The value of option NAMES at argv[i] ("-p V", "--property V", "--property=V") and the
    index of its last word, or (None, i)."""
    a = argv[i]
    for n in names:
        if a == n and i + 1 < len(argv):
            return argv[i + 1], i + 1
        if n.startswith("--") and a.startswith(n + "="):
            return a[len(n) + 1:], i
    return None, i


# ------------------------------------------------------------------ systemctl inside
def _norm(u):
    return u if "." in u else u + ".service"


def systemctl(m, argv, out, uid):
    opts = {"quiet": False, "props": [], "value": False, "legend": True, "plain": False, "all": False,
            "state": [], "wait": False, "type": []}
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        for key, names in (("props", ("-p", "--property")), ("type", ("-t", "--type")), ("state", ("--state",))):
            value, j = _option(argv, i, *names)
            if value is not None:
                opts[key] += value.split(",")
                i, a = j, None
                break
        if a is None:
            pass
        elif a in ("-q", "--quiet"):
            opts["quiet"] = True
        elif a == "--value":
            opts["value"] = True
        elif a == "--no-legend":
            opts["legend"] = False
        elif a == "--plain":
            opts["plain"] = True
        elif a in ("-a", "--all"):
            opts["all"] = True
        elif a == "--failed":
            opts["state"].append("failed")
        elif a == "--wait":
            opts["wait"] = True
        elif a.startswith("-"):
            pass  # --no-pager, --full, -l, --no-block, --no-ask-password, ...
        else:
            args.append(a)
        i += 1
    cmd = args[0] if args else "list-units"
    units = [_norm(u) for u in args[1:]]
    if cmd == "is-system-running":
        if opts["wait"]:
            with m.cond:
                m.cond.wait_for(lambda: m.state not in ("initializing", "starting"), timeout=300)
        state = m.system_state()
        if not opts["quiet"]:
            out.out(state + "\n")
        return 0 if state == "running" else 1
    if cmd in ("daemon-reload", "daemon-reexec", "reset-failed"):
        if cmd == "reset-failed":
            with m.lock:
                for u in m.units.values():
                    if u.state == "failed" and (not units or u.name in units):
                        u.state, u.sub, u.result = "inactive", "dead", "success"
        return 0
    if cmd in ("list-units", "list-machines") or (cmd == "list-units" and opts["state"]):
        return _list_units(m, opts, out)
    if cmd in ("start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "try-reload-or-restart", "kill"):
        if not units:
            out.err("Too few arguments.\n")
            return 1
        if uid != 0:
            out.err("Failed to %s %s: Access denied\n" % (cmd, units[0]))
            return 4
        rc = 0
        for u in units:
            rc = max(rc, _job(m, cmd, u, out))
        return rc
    if cmd in ("is-active", "is-failed"):
        rc = 3 if cmd == "is-active" else 1
        for u in units:
            s = m.props(u)["ActiveState"]
            if not opts["quiet"]:
                out.out(s + "\n")
            if (cmd == "is-active" and s in ("active", "reloading")) or (cmd == "is-failed" and s == "failed"):
                rc = 0
        return rc
    if cmd == "is-enabled":
        rc = 1
        for u in units:
            state = m.props(u)["UnitFileState"] or "not-found"
            if state == "not-found":
                out.err("Failed to get unit file state for %s: No such file or directory\n" % u)
                return 1
            if not opts["quiet"]:
                out.out(state + "\n")
            rc = 0 if state in ("enabled", "static") else rc
        return rc
    if cmd == "show":
        for idx, u in enumerate(units):
            p = m.props(u)
            if idx:
                out.out("\n")
            keys = list(p) if not opts["props"] else [k for k in p if k in opts["props"]] + [k for k in opts["props"] if k not in p]
            for k in keys:
                v = p.get(k, "")
                out.out((v if opts["value"] else "%s=%s" % (k, v)) + "\n")
        return 0
    if cmd == "status":
        if not units:
            out.out("● %s\n    State: %s\n" % (m.hostname(), m.system_state()))
            return 0
        rc = 0
        known = []
        for u in units:
            p = m.props(u)
            if p["LoadState"] == "not-found":
                out.err("Unit %s could not be found.\n" % u)
                rc = max(rc, 4)
                continue
            known.append(u)
            if p["ActiveState"] not in ("active", "reloading"):
                rc = max(rc, 3)
        if known:
            out.out(m.status_text(known) + "\n")
        return rc
    if cmd == "cat":
        for u in units:
            unit = m.unit(u)
            if unit is None:
                out.err("No files found for %s.\n" % u)
                return 1
            d = unit.defn
            lines = ["# /etc/systemd/system/%s" % u, "[Unit]", "Description=%s" % unit.description]
            lines += ["After=%s" % x for x in d["after"]] + ["Requires=%s" % x for x in d["requires"]] + ["Wants=%s" % x for x in d["wants"]]
            lines += ["", "[Service]"] + ['Environment="%s=%s"' % kv for kv in sorted(d["environment"].items())]
            lines += ["Type=%s" % d["type"]] + ["ExecStart=%s" % c["shell"] for c in d["start"]]
            lines += ["ExecReload=%s" % c["shell"] for c in d["reload"]]
            if d["remainAfterExit"]:
                lines.append("RemainAfterExit=true")
            out.out("\n".join(lines) + "\n")
        return 0
    out.err("Unknown command verb '%s'.\n" % cmd)
    return 1


def _job(m, cmd, u, out):
    verb = {"try-restart": "restart", "reload-or-restart": "reload", "try-reload-or-restart": "reload"}.get(cmd, cmd)
    unit = m.unit(u)
    if unit is None and u not in TARGETS and u not in STATIC_UNITS:
        out.err("Failed to %s %s: Unit %s not found.\n" % (verb, u, u))
        return 5
    if unit is not None and unit.defn.get("loadError"):
        out.err("Failed to %s %s: Unit %s has a bad unit file setting.\nSee system logs and 'systemctl status %s' for details.\n" % (verb, u, u, u))
        return 1
    failed = ("Job for %s failed because the control process exited with error code.\n"
              "See \"systemctl status %s\" and \"journalctl -xeu %s\" for details.\n" % (u, u, u))
    if cmd == "start":
        r = m.start(u)
    elif cmd in ("stop", "kill"):
        r = m.stop(u)
    elif cmd == "restart":
        r = m.restart(u)
    elif cmd == "try-restart":
        r = m.restart(u) if unit is not None and unit.state == "active" else "done"
    else:
        active = unit is not None and unit.state == "active"
        if cmd in ("reload-or-restart", "try-reload-or-restart") and (not active or not unit.defn["reload"]):
            r = m.restart(u) if (active or cmd == "reload-or-restart") else "done"
        else:
            r, _ = m.reload(u)
            if r == "inactive":
                out.err("%s is not active, cannot reload.\n" % u)
                return 1
            if r == "not-applicable":
                out.err("Failed to reload %s: Job type reload is not applicable for unit %s.\n" % (u, u))
                return 1
    if r == "dependency":
        out.err("A dependency job for %s failed. See 'journalctl -xe' for details.\n" % u)
        return 1
    if r in ("failed", "bad-setting"):
        out.err(failed)
        return 1
    return 0


def _list_units(m, opts, out):
    rows = []
    names = sorted(set(m.units) | set(STATIC_UNITS) | set(TARGETS))
    for n in names:
        p = m.props(n)
        if opts["state"] and p["ActiveState"] not in opts["state"] and p["SubState"] not in opts["state"]:
            continue
        if not opts["state"] and not opts["all"] and p["ActiveState"] == "inactive":
            continue
        if opts["type"] and n.rsplit(".", 1)[-1] not in opts["type"]:
            continue
        rows.append((n, p["LoadState"], p["ActiveState"], p["SubState"], p["Description"]))
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(("UNIT", "LOAD", "ACTIVE", "SUB"))]
    bullet = (lambda r: "" if opts["plain"] else ("● " if r[2] == "failed" else "  "))
    lines = []
    if opts["legend"]:
        lines.append(("" if opts["plain"] else "  ") + " ".join(h.ljust(widths[i]) for i, h in enumerate(("UNIT", "LOAD", "ACTIVE", "SUB"))) + " DESCRIPTION")
    for r in rows:
        lines.append(bullet(r) + " ".join(r[i].ljust(widths[i]) for i in range(4)) + " " + r[4])
    if opts["legend"]:
        lines += ["", "Legend: LOAD   \u2192 Reflects whether the unit definition was properly loaded.",
                  "        ACTIVE \u2192 The high-level unit activation state, i.e. generalization of SUB.",
                  "        SUB    \u2192 The low-level unit activation state, values depend on unit type.", "",
                  "%d loaded units listed." % len(rows)]
    if lines:
        out.out("\n".join(lines) + "\n")
    return 0


def journalctl(argv, out):
    opts = {"unit": None, "lines": None, "output": "short"}
    i = 0
    while i < len(argv):
        for key, names in (("unit", ("-u", "--unit")), ("lines", ("-n", "--lines")), ("output", ("-o", "--output"))):
            value, j = _option(argv, i, *names)
            if value is not None:
                opts[key], i = value, j
                break
        i += 1
    unit = _norm(opts["unit"]) if opts["unit"] else None
    lines = int(opts["lines"]) if opts["lines"] is not None else None
    output = opts["output"]
    recs = [r for r in _journal_records() if unit is None or r.get("unit") == unit]
    if lines is not None:
        recs = recs[-lines:] if lines > 0 else []
    if not recs:
        out.out("-- No entries --\n")
        return 0
    out.out("".join(_format(r, output) + "\n" for r in recs))
    return 0
