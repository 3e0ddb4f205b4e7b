"""The words the report and the figures use for the label, from params (never ShopSphere's on another table)."""

from __future__ import annotations

SIMULATOR_TARGET = "bought within 30 days"


def target_words(description: str | None, simulated: bool, target: str, positive_label: str | None) -> str:
    """The label in words: ``data.target_description``, else the simulator's, else ``have <target> = <label>``."""
    if description:
        return description
    if simulated:
        return SIMULATOR_TARGET
    return f"have {target} = {positive_label if positive_label is not None else 1}"
