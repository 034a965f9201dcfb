# dancegen — `make demo` and `make test` work on a fresh machine with only the package registries.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test venv lint format bench clean cluster-tools

# Debian's python3.11 (not pyenv): the Triton Python-backend stub links against its libpython.
$(STAMP): pyproject.toml scripts/apt-deps.sh
	bash scripts/apt-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0             # the CPU wheel; must come first
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps pyrender==0.1.45   # bench baseline (see pyproject.toml)
	$(BIN)/python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	# compile librosa's numba caches once, serially: parallel first compiles race (numba#10128) and segfault
	$(BIN)/python -c "from dancegen.audio import edge_features, generate_track; t = generate_track('pop', 3.0, seed=0); edge_features(t.audio, t.sr)"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/dancegen demo --out demo-out

# etcd + kube-apiserver built once from Debian's sources (cached under ~/.cache/dancegen), helm + kubectl
cluster-tools: $(STAMP)
	bash scripts/test-cluster.sh build

test: $(STAMP) cluster-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
