# 政务服务门户 — the two commands: `make run` (local servers with demo data) and `make test`.
# Needs GNU make and Python 3.11 (python3.11, or python3 if that is 3.11); the browser tests also
# need Debian's chromium and a CJK font, which `make test` installs with apt-get when missing.

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.DEFAULT_GOAL := help
.PHONY: help install browser examples run cluster lint test migrate clean bench

help:
	@echo "make run      install, migrate, seed demo data, start the portal on http://127.0.0.1:8000"
	@echo "make cluster  the production layout: 3 portal instances behind nginx (https://127.0.0.1:8443), PostgreSQL"
	@echo "make test     lint, then run the test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)"
	@echo "make lint     ruff and mypy only (configured in pyproject.toml)"
	@echo "make install  create $(VENV) and install the project with its test tools"
	@echo "make browser  install Debian's chromium and a CJK font for the browser tests (apt-get; only if missing)"
	@echo "make examples npm ci for the Node sample business system (examples/node-system; needs node and npm)"
	@echo "make migrate  upgrade the database (IDP_DATABASE_URL, default var/idp.sqlite3)"
	@echo "make bench    benchmark against node's oidc-provider (SQLite and PostgreSQL; results in bench/results/)"
	@echo "make clean    remove var/ and $(VENV)"

install: $(STAMP)

# Reinstalls only when pyproject.toml changed: the install is editable, so code changes need none.
$(STAMP): pyproject.toml
	@set -e; \
	if [ ! -x $(BIN)/python ]; then \
		py=$$(command -v python3.11 || true); \
		if [ -z "$$py" ] && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
			py=$$(command -v python3); \
		fi; \
		if [ -z "$$py" ]; then echo "error: Python 3.11 is needed (python3.11, or python3 at version 3.11)" >&2; exit 1; fi; \
		echo "creating $(VENV) with $$py"; \
		$$py -m venv $(VENV) || { rm -rf $(VENV); \
			echo "error: '$$py -m venv' failed; on Debian install the python3.11-venv package" >&2; exit 1; }; \
	fi
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# Playwright drives the system's chromium; it never downloads a browser (no `playwright install`).
# The font makes the Chinese pages legible in the screenshots the browser tests keep.
browser:
	@set -e; \
	if [ ! -x $(CHROMIUM) ] || [ ! -f $(CJK_FONT) ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "error: the browser tests need $(CHROMIUM) and a CJK font; install Debian's chromium and fonts-wqy-microhei" >&2; exit 1; \
		fi; \
		sudo=; if [ "$$(id -u)" != 0 ]; then sudo=sudo; fi; \
		echo "installing chromium and fonts-wqy-microhei with apt-get"; \
		$$sudo apt-get update -qq; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

# The default SQLite database and the demo client secrets live in var/ (not in git).
var:
	mkdir -p var

run: install | var
	$(BIN)/idp migrate
	$(BIN)/idp seed-demo
	set -a; . deploy/upstream/upstream.env; set +a; $(BIN)/idp migrate && $(BIN)/idp seed-demo
	set -a; . deploy/supervision/supervision.env; set +a; $(BIN)/idp migrate && $(BIN)/idp seed-demo
	exec $(BIN)/python deploy/run_local.py

# The production layout on one machine (deploy/cluster.py): `idp migrate` once, then N instances
# with IDP_AUTO_MIGRATE=false behind nginx on https, on PostgreSQL. CLUSTER_ARGS passes options
# (--instances, --port, --database-url; deploy/cluster.py --help).
cluster: install | var
	exec $(BIN)/python deploy/cluster.py $(CLUSTER_ARGS)

# The linters first: they take seconds and fail fast, before the minutes of the suite.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite runs in two worker processes (pytest-xdist), each test file on one of them (its module
# fixtures made once); PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= 2
test: lint browser examples
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The Node sample business system (examples/node-system) that tests/test_example_node_system.py
# runs: its node_modules exactly as package-lock.json pins them, installed again only when the lock
# changes. Needs node (>= 20.19) and npm; without them the test fails rather than skips.
EXAMPLE_MODULES := examples/node-system/node_modules/.package-lock.json
examples: $(EXAMPLE_MODULES)

$(EXAMPLE_MODULES): examples/node-system/package-lock.json
	@command -v npm >/dev/null || { echo "error: the Node sample (examples/node-system) needs node (>= 20.19) and npm" >&2; exit 1; }
	cd examples/node-system && npm ci --no-audit --no-fund

migrate: install | var
	$(BIN)/idp migrate

# Not part of `make test`: installs the bench extra and the peer (npm ci, bench/peer only), then
# drives the portal on SQLite and on PostgreSQL (BENCH_POSTGRES_URL, default postgres@127.0.0.1)
# and oidc-provider with the same client. BENCH_ARGS passes options (python -m bench.driver --help).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH_STAMP)

bench/peer/node_modules/.package-lock.json: bench/peer/package-lock.json
	@command -v npm >/dev/null || { echo "error: make bench needs node (>= 20.19) and npm" >&2; exit 1; }
	cd bench/peer && npm ci --no-audit --no-fund

bench: install $(BENCH_STAMP) bench/peer/node_modules/.package-lock.json
	$(BIN)/python -m bench.driver $(BENCH_ARGS)

clean:
	rm -rf var $(VENV) *.egg-info
