"""The container@NAME.service unit of the simulated host: the unit file NixOS
generates for a declarative container (nixos-containers.nix through
nixos/lib/systemd-lib.nix), the template container@.service of imperative
ones, and what systemd makes of the settings (`systemctl show`).

Pure: no I/O. The unit file text is the unit's identity, as it is for
switch-to-configuration (a changed file is a changed unit), so everything the
real file depends on must reach it, including the scripts' inputs (their
store paths are hashes of what they embed).
"""
import re

# ------------------------------------------------------------------ systemd names
# nixpkgs nixos/lib/utils.nix escapeSystemdPath: only these characters are
# C-escaped (systemd-escape would escape more); "/" becomes "-".
_ESCAPED = set(" !\"#$%&'()*+,;<=>=@[\\]^`{|}~-")


def escape_systemd_path(s):
    path = re.sub("/+", "/", s)
    if path != "/":
        path = path[1:] if path.startswith("/") else path
        path = path[:-1] if path.endswith("/") else path
    out = "".join("\\x%02x" % ord(ch) if ch in _ESCAPED else ch for ch in path)
    if out.startswith("."):
        out = "\\x2e" + out[1:]
    return out.replace("/", "-")


def device_unit(interface):
    return "sys-subsystem-net-devices-%s.device" % escape_systemd_path(interface)


# ------------------------------------------------------------------ time spans
# systemd.time(7), as parse_sec() reads it: components "<number>[.<fraction>] [unit]",
# whitespace optional, seconds without a unit. First match wins, so longer names first.
USEC_PER = {"s": 10 ** 6, "min": 60 * 10 ** 6, "h": 3600 * 10 ** 6, "d": 86400 * 10 ** 6,
            "w": 7 * 86400 * 10 ** 6, "month": 2629800 * 10 ** 6, "y": 31557600 * 10 ** 6,
            "ms": 10 ** 3, "us": 1}
_PARSE_UNITS = [("seconds", "s"), ("second", "s"), ("sec", "s"), ("s", "s"),
                ("minutes", "min"), ("minute", "min"), ("min", "min"),
                ("months", "month"), ("month", "month"), ("M", "month"),
                ("msec", "ms"), ("ms", "ms"), ("m", "min"),
                ("hours", "h"), ("hour", "h"), ("hr", "h"), ("h", "h"),
                ("days", "d"), ("day", "d"), ("d", "d"),
                ("weeks", "w"), ("week", "w"), ("w", "w"),
                ("years", "y"), ("year", "y"), ("y", "y"),
                ("usec", "us"), ("us", "us"), ("\u00b5s", "us"), ("\u03bcs", "us")]
# format_timespan()'s table, largest first
_FORMAT_UNITS = ["y", "month", "w", "d", "h", "min", "s", "ms", "us"]
INFINITY = "infinity"
DEFAULT_TIMEOUT_START_USEC = 90 * 10 ** 6  # systemd's DefaultTimeoutStartSec=


