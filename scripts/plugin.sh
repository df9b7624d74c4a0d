#!/usr/bin/env bash
# make plugin: the provider plugin pulumi-resource-nixos as a tarball that
#   pulumi plugin install resource nixos <version> --file <tarball>
# installs on any machine with Node.js 20 or later: the compiled provider (dist/provider),
# schema.json, package.json, the launcher bin/pulumi-resource-nixos at its top, and its own
# production node_modules, exactly as package-lock.json has them (install scripts off: ssh2
# runs on its JavaScript code; nothing in it is built for one machine).
#   OUT=dir    where the tarball goes (default dist/plugin)
# Prints the tarball's path.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="$(node -p 'require("./package.json").version')"
OUT="$(realpath -m "${OUT:-dist/plugin}")"
NAME="pulumi-resource-nixos-v${VERSION}-linux-amd64.tar.gz"
[ -f dist/provider/plugin/main.js ] || { echo "plugin: dist/provider/plugin/main.js is missing: run make build" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dist"
cp -r dist/provider "$stage/dist/"
cp package.json package-lock.json schema.json "$stage/"
cp bin/pulumi-resource-nixos "$stage/"
find "$stage/dist" -name '*.map' -delete
(cd "$stage" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
rm "$stage/package-lock.json" "$stage/node_modules/.package-lock.json"

mkdir -p "$OUT"
rm -f "$OUT/$NAME"
# Reproducible: names sorted, one owner, one time, no gzip timestamp.
tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . | gzip -n >"$OUT/$NAME"
echo "$OUT/$NAME"
