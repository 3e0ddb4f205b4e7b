# Two entry points for a fresh clone: `make repro` (default pipeline) and `make test`.
# Both create .venv when missing and install the pinned requirements first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: setup repro test bench status promote-segments clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

repro: setup  ## run the default pipeline (dvc repro)
	dvc repro

test: setup  ## run the test suite
	python -m pytest

bench: setup  ## run the benchmarks (full sizes; several minutes)
	cd benchmarks && for b in bench_*.py; do python $$b || exit 1; done

promote-segments:  ## accept the current segmentation as the reference for future retrains
	cp models/segmenter.json reference/segmenter.json
	@echo "reference/segmenter.json updated: commit it, then run make repro"

status: setup  ## is dvc.lock up to date with code and params?
	dvc status

clean-venv:
	rm -rf $(VENV)
