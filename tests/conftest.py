"""Shared fixtures: small simulated tables and the repository root."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest

from intentseg.data.simulator import SimulatedTable, simulate_customers

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def small_table() -> SimulatedTable:
    """20,000 labelled customers: enough for rates, small enough to be quick."""
    return simulate_customers(20_000, seed=7, snapshot_month="2026-11")


@pytest.fixture(scope="session")
def band_table() -> SimulatedTable:
    """60,000 labelled customers: the size at which the difficulty band is checked."""
    return simulate_customers(60_000, seed=42, snapshot_month="2026-11")


FAST_CLASSIFIER_PARAMS = {
    "model": "lightgbm",
    "lightgbm": {"learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 40, "num_threads": 1},
    "num_boost_round": 300,
    "early_stopping_rounds": 30,
    "log_every": 50,
    "imbalance_candidates": ["none"],
    "imbalance_min_gain": 0.001,
    "cross_validation": {"below_valid_positives": 200, "folds": 5},
    "calibration": {"method": "auto", "cv_folds": 5},
    "decision": {"rule": "max_f1", "top_fraction": 0.2, "contact_cost": 1.0, "margin_per_conversion": 10.0},
    "baseline": {"C": 1.0, "max_iter": 2000},
}


def config_of(section: str, values: dict):
    """The typed config of a params section built from ``values`` (the same checks as the stages)."""
    from intentseg.config.check import section_config

    return section_config({section: values}, section)


def default_params(repo_root: Path = REPO_ROOT) -> dict:
    """The project's params.yaml, read as the stages read it (a fresh copy each call: tests may edit it)."""
    from intentseg.config.base import load_params

    if Path(repo_root) != REPO_ROOT:
        return load_params(Path(repo_root) / "params.yaml")
    return copy.deepcopy(_project_params())


@functools.lru_cache(maxsize=1)
def _project_params() -> dict:
    """The project's params.yaml, parsed once per test process (a parse costs about 50 ms)."""
    from intentseg.config.base import load_params

    return load_params(REPO_ROOT / "params.yaml")


FAST_CLASSIFIER_SETTINGS = config_of("train_classifier", FAST_CLASSIFIER_PARAMS)


@pytest.fixture(scope="session")
def small_splits() -> dict:
    """Train/valid/test parts of 16,000 prepared simulated customers (canonical types)."""
    from intentseg.data.contract import validate_table
    from intentseg.data.shopsphere import shopsphere_spec
    from intentseg.data.split import stratified_split

    simulated = simulate_customers(16_000, seed=21, snapshot_month="2026-11")
    spec = shopsphere_spec()
    table = validate_table(simulated.features, spec)
    parts = stratified_split(table, spec.target, {"train": 0.7, "valid": 0.15, "test": 0.15}, seed=21)
    return {**parts, "ground_truth": simulated.ground_truth}


@pytest.fixture(scope="session")
def trained_classifier(small_splits):
    """A purchase model fitted quickly on the small splits."""
    from intentseg.classifier.training import fit_purchase_model

    return fit_purchase_model(
        small_splits["train"],
        small_splits["valid"],
        FAST_CLASSIFIER_SETTINGS,
        seed=3,
        id_column="customer_id",
        target="purchased_next_30d",
    )


@pytest.fixture(scope="session")
def segment_settings(repo_root):
    """The default train_segmenter config with fewer initialisations, for speed (frozen: tests cannot mutate it)."""

    from intentseg.config.check import section_config

    return section_config(default_params(repo_root), "train_segmenter").model_copy(update={"n_init": 3})


@pytest.fixture(scope="session")
def fitted_segments(small_splits, segment_settings):
    """A segment model fitted on the small train split, and its summary."""
    from intentseg.segments.training import fit_segment_model

    return fit_segment_model(
        small_splits["train"],
        segment_settings,
        5,
        "purchased_next_30d",
        "customer_id",
        source="simulator",
        reference=None,
    )


SMALL_PIPELINE = {"data.n_customers": 4000, "data.population_size": 6000, "score.chunk_rows": 2500}


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory, repo_root):
    """The whole pipeline reproduced at small sizes in a temporary git repository."""
    from tests.sandbox import Sandbox

    sandbox = Sandbox(repo_root, tmp_path_factory.mktemp("pipeline"))
    sandbox.set_params(SMALL_PIPELINE)
    sandbox.dvc("repro")
    return sandbox


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py); its URL needs the password env."""
    from tests.postgres import ThrowawayPostgres

    server = ThrowawayPostgres().start()
    yield server
    server.stop()


TIERS = {"e2e": "e2e", "committed": "committed"}  # folder under tests/ -> the marker its tests carry


def pytest_collection_modifyitems(config, items) -> None:
    """The tier is the folder: tests/e2e/ are ``e2e``, tests/committed/ ``committed``, tests/unit/ neither."""
    misplaced = []
    for item in items:
        folder = Path(str(item.path)).parent.name
        if folder in TIERS:
            item.add_marker(TIERS[folder])
        elif folder == "unit" and any(item.get_closest_marker(marker) for marker in TIERS.values()):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(f"tests marked e2e or committed belong in tests/e2e or tests/committed: {misplaced}")
