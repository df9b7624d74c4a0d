#!/usr/bin/env bash
# make demo: a 3-host simulated NixOS fleet, a real `pulumi up` of
# examples/fleet on it, a table of what runs where, and the preview of a
# one-line change to the inventory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export FLEET_STATE="${FLEET_STATE:-$ROOT/.state/fleet}"
export STATE_DIR="$ROOT/.state/pulumi"
source scripts/pulumi-env.sh
STACK=demo
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

SUBNET="${FLEET_SUBNET:-127.0.0}"
step "Starting 3 simulated NixOS hosts (real sshd on $SUBNET.11-13, state in $FLEET_STATE)"
tests/hosts/fleet up 3
# host2's db binds /srv/db (inventory.yaml): a container whose bind mount source is missing does not start
ssh -i "$FLEET_STATE/keys/root_ed25519" -o UserKnownHostsFile="$FLEET_STATE/known_hosts" -o BatchMode=yes "root@$SUBNET.12" mkdir -p /srv/db

cd examples/fleet
step "pulumi stack $STACK (local backend in $STATE_DIR), hosts from the fleet manifest"
pulumi stack select --create "$STACK" >/dev/null
"$ROOT/scripts/fleet-stack-config.js" . "$STACK" "$FLEET_STATE/manifest.json"
pulumi config rm inventory >/dev/null 2>&1 || true

step "pulumi up"
pulumi up --yes --skip-preview

step "Containers per host"
pulumi stack output containers --json | node -e '
  const rows = Object.entries(JSON.parse(require("fs").readFileSync(0, "utf8"))).sort();
  const line = (c) => c.map((x, i) => String(x).padEnd([16, 12, 7, 12][i] ?? 0)).join(" ");
  console.log(line(["container", "host", "status", "ip", "system"]));
  for (const [k, v] of rows) console.log(line([k, v.host, v.status, v.ipAddress ?? "-", (v.systemPath ?? "-").replace(/^\/nix\/store\/[a-z0-9]{32}-/, "…-")]));'

step "What each container really runs (read on the hosts)"
for i in 1 2 3; do
  ssh -i "$FLEET_STATE/keys/root_ed25519" -o UserKnownHostsFile="$FLEET_STATE/known_hosts" -o BatchMode=yes "root@$SUBNET.1$i" \
    'for f in /run/nixos-containers-sim/*.json; do [ -e "$f" ] || continue; n=$(basename "$f" .json); printf "host'$i'  %-8s %s  %s\n" "$n" "$(nixos-container status "$n")" "$(sed -n "s/.*\"system\": *\"\([^\"]*\)\".*/\1/p" "$f" | sed "s#/nix/store/[a-z0-9]*-#…-#")"; done'
done

step "A one-line change to the inventory: what pulumi preview --diff shows"
CHANGED="$ROOT/.state/demo-inventory.yaml"
sed 's/port: 6379/port: 6380/' inventory.yaml > "$CHANGED"
diff -u inventory.yaml "$CHANGED" | sed 's/^/  /' || true
pulumi config set inventory "$CHANGED" >/dev/null
pulumi preview --diff
pulumi config rm inventory >/dev/null

step "Done"
cat <<EOT
The fleet keeps running. To look around:
  ssh -i $FLEET_STATE/keys/root_ed25519 -o UserKnownHostsFile=$FLEET_STATE/known_hosts root@$SUBNET.11
To tear down:
  (source scripts/pulumi-env.sh && cd examples/fleet && pulumi destroy --yes --stack $STACK)
  make hosts-down
EOT
