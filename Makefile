# Lapor: `make up` to run everything locally, `make test` for the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := $(PY) -m pytest

.PHONY: up down status test lint unit integration e2e chaos bench bench-transparency install infra-up

install:
	@bash scripts/install.sh

infra-up: install
	@bash scripts/infra.sh up

up: infra-up
	@bash scripts/services.sh up
	@echo ""
	@echo "Lapor is running:"
	@echo "  web form / public API  http://127.0.0.1:8000/  (POST /api/v1/complaints)"
	@echo "  routing (operator API) http://127.0.0.1:8001/"
	@echo "  sla                    http://127.0.0.1:8002/healthz"
	@echo "  notify                 http://127.0.0.1:8003/healthz"
	@echo "  metrics                http://127.0.0.1:800{0,1,2,3}/metrics, RabbitMQ :15692/metrics"
	@echo "  RabbitMQ management    http://127.0.0.1:15672/  (guest/guest)"
	@echo "  mail sandbox           SMTP 127.0.0.1:2525, IMAP 127.0.0.1:1143 (address / lapor-dev)"
	@echo "  store                  mongodb://127.0.0.1:27017/lapor"

down:
	@bash scripts/services.sh down
	@bash scripts/infra.sh down

status:
	@bash scripts/infra.sh status
	@bash scripts/services.sh status

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy shared services tests bench

unit: install
	$(PYTEST) tests/unit -q

integration: infra-up
	$(PYTEST) tests/integration -q

e2e: infra-up
	$(PYTEST) tests/e2e -q

# Kills services and restarts RabbitMQ and the store while complaints flow (private infra).
chaos: infra-up
	$(PYTEST) tests/chaos -q -s

# The whole suite: lint and types, then every tier against the real local stack.
test: infra-up
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy shared services tests bench
	$(PYTEST) tests -q -p no:cacheprovider

bench: infra-up
	$(PY) -m bench

# The transparency figures with a million complaints (issue 11; docs/transparency.md).
bench-transparency: infra-up
	$(PY) -m bench.transparency
