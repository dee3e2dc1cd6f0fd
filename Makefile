# The two commands of the README: `make run` (the product, embedded) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_SCALE ?= 0.05

.PHONY: run test lint typecheck setup messages check-deploy deploy

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Production installs only what the product runs on (no test tools).
$(BIN)/.installed-production: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

setup: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_definitions
	$(BIN)/python manage.py seed_demo --scale $(DEMO_SCALE) --issues 0.02 --if-empty
	$(BIN)/python manage.py compute_scores --all
	$(BIN)/python manage.py flag_submissions --all
	$(BIN)/python manage.py compute_intervals --index sipas-2024
	$(BIN)/python manage.py compute_intervals --index par-2024
	$(BIN)/python manage.py compute_intervals --index sipas-2025
	$(BIN)/python manage.py compute_intervals --index par-2025
	$(BIN)/python manage.py load_margins data/margins/sipas-2024-demo.csv --questionnaire sipas-2024 --bounds 0.2,6
	$(BIN)/python manage.py compute_weights --index sipas-2024
	$(BIN)/python manage.py ensure_demo_users

run: setup
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(BIN)/.installed
	$(BIN)/python -m pytest

# The gate CI runs: ruff's rules, the type check, no model change without its migration.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

# mypy with django-stubs on scoring/ and surveys/ ([tool.mypy] in pyproject.toml).
typecheck: $(BIN)/.installed
	$(BIN)/mypy

# Refresh the Vietnamese catalogue after changing texts: add new pairs to locale/vi.tsv first.
messages: $(BIN)/.installed
	$(BIN)/python manage.py makemessages -l vi --ignore=.venv --ignore=tests --ignore=var
	$(BIN)/python locale/translate.py
	$(BIN)/python manage.py compilemessages -l vi --ignore=.venv

# Django's deployment checklist under production settings (CI runs it).
check-deploy: $(BIN)/.installed
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=ci-only-$$(date +%s)-a-long-random-looking-secret-key-value-0123456789 \
	DJANGO_ALLOWED_HOSTS=par.example.gov.vn PUBLIC_BASE_URL=https://par.example.gov.vn \
	CACHE_URL=redis://127.0.0.1:6379/1 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Production (docs/deployment.md): run on every release with the production environment set,
# then restart gunicorn, the worker and beat. The settings are checked before anything is
# touched; WhiteNoise serves the collected files and reads them only when gunicorn starts.
deploy: $(BIN)/.installed-production
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/python manage.py load_definitions
