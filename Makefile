# Two commands do all the set-up: `make demo` and `make test` (each creates .venv on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow test-all lint bench notebooks clean

$(BIN)/rnnkit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: 2.13.0 is the CPU build; a bare `torch` would pull a multi-GB CUDA one.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

demo: $(BIN)/rnnkit
	$(BIN)/rnnkit forecast

# the fast tier; the slow one (real processes, torchrun, notebooks) runs in test-slow
test: $(BIN)/rnnkit
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(BIN)/rnnkit
	$(BIN)/python -m pytest -m slow

test-all: $(BIN)/rnnkit
	$(BIN)/python -m pytest

lint: $(BIN)/rnnkit
	$(BIN)/ruff check src tests benchmarks

bench: $(BIN)/rnnkit
	$(BIN)/python benchmarks/bench_layers.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_trainer.py
	$(BIN)/python benchmarks/bench_classify.py
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_esn.py
	$(BIN)/python benchmarks/bench_esn_classify.py --units 500 2000

# re-run the example notebooks and store them with their outputs (after a change to what they show)
notebooks: $(BIN)/rnnkit
	$(BIN)/python examples/regenerate.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
