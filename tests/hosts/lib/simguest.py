"""What a container's NixOS configuration makes of the system inside it: its systemd
services, its /etc, its users and groups, and the packages of its system path.

Pure: no I/O. The host side uses it when it builds a container system (to know which
store paths the units and the system path need), the container's init (siminit.py)
when it activates one. Input is the evaluated container config as the mini module
system returns it (tests/hosts/nix/eval.nix, `sanitize`: derivations are their store
paths, functions "<function>").

NixOS sources it follows: nixos/lib/systemd-lib.nix and systemd-unit-options.nix (a
service's script, path, environment, wantedBy, restartIfChanged, ...),
nixos/modules/config/system-path.nix (corePackages, defaultPackages),
nixos/modules/system/etc/etc.nix (environment.etc entries), update-users-groups.pl
(uid/gid allocation), nixos/modules/programs/bash (the prompt).
"""
import hashlib
import json
import re
import shlex

# ------------------------------------------------------------------ fake packages
STORE_REF = re.compile(r"/nix/store/([0-9a-z]{32})-([A-Za-z0-9+._?=-]+)")


def package_path(name):
    """The store path of `pkgs.NAME` in the fake nixpkgs (nix/pkgs.nix: hash32 "NAME:{}")."""
    h = hashlib.sha256(("%s:{}" % name).encode()).hexdigest()[:32].replace("e", "z")
    return "/nix/store/%s-%s" % (h, name)


# system-path.nix: corePackages and defaultPackages, plus what modules that are always on in a
# container add (network-interfaces.nix: host iproute2 iputils nettools; shadow; nix; systemd).
CORE_PACKAGES = ("acl", "attr", "bashInteractive", "bzip2", "coreutils-full", "cpio", "curl", "diffutils",
                 "findutils", "gawk", "getent", "getconf", "gnugrep", "gnupatch", "gnused", "gnutar", "gzip",
                 "xz", "less", "libcap", "ncurses", "netcat", "mkpasswd", "procps", "su", "time", "util-linux",
                 "which", "zstd")
DEFAULT_PACKAGES = ("perl", "rsync", "strace")
MODULE_PACKAGES = ("host", "iproute2", "iputils", "nettools", "shadow", "nix", "systemd")
# systemd-unit-options.nix: every service's PATH ends with these (`path` comes first).
UNIT_PATH_PACKAGES = ("coreutils", "findutils", "gnugrep", "gnused", "systemd")


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def system_packages(cfg):
    """The store paths linked into /run/current-system/sw, systemPackages first (they win)."""
    env = _get(cfg, "environment") or {}
    core = env.get("corePackages")
    default = env.get("defaultPackages")
    paths = [p for p in _list(env.get("systemPackages")) if isinstance(p, str)]
    paths += [package_path(n) for n in CORE_PACKAGES] if core is None else [p for p in _list(core) if isinstance(p, str)]
    paths += [package_path(n) for n in DEFAULT_PACKAGES] if default is None else [p for p in _list(default) if isinstance(p, str)]
    paths += [package_path(n) for n in MODULE_PACKAGES]
    seen, out = set(), []
    for p in paths:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def store_refs(value):
    """Every /nix/store/<hash>-<name> prefix mentioned in the strings of a config value."""
    out = set()
    if isinstance(value, str):
        for m in STORE_REF.finditer(value):
            out.add("/nix/store/%s-%s" % (m.group(1), m.group(2)))
    elif isinstance(value, dict):
        for v in value.values():
            out |= store_refs(v)
    elif isinstance(value, list):
        for v in value:
            out |= store_refs(v)
    return out


# ------------------------------------------------------------------ services
def _bool(v, default):
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in ("1", "yes", "true", "on")


def _unit_name(n):
    return n if re.search(r"\.(service|target|socket|timer|path|mount)$", n) else n + ".service"


def _exec_lines(v):
    """ExecStart= and friends: a string, or a list of them (a derivation is its store path)."""
    return [str(x) for x in _list(v) if x is not None and str(x).strip() != ""]


def _command(line):
    """One Exec line: systemd's prefixes (`-` ignore the exit status, `@` argv[0] follows the
    path, `+`/`!` full privileges, `:` no variable expansion) and the command, which the
    simulator runs with /bin/sh -c (README: where systemd's parsing differs)."""
    flags = set()
    i = 0
    while i < len(line) and line[i] in "-@:+!":
        flags.add(line[i])
        i += 1
    cmd = line[i:].strip()
    if "@" in flags:  # "@/path argv0 args": drop the second word
        try:
            words = shlex.split(cmd)
        except ValueError:
            words = cmd.split()
        if len(words) >= 2:
            cmd = " ".join(shlex.quote(w) for w in [words[0]] + words[2:])
    first = cmd.split()[0] if cmd.split() else ""
    return {"shell": cmd, "ignore": "-" in flags, "privileged": bool(flags & {"+", "!"}),
            "ident": first.rsplit("/", 1)[-1]}


