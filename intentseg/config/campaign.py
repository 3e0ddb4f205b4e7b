"""``campaign:``: the last campaign's result file, read into measured lift by the report."""

from __future__ import annotations

from typing import ClassVar

from intentseg.config.base import Number, Section, Text, bounded


class CampaignConfig(Section):
    """``campaign:``: the last campaign's result file, read into measured lift by the report."""

    name: ClassVar[str] = "campaign"

    result: Text | None
    confidence: Number = bounded(0.0, 1.0, low_open=True, high_open=True)
