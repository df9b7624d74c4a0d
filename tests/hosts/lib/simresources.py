"""Resource control of container@NAME.service, as systemd does it (systemd.resource-control(5)).

The host configuration's `systemd.services."container@NAME".serviceConfig` sets the directives;
`systemctl show` reports them in systemd's own formats (bytes, CPUQuotaPerSecUSec as a time span,
"[not set]" weights, "infinity"). The values a running container's cgroup has are realized at
start and again whenever systemd reloads its units (daemon-reload re-applies every loaded unit's
cgroup settings to running units), which is what switch-to-configuration does before it decides
to restart a changed unit or not.
"""
import os
from decimal import Decimal

DIRECTIVES = ("MemoryMax", "MemoryHigh", "MemorySwapMax", "CPUQuota", "CPUWeight", "AllowedCPUs", "TasksMax", "IOWeight")
SIZE_SUFFIX = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
TIMESPAN_UNITS = (("y", 31557600000000), ("month", 2629800000000), ("w", 604800000000), ("d", 86400000000),
                  ("h", 3600000000), ("min", 60000000), ("s", 1000000), ("ms", 1000), ("us", 1))


def settings_of(host_config, name):
    """The resource-control directives the host configuration sets on container@NAME."""
    svc = ((((host_config or {}).get("systemd") or {}).get("services") or {}).get("container@" + name) or {})
    cfg = svc.get("serviceConfig") or {}
    return {k: str(cfg[k]) for k in DIRECTIVES if k in cfg and cfg[k] is not None}


def _physical_memory():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _system_tasks_max():
    vals = []
    for p in ("/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"):
        try:
            with open(p) as f:
                vals.append(int(f.read().strip()))
        except (OSError, ValueError):
            pass
    return (min(vals) - 1) if vals else 4194303


def _bytes(v):
    if v == "infinity":
        return "infinity"
    if v.endswith("%"):
        return str(int(_physical_memory() * Decimal(v[:-1]) / 100))
    suffix = v[-1] if v[-1] in SIZE_SUFFIX else ""
    number = Decimal(v[:-1] if suffix else v)
    return str(int(number * (1024 ** SIZE_SUFFIX[suffix])))


def format_timespan(usec):
    """systemd's format_timespan(..., accuracy=1): "500ms", "2s", "1.500000s"."""
    if usec <= 0:
        return "0"
    parts = []
    t = usec
    for suffix, unit in TIMESPAN_UNITS:
        if t <= 0:
            break
        if t < unit:
            continue
        a, b = divmod(t, unit)
        if t < 60000000 and b > 0:
            digits = len(str(unit)) - 1
            parts.append("%d.%0*d%s" % (a, digits, b, suffix))
            t = 0
            break
        parts.append("%d%s" % (a, suffix))
        t = b
    return " ".join(parts)


def _cpu_set(v):
    cpus = set()
    for r in v.replace(",", " ").split():
        a, _, b = r.partition("-")
        cpus.update(range(int(a), int(b or a) + 1))
    ranges, run = [], []
    for c in sorted(cpus):
        if run and c == run[-1] + 1:
            run.append(c)
        else:
            if run:
                ranges.append(run)
            run = [c]
    if run:
        ranges.append(run)
    return " ".join(str(r[0]) if len(r) == 1 else "%d-%d" % (r[0], r[-1]) for r in ranges)


def show_properties(settings):
    """What `systemctl show` prints for the unit's resource control, set or not."""
    s = settings or {}
    quota = s.get("CPUQuota")
    tasks = s.get("TasksMax")
    if tasks is None:
        tasks_shown = str(_system_tasks_max() * 15 // 100)  # DefaultTasksMax=15%
    elif tasks.endswith("%"):
        tasks_shown = str(int(_system_tasks_max() * Decimal(tasks[:-1]) / 100))
    else:
        tasks_shown = tasks
    return {
        "MemoryMax": _bytes(s["MemoryMax"]) if "MemoryMax" in s else "infinity",
        "MemoryHigh": _bytes(s["MemoryHigh"]) if "MemoryHigh" in s else "infinity",
        "MemorySwapMax": _bytes(s["MemorySwapMax"]) if "MemorySwapMax" in s else "infinity",
        "CPUQuotaPerSecUSec": format_timespan(int(Decimal(quota[:-1]) * 10000)) if quota else "infinity",
        "CPUWeight": s.get("CPUWeight", "[not set]"),
        "AllowedCPUs": _cpu_set(s["AllowedCPUs"]) if "AllowedCPUs" in s else "",
        "TasksMax": tasks_shown,
        "IOWeight": s.get("IOWeight", "[not set]"),
    }
