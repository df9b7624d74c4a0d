# pulumi-nixos-containers. Every target works on a fresh Debian machine:
# `setup` installs what is missing (Debian packages, npm modules, the Pulumi CLI).
SHELL := /bin/bash
N ?= 3
export FLEET_STATE ?= $(CURDIR)/.state/fleet

.PHONY: all setup system-deps install tools build projects plugin release generate check-generated sdk-python lint test test-unit test-nix test-hosts test-integration test-e2e test-toolchain demo bench hosts-up hosts-down clean

all: build

## Debian packages the tests and the simulated hosts need (root, apt-get).
system-deps:
	@scripts/system-deps.sh

## npm modules exactly as locked.
install: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## Built from the Go module proxy into .tools/bin (cached): the Pulumi CLI and the Node.js,
## Python and YAML language hosts, the SDK generator; and the Python virtualenv .tools/python-venv.
tools: install
	@tools/pulumi/build.sh
	@tools/go-tools.sh
	@tools/python/venv.sh

setup: system-deps install tools

build: install
	npx tsc -p tsconfig.json
	@chmod +x dist/provider/cli/main.js
	@$(MAKE) --no-print-directory projects
	npx tsc -p examples/tsconfig.json

## The Pulumi projects of this repository (examples, test programs) install the package as a
## user does: a `file:` dependency in their package.json, so npm links it and its `bin`
## (`npx nixos-containers` works there). Scripts are off: `build` has just compiled dist/,
## which the link points at, and the package's `prepare` would compile it again.
PYTHON_SDK := .tools/python-venv/.sdk-installed
PROJECTS := $(patsubst %/package.json,%,$(wildcard examples/*/package.json tests/e2e/programs/*/package.json tests/e2e/projects/*/package.json))
projects: $(PROJECTS:%=%/node_modules/.package-lock.json) $(PYTHON_SDK)
%/node_modules/.package-lock.json: %/package.json package.json
	cd $* && npm install --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

## The Python programs here (examples/python-fleet) import the generated Python SDK as a user's
## do, from the wheel pip installed into their virtualenv (.tools/python-venv, tools/pulumi/env.sh
## puts it first on PATH); again whenever sdks/python changes.
$(PYTHON_SDK): $(shell find sdks/python -type f 2>/dev/null) tools/python/requirements.txt
	@$(MAKE) --no-print-directory sdk-python >/dev/null
	.tools/python-venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall dist/python/*.whl
	@touch $@

## The provider plugin pulumi-resource-nixos as a tarball in dist/plugin/, with its own production
## node_modules: `pulumi plugin install resource nixos <version> --file <tarball>` (scripts/plugin.sh).
plugin: build
	@scripts/plugin.sh

## The release artefacts, versioned from package.json, with SHA256SUMS, in dist/release/
## (scripts/release.sh lists them).
release: install
	scripts/release.sh

## Regenerate schema.json, docs/options.md and the README option tables from the zod schemas,
## then the SDKs in sdks/ (Python, Go, Node.js) from schema.json.
generate: build
	node dist/provider/schema/generate.js
	@tools/go-tools.sh pulumi-gen-nixos
	.tools/bin/pulumi-gen-nixos -schema schema.json -out sdks

check-generated: build
	node dist/provider/schema/generate.js --check
	@tools/go-tools.sh pulumi-gen-nixos
	.tools/bin/pulumi-gen-nixos -schema schema.json -out sdks -check

## The generated Python SDK as a wheel in dist/python/ (built from a copy: sdks/ stays clean).
sdk-python:
	@tools/python/venv.sh
	@rm -rf dist/python && mkdir -p dist/python
	@src=$$(mktemp -d) && trap 'rm -rf "$$src"' EXIT && cp -r sdks/python/. "$$src" && \
	  .tools/python-venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
	    --wheel-dir dist/python "$$src"
	@ls dist/python/*.whl

lint: install
	npx tsc -p tsconfig.test.json

test: setup build lint check-generated
	npx jest --runInBand

test-unit: build
	npx jest tests/unit

test-nix: build
	npx jest tests/nix

test-hosts: setup build
	npx jest --runInBand tests/hosts

test-integration: setup build
	npx jest --runInBand tests/integration

test-e2e: setup build
	npx jest --runInBand tests/e2e

## schema.json against Pulumi's schema check, the generated SDKs, the Python and YAML language hosts.
test-toolchain: setup build
	npx jest --runInBand tests/toolchain

hosts-up: system-deps
	tests/hosts/fleet up $(N)

hosts-down:
	tests/hosts/fleet down

demo: setup build
	scripts/demo.sh

bench: setup build
	scripts/bench.sh

clean:
	rm -rf dist .bench
