# Two entry points (see README): `make app` starts the explorer, `make test` runs every test.
# Both install what they need into .venv on first use; `make test` also installs Debian's Chromium
# for the real-browser tests (they fail, not skip, without it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q chromium

app: $(STAMP)
	$(BIN)/streamlit run app.py

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m explorer bench --out bench.json

clean:
	rm -rf $(VENV) .pytest_cache
