#!/usr/bin/env bash
# make bench (issues 7, 12, 22): the fleet benchmark. Not a test and not part of CI.
# Compiles bench/ into .bench/build, then runs bench/driver.ts: the simulated
# fleet on 127.0.150.11 and up (state in .bench/fleet, brought down at the end),
# the real Pulumi CLI from .tools/bin with a local backend in .bench/work.
# Writes .bench/results.md, .bench/results.json, .bench/chart.png, .bench/logs/.
# One benchmark at a time: the code under test is frozen in .bench/pkg.
#
#   make bench                                   # 10x10, 20x10, 40x5; NixosFleet, NixosHost, the ssh loop (~25 min on 2 CPUs)
#   BENCH_QUICK=1 make bench                     # 2x2 and 3x3, R = 1 s (~3 min)
#   BENCH_SIZES=5x4,20x10 BENCH_REBUILD_SECONDS=5 BENCH_VARIANTS=a-par,c scripts/bench.sh
# See bench/driver.ts for every knob.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="${BENCH_OUT:-$ROOT/.bench}"
export BENCH_OUT="$OUT"

if [ "$(id -u)" != 0 ]; then
  echo "bench: the simulated fleet needs root (tests/hosts/README.md)" >&2
  exit 1
fi
[ -x .tools/bin/pulumi ] || { echo "bench: the Pulumi CLI is missing: run make tools" >&2; exit 1; }
[ "${BENCH_CODE:-head}" = head ] || [ -f dist/sdk/index.js ] || { echo "bench: dist/ is missing: run make build" >&2; exit 1; }

mkdir -p "$OUT" .bench/node_modules
# The code under test, frozen for the whole run (others may rebuild dist/ meanwhile):
# BENCH_CODE=head (default) compiles the committed provider and SDK into .bench/pkg;
# BENCH_CODE=worktree copies the current dist/ instead.
PKG="$ROOT/.bench/pkg"
rm -rf "$PKG" && mkdir -p "$PKG"
if [ "${BENCH_CODE:-head}" = head ]; then
  git archive HEAD package.json tsconfig.json schema.json provider sdk | tar -x -C "$PKG"
  (cd "$PKG" && "$ROOT/node_modules/.bin/tsc" -p tsconfig.json)
  BENCH_CODE_REV="$(git rev-parse --short HEAD)"
else
  cp -r package.json schema.json dist "$PKG/"
  BENCH_CODE_REV="$(git rev-parse --short HEAD) + working tree ($(git status --porcelain provider sdk | wc -l) changed files)"
fi
export BENCH_CODE_REV
ln -sfn "$PKG" .bench/node_modules/pulumi-nixos-containers
npx tsc -p bench/tsconfig.json

# Whatever happens, the benchmark's fleet does not outlive it.
cleanup() { for f in fleet health-fleet; do FLEET_STATE="$OUT/$f" tests/hosts/fleet down >/dev/null 2>&1 || true; done; }
trap cleanup EXIT INT TERM

# BENCH_MAIN=0 leaves out the main benchmark (to run only ls or health below).
if [ "${BENCH_MAIN:-1}" != 0 ]; then node "$ROOT/.bench/build/driver.js"; fi
# nixos-containers ls of a 20x10 stack (issue 13, bench/ls.ts): its wall time against the stack
# read and one SSH round trip, on a fleet of its own. BENCH_LS=0 leaves it out.
if [ "${BENCH_LS:-1}" != 0 ]; then
  [ "${BENCH_QUICK:-}" = 1 ] && export BENCH_LS_SIZE="${BENCH_LS_SIZE:-3x3}"
  BENCH_SUBNET="${BENCH_LS_SUBNET:-127.0.152}" node "$ROOT/.bench/build/ls.js"
fi
# The cost of health checks (issue 24, bench/health.ts): change-one at 10x10 without checks, with one
# passing command check, and with one failing check that is rolled back. BENCH_HEALTH=0 leaves it out.
if [ "${BENCH_HEALTH:-1}" != 0 ]; then
  [ "${BENCH_QUICK:-}" = 1 ] && export BENCH_HEALTH_SIZE="${BENCH_HEALTH_SIZE:-3x3}" BENCH_HEALTH_SAMPLES="${BENCH_HEALTH_SAMPLES:-1}"
  BENCH_SUBNET="${BENCH_HEALTH_SUBNET:-127.0.153}" node "$ROOT/.bench/build/health.js"
fi
echo
if [ "${BENCH_MAIN:-1}" != 0 ]; then cat "$OUT/results.md"; fi
if [ -f "$OUT/ls-results.md" ]; then cat "$OUT/ls-results.md"; fi
if [ -f "$OUT/health-results.md" ]; then cat "$OUT/health-results.md"; fi
