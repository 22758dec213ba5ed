# `make test` is the one command that installs what the tests need and runs the whole suite (CI runs it).
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: test lint install browser pgvector bench

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,llm]"

browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@# axe-core for the accessibility scan in tests/browser (injected into each page; not committed)
	@test -f .cache/axe/node_modules/axe-core/axe.min.js || npm install --no-save --silent --prefix .cache/axe axe-core@4 >/dev/null

pgvector:
	@bash scripts/install-pgvector.sh

test: install browser pgvector lint
	$(BIN)/python -m pytest -q -p no:cacheprovider --timeout=600

# ruff (settings in pyproject.toml) and mypy on src/ (the Protocols at the seams are checked there).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/answers.py
	$(BIN)/python benchmarks/answer_safety.py
	$(BIN)/python benchmarks/audience.py --dense
	$(BIN)/python benchmarks/followups.py --dense
