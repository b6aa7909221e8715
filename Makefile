PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps node-deps demo test lint bench serve clean messages

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@PY=$(PY) bash tools/ensure-system-deps.sh build
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

demo: install
	$(BIN)/geste demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	GESTE_DEBUG=1 $(BIN)/mypy
	$(BIN)/lint-imports --config .importlinter

# The Debian packages the tests need (Chromium, dcmtk, gettext, node and npm), installed when
# missing; without root it stops at once, naming the command to run. The list lives in
# tools/ensure-system-deps.sh.
system-deps:
	@bash tools/ensure-system-deps.sh test

# The npm packages the tests drive (dcmjs-dimse plays the modality, Medplum validates FHIR), as
# pinned by each package-lock.json: installed when node_modules is missing or older than its lock.
NODE_DIRS := tests/dicom/node tests/api/fhir/node
NODE_STAMPS := $(NODE_DIRS:%=%/node_modules/.package-lock.json)

%/node_modules/.package-lock.json: %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund --silent
	@touch $@

node-deps: system-deps $(NODE_STAMPS)

test: system-deps node-deps lint
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# Every benchmark in one run (about 12 minutes on 2 CPUs; booking, whatif and worklist need the
# local PostgreSQL of "Running on PostgreSQL"), then one table: each figure, its goal, met or not,
# with the load average beside it (bench/summary.py). Each script's output and figures are kept
# in var/bench/; a script that fails is reported in the table and the others still run.
BENCH_RUN := $(BIN)/python bench/summary.py --run

bench: install
	rm -rf var/bench
	$(BENCH_RUN) rules.py
	$(BENCH_RUN) slots.py
	$(BENCH_RUN) booking.py --seconds 30 --queries 200
	$(BENCH_RUN) whatif.py
	$(BENCH_RUN) worklist.py --repeat 20
	$(BENCH_RUN) recovery.py
	$(BENCH_RUN) crisis_jobs.py
	$(BENCH_RUN) dicom.py --repeat 10
	$(BENCH_RUN) fhir.py --queries 100
	$(BIN)/python bench/summary.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# Re-extract the translatable strings into the English catalogue and compile it (needs gettext).
messages: install
	cd src/geste && DJANGO_SETTINGS_MODULE=geste.test_settings ../../$(BIN)/python -m django makemessages -l en --no-obsolete --no-location -i test_settings.py
	cd src/geste && DJANGO_SETTINGS_MODULE=geste.test_settings ../../$(BIN)/python -m django compilemessages -l en
