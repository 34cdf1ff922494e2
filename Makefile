# Two commands on a fresh clone: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in e-mails, QR codes and the demo sign-in line follow PORT unless SITE_URL is given.
SITE_URL ?= http://127.0.0.1:$(PORT)
STAMP := $(VENV)/.installed

.PHONY: run test venv lint format bench e2e fuzz clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

var:
	@mkdir -p var/mail var/cache var/celery/queue var/celery/processed

run: venv var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 PORT=$(PORT) SITE_URL='$(SITE_URL)' $(BIN)/python manage.py seed_demo
	DEBUG=1 PORT=$(PORT) SITE_URL='$(SITE_URL)' PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

e2e: venv
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

fuzz: venv
	$(BIN)/pytest -m fuzz $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf var/celery var/cache
