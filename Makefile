# The two commands a newcomer needs: `make run` and `make test`.
# Debian's python3.11, where the machine has it with venv support: it runs homeflow's HL7
# import 12-15% faster than pyenv's build, which calls a shared libpython (docs/performance.md).
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
DB := var/homeflow.db
# Python keeps each module's compiled bytecode beside its source, and pytest its rewritten test
# modules: a machine that sets PYTHONDONTWRITEBYTECODE (this one does) makes each of the hundreds
# of processes a test run starts compile homeflow's 47,000 lines again (test_fhir.py: 56.6 s of
# CPU with it set, 52.2 s without; docs/performance.md).
unexport PYTHONDONTWRITEBYTECODE
# The capacity model's compiled kernels are kept once a machine, named by their sources, so a
# fresh clone or worktree does not compile them again (26-28 s of CPU) and an edit to any of the
# model's modules compiles them afresh (src/homeflow/sim/kernel_cache.py); numba's own locators
# follow for other libraries' kernels.
export NUMBA_CACHE_LOCATOR_CLASSES ?= homeflow.sim.kernel_cache.SourcesLocator,UserProvidedCacheLocator,InTreeCacheLocator,UserWideCacheLocator,IPythonCacheLocator,ZipCacheLocator
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck unit integration browser spec tests bench bench-tiny clean

# uv installs the libraries (in 11 s where pip took 52, docs/performance.md), at the versions
# requirements.lock pins.
$(BIN)/homeflow: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e '.[dev]'
	touch $@

# 180 days: enough history before the integrated discharge team (four weeks before the end)
# to check the capacity model on held-out weeks at dates it has not reached (docs/simulation.md).
# The team is also written as a scenario, to check the model with it on the weeks after it starts.
$(DB): | $(BIN)/homeflow
	mkdir -p var
	$(BIN)/homeflow init-db
	$(BIN)/homeflow demo --days 180 --scenarios-out var/models/scenarios

# Sign-in details for the demo's users, made once with the demo database.
var/demo-users.txt: | $(DB)
	$(BIN)/homeflow user demo > $@.tmp && mv $@.tmp $@

# A capacity model calibrated from the demo's history, and the example winter scenarios, for the
# web app's Winter scenarios page.
var/models/demo.toml: | $(DB)
	mkdir -p var/models/scenarios
	cp examples/*.toml var/models/scenarios/
	$(BIN)/homeflow calibrate --from $$(date -d '119 days ago' +%F) --to $$(date -d yesterday +%F) --out $@

# The discharge predictions' model, trained on the demo's history up to yesterday, for the ward
# boards and the overview (about half a minute of CPU on the demo; docs/predictions.md).
var/models/discharge-predictions.pkl: | $(DB)
	mkdir -p var/models
	$(BIN)/homeflow predict train

run: $(BIN)/homeflow $(DB) var/demo-users.txt var/models/demo.toml var/models/discharge-predictions.pkl
	@echo "Demo users (email, password, role) - also in var/demo-users.txt:"
	@cat var/demo-users.txt
	@echo "Open http://$(HOST):$(PORT)/ and sign in."
	$(BIN)/homeflow serve --host $(HOST) --port $(PORT)

lint: $(BIN)/homeflow
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

# mypy's cache kept once a machine, as the demo templates and the model's kernels are: a fresh
# clone checks only what differs from the last clone checked (29 s with no cache, 2 s with it).
MYPY_CACHE_DIR ?= $(HOME)/.cache/homeflow/mypy
typecheck: $(BIN)/homeflow
	MYPY_CACHE_DIR=$(MYPY_CACHE_DIR) $(BIN)/mypy

# The real OpenID Connect provider the sign-in tests run against (npm registry, pinned by its
# lock file).
IDENTITY_PROVIDER := tests/identity_provider/node_modules/.package-lock.json
$(IDENTITY_PROVIDER): tests/identity_provider/package-lock.json
	cd tests/identity_provider && npm ci --silent --no-audit --no-fund

# Tests by kind. Each runs on SQLite, and on PostgreSQL too when HOMEFLOW_TEST_POSTGRES_URL
# names a database (.ci/run sets it).
# tests/unit starts no process and opens no database; the property tests take most of its
# 45 s of CPU, so it runs on both cores.
unit: $(BIN)/homeflow
	$(BIN)/pytest -q -n 2 tests/unit

integration: $(BIN)/homeflow
	$(BIN)/pytest -q tests/integration

browser: $(BIN)/homeflow $(IDENTITY_PROVIDER)
	$(BIN)/pytest -q tests/browser

spec: $(BIN)/homeflow
	$(BIN)/pytest -q tests/spec

# Every kind at once, on both cores. First on SQLite, with branch coverage of the package,
# subprocesses included, failing below the floor recorded in docs/developing.md; then, when
# HOMEFLOW_TEST_POSTGRES_URL names a database, the tests that touch one again on PostgreSQL,
# without coverage (it more than doubles a test's CPU, and this pass runs the same code). The
# tests sharing a module's fixture (a served site, a copy of a demo) stay on one worker, every
# other test goes to whichever worker is free (`loadgroup`, groups made in tests/conftest.py).
# The demo templates (tests/demo_templates.py) are kept between runs until the code they are
# built from changes. The tests that restart or lock the database run after the others, alone.
COVERAGE_FLOOR ?= 87
# The tests marked database_restart, all in this file (tests/unit/test_suite_layout.py holds it
# so): naming it spares collecting the whole suite again for them.
RESTART_TESTS := tests/integration/test_feed_faults.py
tests: $(BIN)/homeflow $(IDENTITY_PROVIDER)
	rm -rf .coverage .coverage.*
	HOMEFLOW_TEST_ENGINES=sqlite $(BIN)/pytest -q -n 2 --dist loadgroup --cov --cov-report= \
		-m "not database_restart" tests
	if [ -n "$$HOMEFLOW_TEST_POSTGRES_URL" ]; then \
		HOMEFLOW_TEST_ENGINES=postgresql $(BIN)/pytest -q -n 2 --dist loadgroup \
			-m "not database_restart" tests; \
	fi
	$(BIN)/pytest -q -m database_restart --cov --cov-append --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR) $(RESTART_TESTS)

# The benchmarks at the sizes docs/performance.md reports, and each at a tiny size so that a
# broken benchmark fails `make test`.
bench: $(BIN)/homeflow
	$(BIN)/python -m bench.run

bench-tiny: $(BIN)/homeflow
	$(BIN)/python -m bench.run --tiny

test: lint typecheck tests bench-tiny

clean:
	rm -rf $(VENV) var .coverage .coverage.*
