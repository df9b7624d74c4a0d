#!/usr/bin/env bash
# The fresh-machine check (run first by .ci/run): `make demo` as a new user would run it,
# on a machine where this project never ran.
#
# CI runs on the developer's own machine, where earlier runs left /nix, the built Pulumi CLI
# and the project's build output; a test suite can pass there while the README's first
# command fails on a new machine (issue 11). So, from a fresh clone of the committed HEAD:
#   - /nix is an empty directory (a tmpfs, in a private mount namespace: the machine's own
#     /nix is untouched), as after `apt-get install nix-bin` on a machine where Nix never ran;
#   - the clone has no .tools/, node_modules/, dist/, .state/ (nothing but what git holds);
#   - ~/.pulumi, if there is one, is empty (the project keeps its own PULUMI_HOME in .tools/).
# Kept: HOME otherwise (the machine's npm, Go and git settings live there, and the Go module
# and build caches and the npm cache, which only save time).
# Not covered: Debian packages stay installed (scripts/system-deps.sh installs the missing
# ones by name; a new machine runs that path, this check cannot uninstall them).
#
#   scripts/fresh-machine-check.sh        exit 0 when `make demo` succeeds there
#   FRESH_KEEP=1                          keep the work directory for a look afterwards
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "fresh-machine check: needs root (a private mount namespace for /nix)" >&2; exit 1; }
work="$(mktemp -d /tmp/fresh-machine-XXXXXX)"
chmod 0755 "$work"
clone="$work/clone"
cleanup() {
  # The demo leaves its fleet running: stop it by its own state (pid files), nothing broader.
  [ -x "$clone/tests/hosts/fleet" ] && FLEET_STATE="$clone/.state/fleet" "$clone/tests/hosts/fleet" down >/dev/null 2>&1 || true
  [ "${FRESH_KEEP:-}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

git clone --quiet --no-hardlinks "$repo" "$clone"
mkdir -p /nix   # only as a mount point: an empty directory is what Nix finds on a new machine
echo "fresh-machine check: make demo in $clone (/nix empty, fleet on 127.0.97.11-13)"
start=$SECONDS
set +e
FLEET_SUBNET=127.0.97 unshare --mount --propagation private -- bash -c '
    set -e
    mount -t tmpfs -o mode=0755 fresh-nix /nix
    if [ -d "$HOME/.pulumi" ]; then mount -t tmpfs fresh-pulumi-home "$HOME/.pulumi"; fi
    cd "$1"
    make demo' _ "$clone" >"$work/demo.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "fresh-machine check FAILED: make demo exited $rc on a fresh machine after $((SECONDS - start)) s. Its last lines:" >&2
  tail -n 40 "$work/demo.log" >&2
  boot_logs=$(ls "$clone"/.state/fleet/host*/boot.log 2>/dev/null || true)
  for f in $boot_logs; do echo "--- $f" >&2; tail -n 5 "$f" >&2; done
  exit 1
fi
echo "fresh-machine check passed: make demo exited 0 in $((SECONDS - start)) s"
