# govbus — `make run` and `make test` install what is missing, then run.
#
# Python dependencies go into .venv (uv, from uv.lock); the local servers into .bin/ with Go:
# nats-server and FerretDB (MongoDB wire protocol on SQLite), at the versions pinned here.

NATS_SERVER_VERSION := v2.12.3
FERRETDB_VERSION    := v1.24.2
UV_VERSION          := 0.13.9
PYTHON              ?= python3

BIN   := $(CURDIR)/.bin
TOOLS := $(CURDIR)/.tools
UV    := $(TOOLS)/bin/uv
PY    := $(CURDIR)/.venv/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: install run test lint contracts bench bench-search infra-up infra-down clean help

help:
	@echo "make run    install what is missing, start NATS + FerretDB under ./var, every service and the gateway on 127.0.0.1:8080"
	@echo "make test   install what is missing, run the whole test suite against real servers"
	@echo "make lint   ruff, mypy --strict on contracts, kit, gateway and services, import contracts"
	@echo "make contracts   regenerate contracts/schemas (JSON Schema + AsyncAPI)"
	@echo "make bench  benchmarks (ratios against the raw servers)"
	@echo "make bench-search  documents search on 2000 and 20000 documents (ratios)"

install: $(BIN)/nats-server $(BIN)/ferretdb .venv/.synced

$(UV):
	@echo "==> installing uv $(UV_VERSION) into .tools/ (once)"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml contracts/pyproject.toml kit/pyproject.toml gateway/pyproject.toml $(wildcard services/*/pyproject.toml)
	@echo "==> installing Python dependencies into .venv (uv sync --frozen)"
	@$(UV) sync --frozen --all-packages --python $(PYTHON) --quiet
	@touch $@

$(BIN)/nats-server:
	@echo "==> installing nats-server $(NATS_SERVER_VERSION) into .bin/ (go install; once, about a minute)"
	@mkdir -p $(BIN)
	@GOBIN=$(BIN) GOFLAGS=-mod=mod go install github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION)

# `go install ...ferretdb@v1.24.2` fails on the module proxy's deprecation lookup, and the
# module's version file is generated at release time; so: download the module, write the
# version file into a copy, build from the copy.
$(BIN)/ferretdb:
	@echo "==> installing FerretDB $(FERRETDB_VERSION) into .bin/ (go build; once, a few minutes)"
	@mkdir -p $(BIN)
	@set -e; \
	  dir=$$(GOFLAGS=-mod=mod go mod download -json github.com/FerretDB/FerretDB@$(FERRETDB_VERSION) \
	        | $(PYTHON) -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); \
	  src=$$(mktemp -d); cp -r "$$dir"/. "$$src"; chmod -R u+w "$$src"; \
	  echo $(FERRETDB_VERSION) > "$$src/build/version/version.txt"; \
	  (cd "$$src" && GOFLAGS=-mod=mod go build -o $(BIN)/ferretdb ./cmd/ferretdb); \
	  rm -rf "$$src"

run: install
	@$(CURDIR)/.venv/bin/govbus run

test: install
	@$(PY) -m pytest

lint: install
	@$(PY) -m ruff check contracts kit gateway services tests bench
	@$(PY) -m mypy --strict contracts/src kit/src gateway/src $(wildcard services/*/src)
	@$(CURDIR)/.venv/bin/lint-imports

contracts: install
	@$(CURDIR)/.venv/bin/govbus contracts export

bench: install
	@$(PY) bench/run.py

bench-search: install
	@$(PY) bench/search.py

infra-up: install
	@$(CURDIR)/.venv/bin/govbus infra up

infra-down:
	@$(CURDIR)/.venv/bin/govbus infra down

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
