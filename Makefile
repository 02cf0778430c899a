# ggzy: two commands on a fresh machine.
#   make run   set up, migrate, load demo data and serve on SQLite (GGZY_PORT, GGZY_DATABASE_URL)
#   make test  set up and run the whole suite (PostgreSQL and Chromium tests skip, saying why,
#              when those are missing; .ci/run makes them required)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
GGZY_PORT ?= 8000
GGZY_DATABASE_URL ?= sqlite:///./var/ggzy.db
export GGZY_PORT GGZY_DATABASE_URL

.PHONY: run test setup lint typecheck bench clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ggzy needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

setup: $(BIN)/.installed

# Plain HTTP on this machine only, so the session cookie may not insist on HTTPS here.
run: setup
	@mkdir -p var
	$(BIN)/ggzy db upgrade
	$(BIN)/ggzy demo
	@echo "ggzy: http://127.0.0.1:$(GGZY_PORT)/  (演示账号见 README.md)"
	GGZY_COOKIE_SECURE=false GGZY_EXCHANGE_SANDBOX_RECEIVER=true \
	  GGZY_EXCHANGE_UPSTREAM_URL=$${GGZY_EXCHANGE_UPSTREAM_URL:-http://127.0.0.1:$(GGZY_PORT)/sandbox/upstream/records} \
	  $(BIN)/ggzy serve --port $(GGZY_PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: setup
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo "no benchmarks yet"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
