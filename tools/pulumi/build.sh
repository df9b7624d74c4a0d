#!/usr/bin/env bash
# Builds the Pulumi CLI from Go modules (only the Go module proxy is needed, no
# download from github.com or get.pulumi.com) into <repo>/.tools/bin:
#
#   pulumi                         github.com/pulumi/pulumi/pkg/v3/cmd/pulumi @ v$PULUMI_VERSION
#                                  (wrapper module: tools/pulumi/go.mod, `tool` directive)
#   pulumi-language-nodejs         github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
#                                  @ sdk/v3 v$LANGHOST_SDK_VERSION (wrapper: tools/pulumi-language-nodejs/go.mod)
#                                  See the note at LANGHOST_SDK_VERSION below.
#   pulumi-resource-pulumi-nodejs  copied from node_modules/@pulumi/pulumi (dynamic providers)
#
# Idempotent: a stamp (.tools/bin/.pulumi-tools.stamp) records the versions and a hash of
# the wrapper go.mod/go.sum files; a rerun that finds everything current exits at once.
# Use it with `source tools/pulumi/env.sh` (PATH, PULUMI_HOME, offline switches).
#
# Environment knobs:
#   PULUMI_VERSION=x.y.z        override the CLI version (default: @pulumi/pulumi in node_modules)
#   PULUMI_TOOLS_FORCE=1        rebuild even if the stamp is current
#   PULUMI_SKIP_LANGUAGE_HOST=1 do not build pulumi-language-nodejs (Automation API inline
#                               programs do not need it)
set -euo pipefail

# --- versions ---------------------------------------------------------------------------
# Pulumi CLI version, without the leading "v". It must equal the npm @pulumi/pulumi version.
PULUMI_VERSION="${PULUMI_VERSION:-}"

# The Node.js language host. Since pulumi 3.69 it lives in its own Go module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) which has no tags; the
# Go module proxy reachable here serves no version of that module at all (403 "This module
# version is not available", also for the pseudo-version v3.0.0-20260624180030-dc7edd58bc13
# of the pkg/v3.248.0 commit). The last release that shipped the host inside the sdk/v3
# module is sdk/v3 v3.68.0, which the proxy does serve, so that host is built instead. It
# speaks an older (but compatible) language-host protocol; the engine falls back for the
# RPCs it lacks. Known gaps: its resource-monitor proxy does not forward
# RegisterStackTransform / RegisterResourceHook / RegisterPackage, so stack transforms,
# resource hooks and parameterized packages fail in programs run through it.
LANGHOST_SDK_VERSION="3.68.0"

# --- paths ------------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CLI_MOD_DIR="$SCRIPT_DIR"
LANGHOST_MOD_DIR="$REPO_ROOT/tools/pulumi-language-nodejs"
TOOLS_DIR="$REPO_ROOT/.tools"
BIN_DIR="$TOOLS_DIR/bin"
STAMP="$BIN_DIR/.pulumi-tools.stamp"
NPM_SDK_DIR="$REPO_ROOT/node_modules/@pulumi/pulumi"
DYN_PLUGIN=pulumi-resource-pulumi-nodejs

CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
LANGHOST_PKG=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

log() { printf '[pulumi-tools] %s\n' "$*" >&2; }
die() { printf '[pulumi-tools] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ -z "$PULUMI_VERSION" ]]; then
  if [[ -f "$NPM_SDK_DIR/package.json" ]] && command -v node >/dev/null; then
    PULUMI_VERSION="$(node -p 'require(process.argv[1]).version' "$NPM_SDK_DIR/package.json" 2>/dev/null || true)"
  elif [[ -f "$NPM_SDK_DIR/package.json" ]]; then
    PULUMI_VERSION="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
      "$NPM_SDK_DIR/package.json" | head -n1)"
  fi
  PULUMI_VERSION="${PULUMI_VERSION:-3.248.0}"