def _script(name, suffix, text):
    """A NixOS job script (systemd-lib makeJobScript: a bash script `NAME-SUFFIX` with set -e)."""
    ident = "%s-%s" % (name.replace("\\", "-").replace("@", "_"), suffix)
    return {"shell": "set -e\n" + text, "ignore": False, "privileged": False, "ident": ident}


def _commands(svc, sc, base, directive, option, suffix):
    """serviceConfig.DIRECTIVE lines, then the NixOS job script of OPTION (e.g. ExecStartPre
    and preStart)."""
    out = [_command(x) for x in _exec_lines(sc.get(directive))]
    if isinstance(svc.get(option), str) and svc[option].strip():
        out.append(_script(base, suffix, svc[option]))
    return out


def _environment(svc, sc):
    env = {}
    for k, v in sorted((svc.get("environment") or {}).items()):
        if v is not None:
            env[k] = ("1" if v else "") if isinstance(v, bool) else str(v)
    for item in _list(sc.get("Environment")):
        for word in shlex.split(str(item)):
            if "=" in word:
                k, v = word.split("=", 1)
                env[k] = v
    return env


def _unit_path(svc):
    pkgs = [str(p) for p in _list(svc.get("path")) if isinstance(p, str)] + [package_path(n) for n in UNIT_PATH_PACKAGES]
    return ":".join([p + "/bin" for p in pkgs] + [p + "/sbin" for p in pkgs])


def services(cfg):
    """systemd.services of a container config -> {unit name: normalized definition}.
    A definition's "identity" is what switch-to-configuration compares (the unit file
    minus what it ignores: Description, X-Reload-Triggers)."""
    out = {}
    for n, svc in sorted((_get(cfg, "systemd", "services") or {}).items()):
        if not isinstance(svc, dict) or svc.get("enable") is False:
            continue
        unit = _unit_name(n)
        base = unit.rsplit(".", 1)[0]
        sc = svc.get("serviceConfig") or {}
        start = [_command(x) for x in _exec_lines(sc.get("ExecStart"))]
        if not start and isinstance(svc.get("script"), str) and svc["script"].strip():
            start = [_script(base, "start", svc["script"])]
        pre, post, reload, stop = (_commands(svc, sc, base, *k) for k in (
            ("ExecStartPre", "preStart", "pre-start"), ("ExecStartPost", "postStart", "post-start"),
            ("ExecReload", "reload", "reload"), ("ExecStop", "preStop", "pre-stop")))
        stype = str(sc.get("Type") or "simple")
        d = {
            "unit": unit,
            "type": stype,
            "start": start, "startPre": pre, "startPost": post, "reload": reload, "stop": stop,
            "remainAfterExit": _bool(sc.get("RemainAfterExit"), False),
            "restart": str(sc.get("Restart") or "no"),
            "restartSec": str(sc.get("RestartSec") or "100ms"),
            "user": str(sc["User"]) if sc.get("User") is not None else None,
            "group": str(sc["Group"]) if sc.get("Group") is not None else None,
            "workingDirectory": str(sc["WorkingDirectory"]) if sc.get("WorkingDirectory") else None,
            "syslogIdentifier": str(sc["SyslogIdentifier"]) if sc.get("SyslogIdentifier") else None,
            "environment": dict(_environment(svc, sc), PATH=_unit_path(svc)),
            "environmentFiles": [str(x) for x in _list(sc.get("EnvironmentFile"))],
            "wantedBy": [_unit_name(str(x)) for x in _list(svc.get("wantedBy"))],
            "requiredBy": [_unit_name(str(x)) for x in _list(svc.get("requiredBy"))],
            "wants": [_unit_name(str(x)) for x in _list(svc.get("wants"))],
            "requires": [_unit_name(str(x)) for x in _list(svc.get("requires")) + _list(svc.get("bindsTo"))],
            "after": [_unit_name(str(x)) for x in _list(svc.get("after"))],
            "before": [_unit_name(str(x)) for x in _list(svc.get("before"))],
            "restartIfChanged": _bool(svc.get("restartIfChanged"), True),
            "reloadIfChanged": _bool(svc.get("reloadIfChanged"), False),
            "stopIfChanged": _bool(svc.get("stopIfChanged"), True),
            "restartTriggers": [str(x) for x in _list(svc.get("restartTriggers"))],
        }
        d["loadError"] = _load_error(d)
        d["identity"] = json.dumps(d, sort_keys=True)
        d["reloadTriggers"] = [str(x) for x in _list(svc.get("reloadTriggers"))]
        d["description"] = str(svc.get("description") or unit)
        out[unit] = d
    return out


