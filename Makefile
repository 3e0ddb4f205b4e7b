# Two entry points for a fresh clone: `make repro` (default pipeline) and `make test`.
# Both create .venv when missing and install the pinned requirements first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: setup repro test check bench status promote clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

repro: setup  ## run the default pipeline (dvc repro)
	dvc repro
	@echo "Report: reports/report.md"

test: setup  ## run the test suite
	python -m pytest

check: setup  ## CI gate: dvc.lock fresh, pipeline from scratch, quality gates, committed results reproduced
	python -m intentseg.checks lock
	dvc repro --force
	dvc status --quiet || (echo "FAIL dvc status: the pipeline is not up to date after dvc repro"; exit 1)
	python -m intentseg.checks gates
	git diff --quiet -- dvc.lock metrics plots reports || (git diff --stat -- dvc.lock metrics plots reports; \
	  echo "FAIL the reproduced results differ from the committed ones: run make repro and commit them"; exit 1)
	@echo "make check passed. Report: reports/report.md"

bench: setup  ## run the benchmarks (full sizes; several minutes)
	cd benchmarks && for b in bench_*.py; do python $$b || exit 1; done

promote:  ## accept the current run as the reference: segment ids/names and the report's comparison
	mkdir -p reference/metrics
	cp models/segmenter.json reference/segmenter.json
	cp metrics/*.json reference/metrics/
	@echo "reference/ updated: run make repro, then commit reference/ with the refreshed outputs"

status: setup  ## is dvc.lock up to date with code and params?
	dvc status

clean-venv:
	rm -rf $(VENV)
