# Every target works from a fresh clone: the virtualenv is created on first use.
# `make help` lists the targets; README.md ("Makefile targets") says more.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MONTH ?= $(shell date +%Y-%m)
QUARTER ?= $(shell echo "$$(date +%Y)Q$$(( ($$(date +%-m) + 2) / 3 ))")
# Extra options for `newsletter send`, e.g. SEND_ARGS="--limit 100" or "--resend-uncertain".
SEND_ARGS ?=
# The port `make preview` serves on.
PORT ?= 8000
# `make serve` passes these to `newsletter serve` when set; the config's desk: section gives
# the rest. SERVE_ARGS adds any other option, e.g. SERVE_ARGS=--no-email (the sample,
# without a transport key).
DESK_HOST ?=
DESK_PORT ?=
DESK_PUBLIC_URL ?=
DESK_INBOX ?=
DESK_PROXIES ?=
SERVE_ARGS ?=
STAMP := $(VENV)/.installed
# Commands that need NEWSLETTER_SECRET find it in the environment; without it, the bundled
# sample (and only the sample) gets a sample-only secret, with a warning: one rule for
# every command, in newsletter/config/secrets.py.

.PHONY: help setup issue preview check doctor send send-live print cards cards-email referrals report serve desk-pull test \
	bench lint docs docs-serve update-golden clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 18

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv, install the package and its test tools, and WeasyPrint's libraries
	@scripts/system-deps.sh

issue: setup ## build this month's issue (MONTH=YYYY-MM for another) into build/MONTH/
	$(BIN)/newsletter build --month $(MONTH)

preview: setup ## serve the built issue on http://127.0.0.1:PORT/ (PORT=8000)
	$(BIN)/newsletter preview --month $(MONTH) --port $(PORT)

check: setup ## validate config, content, templates and subscribers
	$(BIN)/newsletter check --month $(MONTH)

doctor: setup ## what must be set up before the first send: config, secrets, DNS records, the desk
	$(BIN)/newsletter doctor

send: setup ## dry run: who would get MONTH's issue, and a sample message in state/preview/
	$(BIN)/newsletter send --month $(MONTH) $(SEND_ARGS)

send-live: setup ## really send MONTH's issue: needs the real secrets, asks you to type the month
	scripts/send-live.sh $(BIN)/newsletter $(MONTH) $(SEND_ARGS)

print: setup ## the print shop's package for MONTH in build/MONTH/print/
	$(BIN)/newsletter print --month $(MONTH) --package

cards: setup ## the quarter's postcards (QUARTER=YYYYQn for another) in build/cards/QUARTER/
	$(BIN)/newsletter cards --quarter $(QUARTER)

cards-email: setup ## dry run of the quarter's nurture email; SEND_ARGS=--yes sends it
	$(BIN)/newsletter cards --quarter $(QUARTER) --email $(SEND_ARGS)

referrals: setup ## the referral report for MONTH (leads due and overdue, referrers, rewards) in build/referrals/
	$(BIN)/newsletter referral report --month $(MONTH)

report: setup ## the monthly report for MONTH (charts, follow-up, referrers, sends) in build/reports/
	$(BIN)/newsletter report --month $(MONTH)

serve: setup ## run the desk (DESK_HOST, DESK_PORT, DESK_PUBLIC_URL, DESK_INBOX, DESK_PROXIES, SERVE_ARGS)
	$(BIN)/newsletter serve $(if $(DESK_HOST),--host $(DESK_HOST)) $(if $(DESK_PORT),--port $(DESK_PORT)) \
		$(if $(DESK_PUBLIC_URL),--public-url $(DESK_PUBLIC_URL)) $(if $(DESK_INBOX),--inbox $(DESK_INBOX)) \
		$(if $(DESK_PROXIES),--proxies $(DESK_PROXIES)) $(SERVE_ARGS)

desk-pull: setup ## move the desk's new events into subscribers/ (suppressions, sign-ups, leads)
	$(BIN)/newsletter desk pull

test: setup ## run the test suite (README's test command)
	$(BIN)/python -m pytest

bench: setup ## run the benchmarks, print their figures and write benchmarks/RESULTS.md
	$(BIN)/python benchmarks/run.py

lint: setup ## ruff (lint and formatting) and mypy (types) over the package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

docs: setup ## build the documentation site into build/site/ (strict: a broken link is an error)
	$(BIN)/mkdocs build --strict

docs-serve: setup ## serve the documentation on http://127.0.0.1:8001/, rebuilt as you edit
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

update-golden: setup ## regenerate tests/golden/ after a reviewed rendering change
	$(BIN)/python -m tests.golden --update

clean: ## remove build/ (state/, with the send ledger, is kept)
	rm -rf build
