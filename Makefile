# 政务服务门户 — the two commands: `make run` (local servers with demo data) and `make test`.
# Needs GNU make and Python 3.11 (python3.11, or python3 if that is 3.11); nothing else.

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test migrate clean

help:
	@echo "make run      install, migrate, seed demo data, start the portal on http://127.0.0.1:8000"
	@echo "make test     run the test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)"
	@echo "make install  create $(VENV) and install the project with its test tools"
	@echo "make migrate  upgrade the database (IDP_DATABASE_URL, default var/idp.sqlite3)"
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

# The default SQLite database and the demo client secrets live in var/ (not in git).
var:
	mkdir -p var

run: install | var
	$(BIN)/idp migrate
	$(BIN)/idp seed-demo
	exec $(BIN)/python deploy/run_local.py

test: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

migrate: install | var
	$(BIN)/idp migrate

clean:
	rm -rf var $(VENV) *.egg-info
