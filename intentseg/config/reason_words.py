"""``reason_words:``: how a column and a customer's value read in a reason ("last ordered 3 days ago").

This section was called ``features:`` before; that name is refused with a pointer here.
"""

from __future__ import annotations

import string
from typing import ClassVar

from intentseg.config.base import Key, Section, Text


class ReasonWordsConfig(Section):
    """``reason_words:``: the wording of reasons, one template per column (``{value}``: the customer's value)."""

    name: ClassVar[str] = "reason_words"

    labels: dict[Key, Text] | None

    def problems(self) -> list[str]:
        return [
            problem
            for column, template in (self.labels or {}).items()
            if (problem := _template_problem(column, template))
        ]


def _template_problem(column: str, template: str) -> str | None:
    """What is wrong with one template, or None."""
    if "{value" not in template:
        return f"labels.{column}: {template!r} must contain {{value}} (the customer's value)"
    try:
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError:
        fields = set()
    if fields - {"value"}:  # str.format on a template such as {value.__class__} reads attributes
        return (
            f"labels.{column}: {template!r} may only use the field {{value}} (with a format such as "
            f"{{value:.0f}}), got {sorted(fields - {'value'})}"
        )
    for sample in (1.5, "gold"):
        try:
            template.format(value=sample)
            return None
        except (ValueError, KeyError, IndexError, AttributeError, TypeError):
            pass
    return f"labels.{column}: {template!r} is not a valid template (e.g. 'ordered {{value:.0f}} days ago')"
