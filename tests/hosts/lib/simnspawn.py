"""The command-line check systemd-nspawn does first (getopt_long over its option table,
src/nspawn/nspawn.c): an option it does not know, a missing value, or a value for an option that
takes none makes it print getopt's message and exit 1 before anything starts. The table is
systemd-nspawn's own, written down here independently of the provider's copy, so that a
mistake in either shows up in the tests."""

# long option -> "required" | "optional" | "none"
LONG = {}
for _n in ("help version ephemeral private-network as-pid2 boot read-only quiet share-system keep-unit "
           "network-veth pipe no-pager").split():
    LONG[_n] = "none"
for _n in ("directory template user uuid capability ambient-capability drop-capability no-new-privileges "
           "link-journal bind bind-ro tmpfs overlay overlay-ro inaccessible machine hostname slice setenv "
           "selinux-context selinux-apifs-context register network-interface network-macvlan network-ipvlan "
           "network-veth-extra network-bridge network-zone network-namespace-path personality image port property "
           "private-users-ownership kill-signal settings chdir pivot-root notify-ready root-hash root-hash-sig "
           "verity-data system-call-filter rlimit oom-score-adjust cpu-affinity resolv-conf timezone console "
           "oci-bundle set-credential load-credential bind-user suppress-sync image-policy").split():
    LONG[_n] = "required"
for _n in ("volatile private-users private-users-chown").split():
    LONG[_n] = "optional"

# getopt string "+hD:u:abL:M:jS:Z:qi:xp:nUE:P"
SHORT_WITH_VALUE = set("DuLMSZipE")
SHORT_FLAGS = set("habjqxnUP")


def check(argv):
    """getopt's complaint about argv (the words after `systemd-nspawn`), or None."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--" or not a.startswith("-") or a == "-":
            return None  # '+' in the getopt string: options end at the first non-option
        if a.startswith("--"):
            name, eq, _ = a[2:].partition("=")
            kind = LONG.get(name)
            if kind is None:
                return "systemd-nspawn: unrecognized option '%s'" % a
            if kind == "none" and eq:
                return "systemd-nspawn: option '--%s' doesn't allow an argument" % name
            if kind == "required" and not eq:
                if i + 1 >= len(argv):
                    return "systemd-nspawn: option '--%s' requires an argument" % name
                i += 1
        else:
            j = 1
            while j < len(a):
                c = a[j]
                if c in SHORT_WITH_VALUE:
                    if j + 1 == len(a):
                        if i + 1 >= len(argv):
                            return "systemd-nspawn: option requires an argument -- '%s'" % c
                        i += 1
                    break
                if c not in SHORT_FLAGS:
                    return "systemd-nspawn: invalid option -- '%s'" % c
                j += 1
        i += 1
    return None
