# Every target works from a fresh clone: the virtualenv is created on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MONTH ?= $(shell date +%Y-%m)
STAMP := $(VENV)/.installed

.PHONY: setup issue preview check test bench lint update-golden clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) ## create the virtualenv and install the package with its test tools

issue: setup ## build this month's issue (MONTH=YYYY-MM for another) into build/
	$(BIN)/newsletter build --month $(MONTH)

preview: setup ## serve the built issue on http://127.0.0.1:8000/
	$(BIN)/newsletter preview --month $(MONTH)

check: setup ## validate config, content, templates and subscribers
	$(BIN)/newsletter check --month $(MONTH)

test: setup ## run the test suite (README's test command)
	$(BIN)/python -m pytest

bench: setup ## run the benchmarks and print their figures
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

update-golden: setup ## regenerate tests/golden/ after a reviewed rendering change
	$(BIN)/python -m tests.golden --update

clean:
	rm -rf build
