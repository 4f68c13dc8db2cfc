# Safehold: `make run` starts it with demo data; `make test` runs the whole suite.
# Everything else here is a step those two commands take for you.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SAFEHOLD_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000
# The test database on PostgreSQL; pytest-django creates and drops test_<name>.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/safehold
MESSAGE_FLAGS := -l ru --no-obsolete --no-location --ignore '*/tests/*' --ignore 'static/*'

.PHONY: run test lint check setup test-setup fonts serve messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Safehold needs Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Dossiers are written in DejaVu Sans: it has Cyrillic, and Debian ships it.
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

fonts:
	@test -f $(FONT) || { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null; }

setup: $(STAMP) fonts
	@mkdir -p "$(SAFEHOLD_DATA_DIR)"
	$(BIN)/safehold keys init --if-missing
	$(BIN)/safehold migrate --no-input --verbosity 0
	$(BIN)/safehold collectstatic --no-input --verbosity 0

# The worker runs beside the web server and stops with it.
run: setup
	$(BIN)/safehold demo
	@echo "Safehold is at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@export SAFEHOLD_INSECURE_LOCAL=1 SAFEHOLD_BASE_URL=http://$(HOST):$(PORT); \
	$(BIN)/safehold worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/safehold serve --host $(HOST) --port $(PORT)

# Tools the suite needs from Debian when a machine lacks them.
test-setup: $(STAMP) fonts
	@command -v msgfmt >/dev/null && command -v xgettext >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
	@test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || \
		{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

test: test-setup
	SAFEHOLD_DATA_DIR=$$(mktemp -d) $(BIN)/pytest -n 2 --dist loadgroup -q
	@if [ -n "$$SAFEHOLD_TEST_POSTGRES" ]; then \
		echo "== the same suite on PostgreSQL =="; \
		SAFEHOLD_DATA_DIR=$$(mktemp -d) DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n 2 --dist loadgroup -q; \
	fi

lint: $(STAMP)
	$(BIN)/ruff format --check safehold conftest.py bench
	$(BIN)/ruff check safehold conftest.py bench
	SAFEHOLD_DATA_DIR=$$(mktemp -d) $(BIN)/mypy safehold
	$(BIN)/lint-imports
	SAFEHOLD_DATA_DIR=$$(mktemp -d) SAFEHOLD_KEY_FILE=/nonexistent $(BIN)/safehold makemigrations --check --dry-run

check: lint test

# Refresh the message catalogues after changing user-facing strings.
messages: $(STAMP)
	cd safehold && ../$(BIN)/safehold makemessages $(MESSAGE_FLAGS)
	cd safehold && ../$(BIN)/safehold compilemessages -l ru

clean:
	rm -rf $(VENV) build *.egg-info node_modules