fi
PULUMI_VERSION="${PULUMI_VERSION#v}"
[[ "$PULUMI_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad PULUMI_VERSION '$PULUMI_VERSION'"

[[ -f "$NPM_SDK_DIR/$DYN_PLUGIN" ]] ||
  die "$NPM_SDK_DIR/$DYN_PLUGIN not found: run 'npm ci' in $REPO_ROOT first"

BUILD_LANGHOST=1
[[ "${PULUMI_SKIP_LANGUAGE_HOST:-}" == 1 ]] && BUILD_LANGHOST=0

# `pulumi version` creates $PULUMI_HOME (default ~/.pulumi): keep it inside .tools.
pulumi_version() {
  PULUMI_HOME="$TOOLS_DIR/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true "$BIN_DIR/pulumi" version 2>/dev/null
}

hash_files() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

stamp_content() {
  local mods="$CLI_MOD_DIR/go.mod $CLI_MOD_DIR/go.sum"
  local lh="none"
  if [[ $BUILD_LANGHOST == 1 ]]; then
    mods="$mods $LANGHOST_MOD_DIR/go.mod $LANGHOST_MOD_DIR/go.sum"
    lh="sdk/v3@v$LANGHOST_SDK_VERSION"
  fi
  # shellcheck disable=SC2086
  printf 'pulumi=v%s langhost=%s plugin=%s mods=%s\n' "$PULUMI_VERSION" "$lh" \
    "$(hash_files "$NPM_SDK_DIR/$DYN_PLUGIN")" "$(hash_files $mods)"
}

up_to_date() {
  [[ "${PULUMI_TOOLS_FORCE:-}" != 1 ]] || return 1
  [[ -f "$STAMP" && -x "$BIN_DIR/pulumi" && -x "$BIN_DIR/$DYN_PLUGIN" ]] || return 1
  [[ $BUILD_LANGHOST == 0 || -x "$BIN_DIR/pulumi-language-nodejs" ]] || return 1
  [[ "$(cat "$STAMP")" == "$(stamp_content)" ]] || return 1
  [[ "$(pulumi_version)" == "v$PULUMI_VERSION" ]] || return 1
}

if up_to_date; then
  log "up to date: pulumi v$PULUMI_VERSION in $BIN_DIR"
  exit 0
fi

# --- slow path: needs Go ------------------------------------------------------------------
command -v go >/dev/null || die "go not found on PATH"
export GOTOOLCHAIN=local
mkdir -p "$BIN_DIR"

# Serialize concurrent builds (the fast path above needs no lock).
if command -v flock >/dev/null; then
  exec 9>"$TOOLS_DIR/.build.lock"
  flock 9
  if up_to_date; then log "up to date (built concurrently)"; exit 0; fi
fi

GO_VERSION="$(go env GOVERSION)"   # e.g. go1.26.8
log "pulumi v$PULUMI_VERSION; Go $GO_VERSION; GOPROXY=$(go env GOPROXY)"
log "GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

go_line_of() { sed -n 's/^go[[:space:]]\{1,\}\([0-9.]*\).*/\1/p' "$1" | head -n1; }

# Pin the wrapper module to the wanted version if it is not already (changes the committed
# go.mod/go.sum: commit them afterwards).
ensure_cli_module_version() {
  local cur
  cur="$(cd "$CLI_MOD_DIR" && go list -mod=mod -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3 2>/dev/null || true)"
  if [[ "$cur" != "v$PULUMI_VERSION" ]]; then
    log "tools/pulumi/go.mod has pkg/v3 '$cur', switching to v$PULUMI_VERSION (commit go.mod/go.sum afterwards)"
    (cd "$CLI_MOD_DIR" &&
      go get -tool "$CLI_PKG@v$PULUMI_VERSION" &&
      go get "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" &&
      go mod tidy)
  fi
  local sdk
  sdk="$(cd "$CLI_MOD_DIR" && go list -mod=mod -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
  [[ "$sdk" == "v$PULUMI_VERSION" ]] ||
    die "tools/pulumi/go.mod resolves sdk/v3 to $sdk, expected v$PULUMI_VERSION"
}

check_go_version() {
  local gomod need have="${GO_VERSION#go}"
  gomod="$(cd "$CLI_MOD_DIR" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$gomod" ]] || die "could not download the go.mod of pkg/v3@v$PULUMI_VERSION"
  need="$(go_line_of "$gomod")"
  version_ge "$have" "$need" ||
    die "pkg/v3@v$PULUMI_VERSION needs go >= $need, this is $GO_VERSION (GOTOOLCHAIN=local)"
  log "pkg/v3@v$PULUMI_VERSION needs go >= $need: ok"
}

go_build() { # <module dir> <package> <version string> <output>
  local dir="$1" pkg="$2" ver="$3" out="$4" t0=$SECONDS
  log "building $(basename "$out") ($pkg, version $ver) ..."
  (cd "$dir" && go build -mod=mod -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X $VERSION_VAR=$ver" -o "$out.tmp.$$" "$pkg")
  mv -f "$out.tmp.$$" "$out"
  log "built $(basename "$out") in $((SECONDS - t0))s"
}

T0=$SECONDS
ensure_cli_module_version
check_go_version
go_build "$CLI_MOD_DIR" "$CLI_PKG" "v$PULUMI_VERSION" "$BIN_DIR/pulumi"

got="$(pulumi_version || true)"
[[ "$got" == "v$PULUMI_VERSION" ]] || die "built pulumi reports '$got', expected v$PULUMI_VERSION"

if [[ $BUILD_LANGHOST == 1 ]]; then
  [[ -f "$LANGHOST_MOD_DIR/go.mod" ]] || die "$LANGHOST_MOD_DIR/go.mod missing"
  go_build "$LANGHOST_MOD_DIR" "$LANGHOST_PKG" "v$LANGHOST_SDK_VERSION" "$BIN_DIR/pulumi-language-nodejs"
else
  log "skipping pulumi-language-nodejs (PULUMI_SKIP_LANGUAGE_HOST=1)"
  rm -f "$BIN_DIR/pulumi-language-nodejs"
fi

log "installing $DYN_PLUGIN from node_modules/@pulumi/pulumi"
cp -f "$NPM_SDK_DIR/$DYN_PLUGIN" "$BIN_DIR/$DYN_PLUGIN.tmp.$$"
chmod 0755 "$BIN_DIR/$DYN_PLUGIN.tmp.$$"
mv -f "$BIN_DIR/$DYN_PLUGIN.tmp.$$" "$BIN_DIR/$DYN_PLUGIN"

stamp_content >"$STAMP"
log "done in $((SECONDS - T0))s: $(ls "$BIN_DIR" | tr '\n' ' ')"
