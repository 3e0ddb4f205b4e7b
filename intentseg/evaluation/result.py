"""What one part of the evaluate stage returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Evaluation:
    """What one part of the evaluate stage reports.

    ``metrics``: the few numbers a reviewer decides on (``dvc metrics diff``); ``details``: every
    measurement, for the report and deep dives (not a DVC metric); ``plots``: small tables by name.
    """

    metrics: dict[str, Any]
    details: dict[str, Any]
    plots: dict[str, list[dict[str, Any]]]
