# Two entry points: `make run` serves the platform, `make test` runs the whole suite.
# Everything else here is the set-up they share.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := app/static/vendor
export ACADEMY_ENV ?= development

.PHONY: run test lint types content-proof labs-proof pytest deps system db demo clean compose-context

run: deps
	scripts/setup-system.sh --optional
	$(BIN)/academy db upgrade
	$(BIN)/academy demo
	$(BIN)/academy serve

test: deps system lint types content-proof labs-proof pytest

deps: $(VENV)/.installed $(VENDOR)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Front-end libraries come from the npm registry and are copied next to the app's own static files.
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/@xterm/xterm/lib/xterm.js node_modules/@xterm/xterm/css/xterm.css \
	   node_modules/@xterm/addon-fit/lib/addon-fit.js \
	   node_modules/asciinema-player/dist/bundle/asciinema-player.min.js \
	   node_modules/asciinema-player/dist/bundle/asciinema-player.css $(VENDOR)/
	touch $@

system: deps
	scripts/setup-system.sh

db:
	$(BIN)/academy db upgrade

demo:
	$(BIN)/academy demo


lint:
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests

types:
	$(BIN)/mypy

# The content validates (with the quiz cue linter), and no guesser passes a quiz: the simulated
# test-wise guesser and the 60 % knower stay under their targets on every bank.
content-proof:
	$(BIN)/academy content check
	$(BIN)/academy bench guessing --check

# Every lab proved the way an author proves it: checks fail before the reference solution and
# pass after it, twice per lab, in fresh sandboxes.
labs-proof:
	$(BIN)/academy labs test

pytest: compose-context
	$(BIN)/pytest $(PYTEST_ARGS)

# What the compose images are built from, prepared here because containers reach no package
# registry over HTTPS: wheels of the platform's dependencies at the versions installed in .venv
# (the tested ones), plus setuptools to install the platform itself; app/static/vendor comes
# from `deps`. tests/deploy/test_compose.py builds and runs the stack from them.
COMPOSE_WHEELS := build/compose/wheels
compose-context: deps $(COMPOSE_WHEELS)/.built

$(COMPOSE_WHEELS)/.built: pyproject.toml $(VENV)/.installed
	rm -rf $(COMPOSE_WHEELS) && mkdir -p $(COMPOSE_WHEELS)
	$(BIN)/pip freeze --exclude-editable > build/compose/constraints.txt
	$(BIN)/pip wheel --quiet --wheel-dir $(COMPOSE_WHEELS) \
	    --constraint build/compose/constraints.txt . 'setuptools>=69' wheel
	rm -f $(COMPOSE_WHEELS)/ops_academy-*.whl
	touch $@

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache build/compose
