#!/usr/bin/env bash
# The Python virtualenv Pulumi Python programs run in: <repo>/.tools/python-venv, with exactly
# tools/python/requirements.txt (pulumi==3.248.0 from PyPI, ...).
#
# The Python language host built here (sdk/v3 v3.68.0) ignores `runtime.options.virtualenv` in
# Pulumi.yaml: it runs the first python3 on PATH, so tools/pulumi/env.sh puts this virtualenv's
# bin/ first on PATH.
#
# Idempotent: a stamp (.tools/python-venv/.stamp) records the interpreter and a hash of
# requirements.txt; a rerun that finds them current exits at once.
#
#   PYTHON=/path/to/python3    the interpreter (default: Debian's /usr/bin/python3, else python3)
#   PULUMI_TOOLS_FORCE=1       recreate the virtualenv
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REQS="$REPO_ROOT/tools/python/requirements.txt"
VENV="$REPO_ROOT/.tools/python-venv"
STAMP="$VENV/.stamp"

log() { printf '[python-venv] %s\n' "$*" >&2; }
die() { printf '[python-venv] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON="$(command -v python3 || true)"; fi
fi
[[ -n "$PYTHON" ]] || die "python3 not found (Debian: apt-get install python3 python3-venv)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  die "$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); pulumi 3.248 needs >= 3.10 (set PYTHON=)"

stamp="$("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])') $(sha256sum "$REQS" | cut -c1-16)"
if [[ "${PULUMI_TOOLS_FORCE:-}" != 1 && -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$stamp" ]]; then
  log "up to date: $VENV"
  exit 0
fi

"$PYTHON" -c 'import ensurepip' 2>/dev/null ||
  die "$PYTHON cannot create a virtualenv with pip (Debian: apt-get install python3-venv)"
t0=$SECONDS
log "creating $VENV with $PYTHON ..."
# Made in place (a virtualenv's scripts name its own path); the stamp, written last, marks it
# complete, so a run that failed half-way is redone from scratch.
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS"
printf '%s\n' "$stamp" >"$STAMP"
log "done in $((SECONDS - t0))s: $("$VENV/bin/python" -m pip --disable-pip-version-check list 2>/dev/null | grep -i '^pulumi ' | tr -s ' ')"
