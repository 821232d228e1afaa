# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-detail

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the quickstart: a traced app logged to the embedded store, printed as a tree.
demo: $(STAMP)
	$(PY) examples/quickstart.py

## Lint, type-check and run the whole test suite.
test: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m mypy

## Side-by-side benchmarks against bare OTel and the official SDK (not part of `make test`);
## writes benchmarks/results/latest.md.
bench: $(STAMP)
	$(PY) benchmarks/suite.py

## The detailed per-area benchmarks.
bench-detail: $(STAMP)
	$(PY) benchmarks/span_overhead.py
	$(PY) benchmarks/http_delivery.py
	$(PY) benchmarks/eval_overhead.py
	$(PY) benchmarks/instrumentation_overhead.py
