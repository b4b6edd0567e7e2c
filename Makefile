# govbus — `make run` and `make test` install what is missing, then run.
#
# Python dependencies go into .venv (uv, from uv.lock); the local servers into .bin/ with Go:
# nats-server and FerretDB (MongoDB wire protocol on SQLite), at the versions pinned here.

NATS_SERVER_VERSION := v2.12.3
FERRETDB_VERSION    := v1.24.2
# The local FerretDB is built with the project's patch (infra/ferretdb/, why in the patch's text):
# bump the suffix whenever the patch changes, so that the binary says which one it carries.
FERRETDB_PATCH      := infra/ferretdb/sqlite-id-index.patch
FERRETDB_BUILD      := $(FERRETDB_VERSION)-govbus.1
UV_VERSION          := 0.13.9
PYTHON              ?= python3

BIN   := $(CURDIR)/.bin
TOOLS := $(CURDIR)/.tools
UV    := $(TOOLS)/bin/uv
PY    := $(CURDIR)/.venv/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: install run test lint contracts bench bench-search bench-faults infra-up infra-down clean help

help:
	@echo "make run    install what is missing, start NATS + FerretDB under ./var, every service and the gateway on 127.0.0.1:8080"
	@echo "make test   install what is missing, run the whole test suite against real servers"
	@echo "make lint   ruff, mypy --strict on contracts, kit, gateway, ops, testing and services, import contracts"
	@echo "make contracts   regenerate contracts/schemas (JSON Schema + AsyncAPI)"
	@echo "make bench  benchmarks (ratios against the raw servers; issue 10 scale up to 100 000; BENCH_ARGS=--quick: up to 20 000)"
	@echo "make bench-search  documents search on 2000 and 20000 documents (ratios)"
	@echo "make bench-faults  1000 commands through the gateway per fault (broker restart, kill -9, ...)"

install: $(BIN)/nats-server $(BIN)/ferretdb .venv/.synced

$(UV):
	@echo "==> installing uv $(UV_VERSION) into .tools/ (once)"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The bytecode is compiled once here: every govbus process (the CLI, and the services the
# tests start) otherwise compiles its imports again where .pyc files are not written
# (PYTHONDONTWRITEBYTECODE, a read-only install): 2.6 s instead of 0.9 s per start.
.venv/.synced: $(UV) uv.lock pyproject.toml contracts/pyproject.toml kit/pyproject.toml gateway/pyproject.toml ops/pyproject.toml testing/pyproject.toml $(wildcard services/*/pyproject.toml)
	@echo "==> installing Python dependencies into .venv (uv sync --frozen)"
	@$(UV) sync --frozen --all-packages --python $(PYTHON) --quiet --compile-bytecode
	@touch $@

$(BIN)/nats-server:
	@echo "==> installing nats-server $(NATS_SERVER_VERSION) into .bin/ (go install; once, about a minute)"
	@mkdir -p $(BIN)
	@GOBIN=$(BIN) GOFLAGS=-mod=mod go install github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION)

# `go install ...ferretdb@v1.24.2` fails on the module proxy's deprecation lookup, and the
# module's version file is generated at release time; so: download the module, apply the
# project's patch to a copy, write the version file into it, build from the copy.
# A binary that does not report $(FERRETDB_BUILD) (an unpatched one, or an older patch) is
# rebuilt, as is one older than the patch file.
ifneq ($(shell $(BIN)/ferretdb --version 2>/dev/null | sed -n 's/^version: //p'),$(FERRETDB_BUILD))
.PHONY: $(BIN)/ferretdb
endif
$(BIN)/ferretdb: $(FERRETDB_PATCH)
	@echo "==> installing FerretDB $(FERRETDB_BUILD) (with $(FERRETDB_PATCH)) into .bin/ (go build; a few minutes)"
	@mkdir -p $(BIN)
	@set -e; \
	  dir=$$(GOFLAGS=-mod=mod go mod download -json github.com/FerretDB/FerretDB@$(FERRETDB_VERSION) \
	        | $(PYTHON) -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); \
	  src=$$(mktemp -d); cp -r "$$dir"/. "$$src"; chmod -R u+w "$$src"; \
	  patch --quiet --forward -p1 -d "$$src" < $(CURDIR)/$(FERRETDB_PATCH); \
	  echo $(FERRETDB_BUILD) > "$$src/build/version/version.txt"; \
	  (cd "$$src" && GOFLAGS=-mod=mod go build -o $(BIN)/ferretdb.new ./cmd/ferretdb); \
	  mv $(BIN)/ferretdb.new $(BIN)/ferretdb; \
	  rm -rf "$$src"

run: install
	@$(CURDIR)/.venv/bin/govbus run

test: install
	@$(PY) -m pytest

lint: install
	@$(PY) -m ruff check contracts kit gateway ops testing services tests bench
	@$(PY) -m mypy --strict contracts/src kit/src gateway/src ops/src testing/src $(wildcard services/*/src)
	@$(CURDIR)/.venv/bin/lint-imports

contracts: install
	@$(CURDIR)/.venv/bin/govbus contracts export

bench: install
	@$(PY) bench/run.py $(BENCH_ARGS)

bench-search: install
	@$(PY) bench/search.py

bench-faults: install
	@$(PY) bench/faults.py $(BENCH_ARGS)

infra-up: install
	@$(CURDIR)/.venv/bin/govbus infra up

infra-down:
	@$(CURDIR)/.venv/bin/govbus infra down

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
