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

    def with_display_names(self, display_names: dict[str, str]) -> Evaluation:
        """This evaluation with plot records whose ``feature`` (or ``term``) is a renamed column shown by its
        name in the source file."""
        if not display_names:
            return self

        def shown(record: dict[str, Any]) -> dict[str, Any]:
            return {
                key: display_names.get(value, value) if key in ("feature", "term") and isinstance(value, str) else value
                for key, value in record.items()
            }

        plots = {name: [shown(record) for record in records] for name, records in self.plots.items()}
        return Evaluation(metrics=self.metrics, details=self.details, plots=plots)

    def json_files(self, metrics_path: str, details_path: str, plot_paths: dict[str, str]) -> dict[str, Any]:
        """What to write where: the metrics, the details and each plot's records, by path."""
        return {metrics_path: self.metrics, details_path: self.details} | {
            plot_paths[name]: records for name, records in self.plots.items()
        }
