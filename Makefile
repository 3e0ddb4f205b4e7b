# Two entry points for a fresh clone: `make repro` (default pipeline) and `make test`.
# Both create .venv when missing and install the pinned requirements first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: setup repro lint format test test-e2e check gates bench status promote push pull plots-diff clean-venv

setup: $(VENV)/.installed

# The pinned runtime and development requirements, then the package itself (editable, no dependencies).
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt \
	  -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

repro: setup  ## run the default pipeline (dvc repro)
	dvc repro
	@echo "Report: reports/report.md"

lint: setup  ## ruff: lint and formatting check (make format fixes the formatting)
	ruff check .
	ruff format --check .

format: setup  ## ruff: apply the formatting and the safe lint fixes
	ruff check --fix .
	ruff format .

test: setup  ## fast tier (tests/unit): unit, contract and behaviour tests on tiny frames; no subprocess, no pipeline
	python -m pytest tests/unit -n auto --dist worksteal

test-e2e: setup  ## end-to-end tier (tests/e2e): whole pipelines in process and under dvc repro, databases, programs; a file per xdist worker (module fixtures stay in one process)
	python -m pytest tests/e2e -n auto --dist loadfile


# make check: the CI gate. BASE is the branch the gate table compares with; REPRO_FLAGS how the
# pipeline is reproduced (--force: recompute everything; CI with a DVC remote uses --pull).
BASE ?= main
REPRO_FLAGS ?= --force

check: setup  ## CI gate: committed run, dvc.lock fresh, pipeline reproduced, quality gates, results within tolerance
	@python -m pytest tests/committed; committed=$$?; \
	  python -m intentseg.checks lock; lock=$$?; \
	  dvc repro $(REPRO_FLAGS) || exit 1; \
	  dvc status --quiet || { dvc status; echo "FAIL dvc status: the pipeline is not up to date after dvc repro"; exit 1; }; \
	  python -m intentseg.checks gates --base $(BASE); gates=$$?; \
	  python -m intentseg.checks reproduced --against HEAD; reproduced=$$?; \
	  if [ $$committed -ne 0 ] || [ $$lock -ne 0 ] || [ $$gates -ne 0 ] || [ $$reproduced -ne 0 ]; then \
	    echo "make check FAILED (committed run: $$committed, lock: $$lock, gates: $$gates, reproduced: $$reproduced;" \
	      "0 = passed)"; exit 1; fi
	@echo "make check passed. Report: reports/report.md"

gates: setup  ## print the quality-gate table of the current run against BASE (default main)
	python -m intentseg.checks gates --base $(BASE)

bench: setup  ## run the benchmarks (full sizes; several minutes)
	for b in benchmarks/bench_*.py; do python -m benchmarks.$$(basename $$b .py) || exit 1; done

promote: setup  ## accept the current run: its classifier becomes the champion, its segments the reference; then refresh
	python -m intentseg.reference promote
	dvc repro
	@echo "Commit reference/ with dvc.lock, metrics/, plots/ and reports/ in this branch (one reviewed change)."

push: setup  ## upload DVC-tracked outputs and the run cache to the default DVC remote (README: Sharing artefacts)
	@test -n "$$(dvc remote list)" || (echo "no DVC remote configured: see README, Sharing artefacts (dvc remote add -d ...)"; exit 1)
	dvc push --run-cache

pull: setup  ## download the outputs of this commit (and the run cache) instead of recomputing them
	@test -n "$$(dvc remote list)" || (echo "no DVC remote configured: see README, Sharing artefacts (dvc remote add -d ...)"; exit 1)
	dvc pull --run-cache

plots-diff: setup  ## plots of this run against BASE, as an HTML page that works offline (dvc_plots/index.html)
	dvc plots diff $(BASE) -o dvc_plots
	@echo "Open dvc_plots/index.html"

status: setup  ## is dvc.lock up to date with code and params?
	dvc status

clean-venv:
	rm -rf $(VENV)
