"""Shared fixtures: small simulated tables and the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest

from intentseg.simulator import SimulatedTable, simulate_customers

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
