#!/usr/bin/env bash
# make release: every artefact of this version in one folder, with a SHA256SUMS file.
#   scripts/release.sh                 writes dist/release/ (emptied first)
#   RELEASE_DIR=/some/dir              writes there instead
# The version is package.json's; CHANGELOG.md must have a section for it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="$(node -p 'require("./package.json").version')"
OUT="$(realpath -m "${RELEASE_DIR:-dist/release}")"

# The artefacts of a release, in the order they are built. Each is a function below that
# writes its file(s) into $OUT and prints their names, one a line. To add one, write its
# function and name it here.
ARTEFACTS=(
  npm_package
  plugin_tarball
  python_wheel
)

# pulumi-nixos-containers-<version>.tgz, for `npm install ./<file>`. npm pack runs the
# package's `prepare` (tsc), so dist/ inside is compiled from these sources.
npm_package() {
  local name
  name="$(node -p 'const p = require("./package.json"); `${p.name.replace(/^@/, "").replace("/", "-")}-${p.version}.tgz`')"
  npm pack --pack-destination "$OUT" --loglevel=error >&2
  [ -f "$OUT/$name" ] || { echo "release: npm pack did not write $name" >&2; return 1; }
  echo "$name"
}

# pulumi-resource-nixos-v<version>-linux-amd64.tar.gz, the provider plugin (scripts/plugin.sh),
# from the dist/ that npm pack has just compiled.
plugin_tarball() {
  local path
  path="$(OUT="$OUT" scripts/plugin.sh)"
  basename "$path"
}

# pulumi_nixos_containers-<version>-py3-none-any.whl, the generated Python SDK (make sdk-python).
python_wheel() {
  make -s --no-print-directory sdk-python >&2
  local wheel
  wheel="$(cd dist/python && ls -- *.whl)"
  cp "dist/python/$wheel" "$OUT/"
  echo "$wheel"
}

die() { echo "release: $*" >&2; exit 1; }
grep -Eq "^## \[?${VERSION//./\\.}\]?([ (]|$)" CHANGELOG.md ||
  die "CHANGELOG.md has no section for $VERSION (package.json): add \"## $VERSION\" with what changed"
if [ -n "$(git status --porcelain -- package.json schema.json provider sdk 2>/dev/null)" ]; then
  echo "release: warning: the package's sources have uncommitted changes; the artefacts contain them" >&2
fi

rm -rf "$OUT"
mkdir -p "$OUT"
files=()
for artefact in "${ARTEFACTS[@]}"; do
  written="$("$artefact")" || die "$artefact failed"
  mapfile -t -O "${#files[@]}" files <<<"$written"
done
(cd "$OUT" && sha256sum -- "${files[@]}" >SHA256SUMS)

echo "release $VERSION in $OUT:"
(cd "$OUT" && for f in "${files[@]}" SHA256SUMS; do printf "  %-48s %7s bytes\n" "$f" "$(stat -c %s -- "$f")"; done)
