"""The words the report and the figures use for the label, from params (never ShopSphere's on another table)."""

from __future__ import annotations

from typing import Any

SIMULATOR_TARGET = "bought within 30 days"


def target_words(description: str | None, simulated: bool, target: str, positive_label: str | None) -> str:
    """The label in words: ``data.target_description``, else the simulator's, else ``have <target> = <label>``."""
    if description:
        return description
    if simulated:
        return SIMULATOR_TARGET
    return f"have {target} = {positive_label if positive_label is not None else 1}"


def with_display_names(
    plots: dict[str, list[dict[str, Any]]], display_names: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Plot records whose ``feature`` (or ``term``) is a renamed column, shown by its name in the source file."""
    if not display_names:
        return plots

    def shown(record: dict[str, Any]) -> dict[str, Any]:
        return {
            key: display_names.get(value, value) if key in ("feature", "term") and isinstance(value, str) else value
            for key, value in record.items()
        }

    return {name: [shown(record) for record in records] for name, records in plots.items()}
