# Two commands matter: `make run` (install and start Polku) and `make test` (install and run every check).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard locales/*/LC_MESSAGES/polku.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test setup browser migrate lint typecheck contracts pytest i18n model bench clean

run: setup migrate
	$(BIN)/polku serve

test: setup browser lint typecheck contracts pytest

setup: $(STAMP) $(COMPILED)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

locales/%/LC_MESSAGES/polku.mo: locales/%/LC_MESSAGES/polku.po $(STAMP)
	$(BIN)/pybabel compile -D polku -d locales -l $*

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

migrate: setup
	$(BIN)/polku migrate

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy core bot admin polku

contracts: setup
	$(BIN)/lint-imports

pytest: setup
	$(BIN)/pytest -q

# Extract every msgid (Python and dialog YAML) into the template and merge it into each catalog.
i18n: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header -F babel.cfg -k _ -k N_ -k ngettext:1,2 -o locales/polku.pot core bot admin polku dialogs services paths
	$(BIN)/pybabel update --no-fuzzy-matching -D polku -i locales/polku.pot -d locales

# Retrain the crisis model on the development corpora (the fresh sets are never trained on).
model: setup
	$(BIN)/python -m core.crisis_model

bench: setup
	$(BIN)/python -m bench.updates
	$(BIN)/python -m bench.dialogue
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.panel
	$(BIN)/python -m bench.safety
	$(BIN)/python -m bench.faults
	$(BIN)/python -m bench.multiprocess
	$(BIN)/python -m bench.notices

clean:
	rm -rf $(VENV) var
