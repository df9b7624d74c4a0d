#!/usr/bin/env bash
# Re-capture preview.json from the real Pulumi CLI (offline, local file backend):
#   tests/unit/golden/preview-md/capture.sh && UPDATE_GOLDEN=1 npx jest tests/unit/preview-md.test.ts
# program/ is a fake NixosContainer dynamic provider (no SSH). PHASE=1 is deployed with
# `pulumi up`; PHASE=2 edits it (one module line, a rename, a removal, an addition, plain
# input changes) and `pulumi preview --json` of that is the golden input.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=/dev/null
source "$repo/tools/pulumi/env.sh"
export PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE=test
mkdir -p "$work/state" "$work/prog"
cp "$here/program/index.js" "$here/program/Pulumi.yaml" "$work/prog/"
ln -s "$repo/node_modules" "$work/prog/node_modules"
cd "$work/prog"
pulumi stack init dev --non-interactive >/dev/null
PHASE=1 pulumi up --yes --non-interactive --skip-preview >/dev/null
PHASE=2 pulumi preview --json --non-interactive >"$here/preview.json"
echo "wrote $here/preview.json"
