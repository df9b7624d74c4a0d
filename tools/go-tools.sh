#!/usr/bin/env bash
# Builds the Go tools beside the Pulumi CLI (tools/pulumi/build.sh) into <repo>/.tools/bin, each
# from a module of its own under tools/, from the Go module proxy only:
#
#   pulumi-language-python (+ its -exec shim)  github.com/pulumi/pulumi/sdk/v3 v3.68.0
#        python/cmd/pulumi-language-python: the last release that shipped the Python host inside
#        sdk/v3 (the standalone host module is not served, as for the Node.js host)
#   pulumi-language-yaml                       github.com/pulumi/pulumi-yaml v1.25.0, at its own
#        pins (pkg/v3 v3.206.0): it does not build against the CLI's pkg/v3 v3.248.0
#   pulumi-gen-nixos                           tools/pulumi-codegen: writes sdks/ from schema.json
#
# Each tool has a stamp (.tools/bin/.<tool>.stamp: Go version and a hash of its module's files);
# a tool whose stamp is current is not rebuilt, so a rerun costs nothing.
#
#   tools/go-tools.sh            build what is missing or out of date
#   tools/go-tools.sh NAME...    only these (pulumi-language-python, pulumi-language-yaml, pulumi-gen-nixos)
#   PULUMI_TOOLS_FORCE=1         rebuild even if the stamps are current
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$REPO_ROOT/.tools/bin"

log() { printf '[go-tools] %s\n' "$*" >&2; }
die() { printf '[go-tools] ERROR: %s\n' "$*" >&2; exit 1; }

# name | module dir (under tools/) | package | -X version variable | version
TOOLS=(
  "pulumi-language-python|pulumi-language-python|github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python|github.com/pulumi/pulumi/sdk/v3/go/common/version.Version|v3.68.0"
  "pulumi-language-yaml|pulumi-language-yaml|github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml|github.com/pulumi/pulumi-yaml/pkg/version.Version|v1.25.0"
  "pulumi-gen-nixos|pulumi-codegen|.||"
)

stamp_of() { # <module dir>: what the binary was built from
  local dir="$1"
  printf '%s %s\n' "$(go env GOVERSION)" "$(cd "$dir" && find . -maxdepth 1 -type f \( -name 'go.*' -o -name '*.go' \) | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)"
}

# The Python host runs programs through this script, which it looks for next to itself.
install_python_exec_shim() { # <module dir>
  local sdk
  sdk="$(cd "$1" && go list -mod=mod -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$BIN_DIR/pulumi-language-python-exec.tmp.$$"
  mv -f "$BIN_DIR/pulumi-language-python-exec.tmp.$$" "$BIN_DIR/pulumi-language-python-exec"
}

build_tool() { # <name> <module dir> <package> <version var> <version>
  local name="$1" dir="$REPO_ROOT/tools/$2" pkg="$3" var="$4" ver="$5" stamp t0=$SECONDS
  local out="$BIN_DIR/$name" stamp_file="$BIN_DIR/.$name.stamp"
  [[ -f "$dir/go.mod" ]] || die "$dir/go.mod missing"
  stamp="$(stamp_of "$dir")"
  if [[ "${PULUMI_TOOLS_FORCE:-}" != 1 && -x "$out" && -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]] &&
     [[ "$name" != pulumi-language-python || -x "$BIN_DIR/pulumi-language-python-exec" ]]; then
    log "up to date: $name"
    return
  fi
  log "building $name ($pkg${ver:+ $ver}) ..."
  local ldflags="-s -w"
  [[ -n "$var" ]] && ldflags="$ldflags -X $var=$ver"
  (cd "$dir" && go build -mod=mod -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$out.tmp.$$" "$pkg")
  mv -f "$out.tmp.$$" "$out"
  [[ "$name" == pulumi-language-python ]] && install_python_exec_shim "$dir"
  printf '%s\n' "$stamp" >"$stamp_file"
  log "built $name in $((SECONDS - t0))s"
}

command -v go >/dev/null || die "go not found on PATH"
export GOTOOLCHAIN=local
mkdir -p "$BIN_DIR"
# Serialize concurrent builds of the same checkout.
if command -v flock >/dev/null; then
  exec 9>"$REPO_ROOT/.tools/.go-tools.lock"
  flock 9
fi

wanted=" $* "
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name dir pkg var ver <<<"$entry"
  [[ $# -eq 0 || "$wanted" == *" $name "* ]] || continue
  build_tool "$name" "$dir" "$pkg" "$var" "$ver"
done
