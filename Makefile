# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-detail

# Debian's Chromium for the browser tests (no browser downloads are possible);
# installed when missing and we are root, else those tests skip and say why.
BROWSER := /usr/bin/chromium

$(BROWSER):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium missing and not root: the browser tests will be skipped"; fi

# Debian's PostgreSQL for the tests that run the store on it (initdb'd in a temporary
# folder by tests/postgres_server.py); installed when missing and we are root, else
# those tests skip and say why.
.PHONY: postgresql
postgresql:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	else echo "postgresql missing and not root: the PostgreSQL tests will be skipped"; fi

# Debian's redis-server for WorkflowEvalRedisStore's tests (started on 127.0.0.1 by the
# test's fixture); installed when missing and we are root, else those tests skip.
.PHONY: redis-server
redis-server:
	@if command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	else echo "redis-server missing and not root: the Redis store tests will be skipped"; fi

# uv and torch as the dev extra pins them, which pip installs first: the CPU build
# of torch is a local wheel that only pip's configuration points at (uv would fetch
# a CUDA build). uv then installs the rest of the dev set, several times faster.
BOOTSTRAP := $(shell grep -oE '"(uv|torch)[=>][^"]*"' pyproject.toml | tr -d '"')

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(foreach p,$(BOOTSTRAP),'$(p)')
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'
	# Not in the dev extra: instructor's pins (jiter < 0.15) clash with openai 3.57's
	# (jiter >= 0.16), although instructor works with the newer jiter.
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps instructor==1.17.0
	touch $(STAMP)

## Run the quickstart: a traced app logged to the embedded store, printed as a tree.
demo: $(STAMP)
	$(PY) examples/quickstart.py

## Lint, type-check and run the whole test suite.
test: $(STAMP) $(BROWSER) postgresql redis-server
	$(PY) -m ruff check src tests examples benchmarks scripts
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks scripts
	$(PY) -m mypy

## Side-by-side benchmarks against bare OTel, the stock OTel+OTLP pipeline, the official SDK,
## Langfuse and Logfire (not part of `make test`); writes benchmarks/results/latest.md and
## benchmarks/results/pipeline.md.
bench: $(STAMP)
	$(PY) benchmarks/suite.py
	$(PY) benchmarks/pipeline.py

## The detailed per-area benchmarks.
bench-detail: $(STAMP)
	$(PY) benchmarks/span_overhead.py
	$(PY) benchmarks/http_delivery.py
	$(PY) benchmarks/slow_service.py
	$(PY) benchmarks/eval_overhead.py
	$(PY) benchmarks/instrumentation_overhead.py
	$(PY) benchmarks/server_ingest.py