def _load_error(d):
    """What systemd says when it refuses to load the unit (it is then `bad-setting`)."""
    if not d["start"] and not (d["type"] == "oneshot" and d["stop"]):
        return "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."
    if len(d["start"]) > 1 and d["type"] != "oneshot":
        return "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."
    if d["type"] not in ("simple", "exec", "oneshot", "forking", "notify", "notify-reload", "dbus", "idle"):
        return "Failed to parse service type, ignoring: %s" % d["type"]
    return None


# ------------------------------------------------------------------ /etc
BASH_PROMPT = r'PS1="\n\[\033[$PROMPT_COLOR\][\[\e]0;\u@\h: \w\a\]\u@\h:\w]\\$\[\033[0m\] "'


def _etc_builtin(cfg, hostname):
    """The /etc files every NixOS container has that the simulator needs (os-release,
    hostname, hosts, the shell start-up files that set PATH and the prompt, nsswitch.conf)."""
    variables = {k: str(v) for k, v in sorted((_get(cfg, "environment", "variables") or {}).items())
                 if isinstance(v, (str, int)) and not isinstance(v, bool)}
    env_lines = [
        'export PATH="/run/wrappers/bin:$HOME/.nix-profile/bin:/nix/profile/bin:$HOME/.local/state/nix/profile/bin:'
        '/etc/profiles/per-user/$USER/bin:/nix/var/nix/profiles/default/bin:/run/current-system/sw/bin"',
        'export PAGER="less"', 'export LESSOPEN=""']
    env_lines += ['export %s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"')) for k, v in variables.items()]
    version = "25.11"
    return {
        "os-release": 'ANSI_COLOR="0;38;2;126;186;228"\nBUG_REPORT_URL="https://github.com/NixOS/nixpkgs/issues"\n'
                      'BUILD_ID="25.11.20251130.0000000"\nDEFAULT_HOSTNAME=nixos\nHOME_URL="https://nixos.org/"\n'
                      'ID=nixos\nNAME=NixOS\nPRETTY_NAME="NixOS 25.11 (Xantusia)"\nVERSION="25.11 (Xantusia)"\n'
                      'VERSION_CODENAME=xantusia\nVERSION_ID="%s"\n' % version,
        "hostname": hostname + "\n",
        "hosts": "127.0.0.1 localhost\n::1 localhost\n127.0.0.2 %s\n" % hostname,
        "nsswitch.conf": "passwd:    files\ngroup:     files\nshadow:    files\nhosts:     files dns\n",
        "shells": "/run/current-system/sw/bin/bash\n/run/current-system/sw/bin/sh\n/bin/sh\n",
        "set-environment": "# DO NOT EDIT -- this file has been generated automatically.\n"
                           "export __NIXOS_SET_ENVIRONMENT_DONE=1\n" + "\n".join(env_lines) + "\n",
        "profile": "# /etc/profile: DO NOT EDIT -- this file has been generated automatically.\n"
                   "# This file is read for login shells.\n"
                   'if [ -n "${__ETC_PROFILE_SOURCED:-}" ]; then return; fi\n__ETC_PROFILE_SOURCED=1\n'
                   "export __ETC_PROFILE_DONE=1\n"
                   'if [ -z "${__NIXOS_SET_ENVIRONMENT_DONE:-}" ]; then . /etc/set-environment; fi\n'
                   'if [ -n "${BASH_VERSION:-}" ]; then . /etc/bashrc; fi\n',
        "bashrc": "# /etc/bashrc: DO NOT EDIT -- this file has been generated automatically.\n"
                  'if [ -n "${__ETC_BASHRC_SOURCED:-}" ] || [ -n "${NOSYSBASHRC:-}" ]; then return; fi\n'
                  "__ETC_BASHRC_SOURCED=1\n"
                  'if [ -z "${__ETC_PROFILE_DONE:-}" ]; then . /etc/profile; fi\n'
                  'if [ -n "${PS1:-}" ]; then\n'
                  '  if [ "$TERM" != "dumb" ] || [ -n "${INSIDE_EMACS:-}" ]; then\n'
                  '    PROMPT_COLOR="1;31m"\n    ((UID)) && PROMPT_COLOR="1;32m"\n    ' + BASH_PROMPT + "\n  fi\nfi\n",
    }


def etc_entries(cfg, hostname):
    """environment.etc -> {target: entry}; entry: text or source, mode ("symlink" or octal),
    user/group (names, or "+UID"), as etc.nix normalises them."""
    out = {t: {"text": text, "mode": "symlink", "user": "+0", "group": "+0"} for t, text in _etc_builtin(cfg, hostname).items()}
    for key, e in sorted((_get(cfg, "environment", "etc") or {}).items()):
        if not isinstance(e, dict) or e.get("enable") is False:
            continue
        target = str(e.get("target") or key).lstrip("/")
        entry = {"mode": str(e.get("mode") or "symlink")}
        if e.get("text") is not None:
            entry["text"] = str(e["text"])
        elif e.get("source") is not None:
            entry["source"] = str(e["source"])
        else:
            continue
        uid, gid = e.get("uid", 0), e.get("gid", 0)
        entry["user"] = str(e["user"]) if e.get("user") not in (None, "") else "+%s" % uid
        entry["group"] = str(e["group"]) if e.get("group") not in (None, "") else "+%s" % gid
        out[target] = entry
    return out


