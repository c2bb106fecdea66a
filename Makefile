# Two commands do everything on a fresh machine: `make test` and `make demo`.
# Both create .venv when it is missing and install the core and every
# distribution under contrib/ (editable) into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONTRIB_PYPROJECTS := $(sort $(wildcard contrib/*/pyproject.toml))
CONTRIB_DIRS := $(patsubst %/pyproject.toml,%,$(CONTRIB_PYPROJECTS))
NODE_DIR := tests/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
PYTEST_ARGS ?=
# Editable installs are not byte-compiled by pip; this does what a normal
# install would, so commands do not recompile the sources on every start.
COMPILE := $(BIN)/python -m compileall -q stagecraft $(foreach dir,$(CONTRIB_DIRS),$(dir)/stagecraft_*)

.PHONY: all test lint typecheck pytest demo bench install clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# editable_mode=compat: the editable installs are plain path entries in a .pth
# file, which type checkers follow (a plugin author's `mypy --strict` using this
# venv finds stagecraft); the default mode is an import hook they cannot see.
$(STAMP): $(BIN)/python pyproject.toml $(CONTRIB_PYPROJECTS) Makefile
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--config-settings editable_mode=compat -e '.[test]' \
		$(foreach dir,$(CONTRIB_DIRS),-e ./$(dir))
	$(COMPILE)
	touch $@

# Node's dotenv is a reference reader of the env files we write.
$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --silent --no-audit --no-fund
	touch $@

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	@bash docs/example/demo.sh $(BIN)/stagecraft

# Compiled again first: a module edited since `make install` would otherwise be
# compiled on every start where PYTHONDONTWRITEBYTECODE is set, and the
# start-up rows would time that instead of what an installed package does.
bench: $(STAMP)
	$(COMPILE)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules .mypy_cache .ruff_cache .pytest_cache
