# Two entry points (see README): `make app` starts the explorer, `make test` runs every test.
# Both install what they need into .venv on first use; `make test` also installs Debian's Chromium
# for the real-browser tests (they fail, not skip, without it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test bench screenshots clean

# The example plugin (examples/uniform_forget: one method registered through an entry point) is installed with the
# explorer: the tests run it through every entrance, and fail without it.
$(STAMP): pyproject.toml examples/uniform_forget/pyproject.toml
	@echo "Installing the explorer, its test tools and the example plugin into $(VENV) (once; about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]' -e examples/uniform_forget
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q chromium

# No file watcher: it would watch every module under .venv (an inotify flood) and a user does not edit the code.
app: $(STAMP)
	$(BIN)/streamlit run app.py --server.fileWatcherType none

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest

# PNGs of every main view under docs/screenshots (the README shows them), taken in the same Chromium.
screenshots: $(STAMP) $(CHROMIUM)
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

bench: $(STAMP)
	$(BIN)/python -m explorer bench --out bench.json

clean:
	rm -rf $(VENV) .pytest_cache