def parse_timespan(text):
    """usec, INFINITY, or None when systemd would reject the value."""
    s = text.strip()
    if s == "infinity":
        return INFINITY
    total, pos, seen = 0, 0, False
    while True:
        while pos < len(s) and s[pos].isspace():
            pos += 1
        if pos == len(s):
            return total if seen else None
        m = re.match(r"([0-9]+)(?:\.([0-9]*))?", s[pos:])
        if not m:
            return None
        pos += m.end()
        while pos < len(s) and s[pos].isspace():
            pos += 1
        unit = "s"
        for name, canonical in _PARSE_UNITS:
            if s.startswith(name, pos):
                unit, pos = canonical, pos + len(name)
                break
        mult = USEC_PER[unit]
        frac = m.group(2) or ""
        total += int(m.group(1)) * mult + (int(frac) * mult // 10 ** len(frac) if frac else 0)
        seen = True


def format_timespan(usec):
    """systemd format_timespan(..., accuracy 0), as `systemctl show` prints *USec properties."""
    if usec == INFINITY:
        return INFINITY
    if usec <= 0:
        return "0"
    parts, t = [], usec
    for unit in _FORMAT_UNITS:
        size = USEC_PER[unit]
        if t <= 0:
            break
        if t < size:
            continue
        whole, rest = divmod(t, size)
        if t < USEC_PER["min"] and rest > 0:
            digits = len(str(size)) - 1
            parts.append("%d.%0*d%s" % (whole, digits, rest, unit))
            break
        parts.append("%d%s" % (whole, unit))
        t = rest
    return " ".join(parts)


def timeout_start_usec(value):
    """TimeoutStartSec= as systemd loads it: 0 means no timeout; a value it cannot parse
    is ignored (with a warning in the journal), leaving the default."""
    usec = parse_timespan(value)
    if usec is None:
        return DEFAULT_TIMEOUT_START_USEC
    return INFINITY if usec == 0 else usec


# ------------------------------------------------------------------ the unit file
def sanitize_derivation_name(name):
    """nixpkgs lib.strings.sanitizeDerivationName: leading dots dropped, every run of
    characters Nix refuses in store path names becomes one "-", at most 207 characters."""
    if len(name) <= 207 and re.fullmatch(r"[A-Za-z0-9+_?=-][A-Za-z0-9+._?=-]*", name):
        return name
    name = re.sub(r"[^A-Za-z0-9+._?=-]+", "-", name.lstrip("."))
    name = name[max(len(name) - 207, 0):]
    return name or "unknown"


def _fake_script(store_path, unit_name, suffix, inputs):
    script = "%s-%s" % (unit_name.replace("@", "_"), suffix)
    return "%s/bin/%s" % (store_path("unit-script-" + script, repr(inputs)), script)


def _section(settings):
    """systemd-lib attrsToSection: attributes sorted by name, one line per list item."""
    lines = []
    for key in sorted(settings):
        value = settings[key]
        for item in (value if isinstance(value, list) else [value]):
            lines.append("%s=%s" % (key, "true" if item is True else "false" if item is False else item))
    return "".join(line + "\n" for line in lines)


def _environment(env):
    # systemd-lib renders Environment= with builtins.toJSON "NAME=value", names sorted
    return "".join('Environment="%s=%s"\n' % (n, env[n].replace("\\", "\\\\").replace('"', '\\"'))
                   for n in sorted(env))


def container_unit(name, c, dirs, store_path, toplevel=None, conf_text=None, service_config=None):
    """container@NAME.service for declarative container c (name None: the template
    container@.service, built from the module's dummyConfig). dirs: confDirName,
    confDir, stateDir of the host (they follow its stateVersion, reference C.1)."""
    unit_name = "container@%s" % (name or "")
    devices = ["%s %s" % (d["node"], d["modifier"]) for d in c["allowedDevices"]]
    caps = list(c["additionalCapabilities"])
    # The module's automatic /dev/net/tun (reference C.3)
    if c["enableTun"]:
        devices.append("/dev/net/tun rwm")
        caps.append("CAP_NET_ADMIN")
    elif c["privateNetwork"] and user_namespaced(c["privateUsers"]):
        devices.append("/dev/net/tun rwm")
    ephemeral = c["ephemeral"]
    state = "%s/%%i" % dirs["stateDir"]
    veths = c["extraVeths"]
    unit = {
        "Description": "Container '%i'",
        "RequiresMountsFor": ([] if ephemeral else [state])
        + [m["hostPath"] if m["hostPath"] is not None else m["mountPoint"] for m in c["bindMounts"]],
    }
    service = {
        "Delegate": True,
        "DeviceAllow": devices,
        "DevicePolicy": "closed",
        "EnvironmentFile": "-%s/%%i.conf" % dirs["confDir"],
        "ExecReload": store_path("reload-container", dirs["confDir"]),
        "ExecStart": _fake_script(store_path, unit_name, "start",
                                  [ephemeral, caps, c["tmpfs"], veths]) + " ",
        "ExecStartPre": [_fake_script(store_path, unit_name, "pre-start", sorted(veths))],
        "ExecStartPost": [_fake_script(store_path, unit_name, "post-start",
                                       [c[k] for k in ("hostAddress", "hostAddress6", "localAddress", "localAddress6")] + [veths])],
        "KillMode": "mixed",
        "KillSignal": "TERM",
        "Restart": "on-failure",
        "RestartForceExitStatus": "133",
        "RuntimeDirectory": ["%s/%%i" % dirs["confDirName"]] if ephemeral else [],
        "Slice": "machine.slice",
        "SuccessExitStatus": "133",
        "SyslogIdentifier": "container %i",
        "TimeoutStartSec": c["timeoutStartSec"],
        "Type": "notify",
    }
    # systemd.services."container@NAME".serviceConfig of the host merges into the same section.
    service.update(service_config or {})
    env = dict(_global_environment(store_path), INSTANCE="%i",
               root="/run/nixos-containers/%i" if ephemeral else state)
    restart_if_changed = False
    wanted_by = []
    if c["autoStart"]:
        deps = ["network.target"] + [device_unit(i) for i in c["interfaces"]]
        unit["After"] = " ".join(deps)
        unit["Wants"] = " ".join(deps)
        # systemd-lib writes it with pkgs.writeText "X-Restart-Triggers-${name}" (name = container@NAME),
        # and mkDerivation passes the name through lib.strings.sanitizeDerivationName ("@" -> "-").
        unit["X-Restart-Triggers"] = store_path(sanitize_derivation_name("X-Restart-Triggers-" + unit_name),
                                                "%s %s" % (toplevel, conf_text))
        restart_if_changed = c["restartIfChanged"]
        wanted_by = ["machines.target"]
    text = "[Unit]\n" + _section(unit) + "\n[Service]\n" + _environment(env)
    text += "" if restart_if_changed else "X-RestartIfChanged=false\n"
    text += _section(service)
    text += "\n[Install]\nWantedBy=%s\n" % " ".join(wanted_by) if wanted_by else ""
    return {"file": text, "X-RestartIfChanged": restart_if_changed, "WantedBy": wanted_by,
            "TimeoutStartSec": c["timeoutStartSec"]}


def user_namespaced(private_users):
    """privateUsers = "pick" or a number > 0 (the conf's toString of it)."""
    return private_users == "pick" or (private_users.isdigit() and int(private_users) > 0)


# The template's dummyConfig (reference C.3): what imperative containers run under.
TEMPLATE_CONFIG = {"allowedDevices": [], "additionalCapabilities": [], "enableTun": False, "privateNetwork": False,
                   "privateUsers": "no", "ephemeral": False, "extraVeths": {}, "bindMounts": [], "tmpfs": [],
                   "hostAddress": None, "hostAddress6": None, "localAddress": None, "localAddress6": None,
                   "timeoutStartSec": "1min", "autoStart": False, "interfaces": [], "restartIfChanged": True}

# The service's PATH (the unit's path = [ iproute2 nix ], then stage 2's defaults) and the
# global environment of the i18n and time modules, as fake store paths.
PATH_PACKAGES = ("iproute2-6.16.0", "nix-2.31.2", "coreutils-9.8", "findutils-4.10.0", "gnugrep-3.12",
                 "gnused-4.9", "systemd-258.2")


def unit_path(store_path):
    """The unit's PATH, which the start script hands on into the container (--setenv PATH=)."""
    return _global_environment(store_path)["PATH"]


def _global_environment(store_path):
    pkgs = [store_path(p, "") for p in PATH_PACKAGES]
    return {"PATH": ":".join([p + "/bin" for p in pkgs] + [p + "/sbin" for p in pkgs]),
            "LOCALE_ARCHIVE": store_path("glibc-locales-2.40-66", "") + "/lib/locale/locale-archive",
            "TZDIR": store_path("tzdata-2025b", "") + "/share/zoneinfo"}


# ------------------------------------------------------------------ systemctl show
def show_properties(unit, instance):
    """The properties `systemctl show` derives from the unit file: specifiers resolved,
    time spans normalised, signals as numbers, booleans as yes/no. Lists print one
    line per item where systemd does (DeviceAllow), space-joined otherwise."""
    settings = parse_unit_file(unit["file"])

    def get(key, default=""):
        return settings.get(key, [default])[-1].replace("%i", instance)
    env = " ".join(e.strip('"').replace("%i", instance) for e in settings.get("Environment", []))
    return {
        "Description": get("Description"),
        "Wants": get("Wants"),
        "After": get("After"),
        "RequiresMountsFor": " ".join(v.replace("%i", instance) for v in settings.get("RequiresMountsFor", [])),
        "Environment": env,
        "Type": get("Type"),
        "Restart": get("Restart"),
        "RestartForceExitStatus": get("RestartForceExitStatus"),
        "SuccessExitStatus": get("SuccessExitStatus"),
        "TimeoutStartUSec": format_timespan(timeout_start_usec(get("TimeoutStartSec", "90s"))),
        "Slice": get("Slice"),
        "Delegate": "yes" if get("Delegate") == "true" else "no",
        "KillMode": get("KillMode"),
        "KillSignal": str(SIGNALS[get("KillSignal", "TERM")]),
        "DevicePolicy": get("DevicePolicy"),
        "DeviceAllow": settings.get("DeviceAllow", []),
        "SyslogIdentifier": get("SyslogIdentifier"),
        "RuntimeDirectory": " ".join(v.replace("%i", instance) for v in settings.get("RuntimeDirectory", [])),
        "EnvironmentFiles": "%s (ignore_errors=yes)" % get("EnvironmentFile").lstrip("-"),
    }


SIGNALS = {"TERM": 15, "SIGTERM": 15, "KILL": 9, "SIGKILL": 9, "INT": 2, "SIGINT": 2, "HUP": 1, "SIGHUP": 1}


def parse_unit_file(text):
    settings = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("["):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings
