"""What a scoring run reports: the summary metrics and the small plot tables."""

from __future__ import annotations

from typing import Any

from intentseg.scoring.second_pass import RowPlan
from intentseg.scoring.types import FinalTables, ScoreAccumulator


def score_summary(accumulator: ScoreAccumulator, tables: FinalTables, drift: dict[str, Any]) -> dict[str, Any]:
    """The ``metrics/score.json`` summary: counts and the drift verdict (no timings: they differ run to run).

    Tables (segment x decile, PSI per feature) are plot data: see :func:`segment_decile_plot`
    and :func:`drift_plot`.
    """
    return {
        "rows_in": accumulator.rows_in,
        "rows_scored": accumulator.rows_scored,
        "rows_rejected": accumulator.rows_rejected,
        "rejects_by_rule": dict(sorted(accumulator.rejects_by_rule.items())),
        "audience_size": accumulator.audience_size,
        "audience_exported": tables.audience_exported,
        "expected_conversions": accumulator.expected_conversions,
        "drift": {key: drift[key] for key in ("max_psi", "worst_feature", "flagged", "warned")},
    }


def segment_decile_plot(tables: FinalTables, names: dict[int, str]) -> list[dict[str, Any]]:
    """Plot records: customers per (segment, propensity decile)."""
    return [
        {"segment": f"{segment}: {names.get(segment, '?')}", "decile": int(decile), "count": int(count)}
        for segment, row in tables.segment_by_decile.iterrows()
        for decile, count in row.items()
    ]


def drift_plot(drift: dict[str, Any]) -> list[dict[str, Any]]:
    """Plot records: population stability index per feature, largest first."""
    return [
        {"feature": name, "psi": value}
        for name, value in sorted(drift["psi"].items(), key=lambda item: (-item[1], item[0]))
    ]


def audience_plot(tables: FinalTables, names: dict[int, str]) -> list[dict[str, Any]]:
    """Plot records: audience size and expected conversions per segment."""
    return [
        {
            "segment": f"{segment}: {names.get(segment, '?')}",
            "audience_size": int(row["audience_size"]),
            "expected_conversions": float(row["expected_conversions"]),
            "exported": int(row["exported"]),
        }
        for segment, row in tables.audience_by_segment.iterrows()
    ]


def sleeping_dogs(accumulator: ScoreAccumulator, plan: RowPlan) -> dict[str, int]:
    """Customers an uplift model predicts a contact puts off (effect below zero): how many, how many the
    classifier's decision rule would contact, and how many the export's audience still holds."""
    effect = accumulator.all_effects()
    if effect is None:
        return {}
    hurt = effect < 0
    return {
        "predicted_sleeping_dogs": int(hurt.sum()),
        "in_decision_audience": int((hurt & accumulator.all_audience_flags()).sum()),
        "in_exported_audience": int((hurt & plan.targeted).sum()),
    }