# ------------------------------------------------------------------ users and groups
def accounts(cfg, uid_map, gid_map):
    """users.users and users.groups -> (passwd lines, group lines, shadow lines, new maps,
    homes to create). Ids are allocated as update-users-groups.pl does: normal users from
    1000 up, system users and groups from 999 down, remembered in /var/lib/nixos/{uid,gid}-map
    so an id never moves."""
    users = {"root": {"uid": 0, "group": "root", "home": "/root", "shell": "/run/current-system/sw/bin/bash",
                      "description": "System administrator", "extraGroups": []},
             "nobody": {"uid": 65534, "group": "nogroup", "home": "/var/empty",
                        "shell": "/run/current-system/sw/bin/nologin", "description": "Unprivileged account (don't use!)",
                        "extraGroups": []}}
    groups = {"root": 0, "wheel": 1, "users": 100, "nogroup": 65534}
    uid_map, gid_map = dict(uid_map), dict(gid_map)
    for g, spec in sorted((_get(cfg, "users", "groups") or {}).items()):
        if isinstance(spec, dict) and isinstance(spec.get("gid"), int):
            groups[g] = spec["gid"]
        else:
            groups.setdefault(g, None)
    declared = {}
    for u, spec in sorted((_get(cfg, "users", "users") or {}).items()):
        if not isinstance(spec, dict) or spec.get("enable") is False:
            continue
        normal = spec.get("isNormalUser") is True
        group = str(spec.get("group") or ("users" if normal else "nogroup"))
        groups.setdefault(group, None)
        for g in _list(spec.get("extraGroups")):
            groups.setdefault(str(g), None)
        home = str(spec.get("home") or ("/home/" + u if normal else "/var/empty"))
        declared[u] = {"uid": spec.get("uid") if isinstance(spec.get("uid"), int) else None, "normal": normal,
                       "group": group, "home": home, "createHome": spec.get("createHome", normal) is True,
                       "shell": "/run/current-system/sw/bin/bash" if normal or spec.get("shell") else "/run/current-system/sw/bin/nologin",
                       "description": str(spec.get("description") or ""),
                       "extraGroups": [str(g) for g in _list(spec.get("extraGroups"))]}
    used_uids = {u["uid"] for u in users.values()} | {d["uid"] for d in declared.values() if d["uid"] is not None}
    for u, d in declared.items():
        if d["uid"] is None:
            d["uid"] = uid_map.get(u) if uid_map.get(u) not in used_uids else None
            if d["uid"] is None:
                d["uid"] = _allocate(used_uids | set(uid_map.values()), 1000, 29999, 1) if d["normal"] else \
                    _allocate(used_uids | set(uid_map.values()), 400, 999, -1)
            used_uids.add(d["uid"])
        uid_map[u] = d["uid"]
        users[u] = d
    used_gids = {g for g in groups.values() if g is not None}
    for g in sorted(groups):
        if groups[g] is None:
            gid = gid_map.get(g)
            if gid is None or gid in used_gids:
                gid = _allocate(used_gids | set(gid_map.values()), 400, 999, -1)
            groups[g] = gid
            used_gids.add(gid)
        gid_map[g] = groups[g]
    members = {g: sorted(u for u, d in users.items() if g in d["extraGroups"]) for g in groups}
    passwd = ["%s:x:%d:%d:%s:%s:%s" % (u, d["uid"], groups[d["group"]], d["description"], d["home"], d["shell"])
              for u, d in sorted(users.items(), key=lambda kv: kv[1]["uid"])]
    group = ["%s:x:%d:%s" % (g, gid, ",".join(members[g])) for g, gid in sorted(groups.items(), key=lambda kv: kv[1])]
    shadow = ["%s:!:1::::::" % u for u in sorted(users)]
    homes = [(d["home"], d["uid"], groups[d["group"]]) for d in declared.values() if d["createHome"]]
    return passwd, group, shadow, uid_map, gid_map, homes


def _allocate(used, low, high, step):
    rng = range(low, high + 1) if step > 0 else range(high, low - 1, -1)
    for i in rng:
        if i not in used:
            return i
    raise ValueError("out of ids between %d and %d" % (low, high))


def hostname(cfg, name):
    h = _get(cfg, "networking", "hostName")
    return h if isinstance(h, str) and h else name
