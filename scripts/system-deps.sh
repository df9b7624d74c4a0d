#!/usr/bin/env bash
# Installs the Debian packages this project needs, only when one is missing,
# so a second run costs nothing.
set -euo pipefail
# time: GNU time (/usr/bin/time), which make bench uses to measure the Pulumi CLI.
# python3-venv: Debian's python3 makes no virtualenv with pip without it (tools/python/venv.sh).
# curl, netcat-openbsd: the programs of NixOS's core packages curl and netcat inside a simulated
# container (tests/hosts/README.md, "Inside a container"; a health check probes with them).
packages=(nix-bin openssh-server openssh-client sudo iproute2 util-linux git openssl python3 python3-venv time curl netcat-openbsd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
