"""The report's first section: the new model against the one in production, on the same customers."""

from __future__ import annotations

from typing import Any

from intentseg.evaluation.comparison import METRIC_WORDS, verdict


def champion_view(comparison: dict[str, Any] | None, champion_period: str | None) -> dict[str, Any] | None:
    """What the template shows of details/classifier.json ``champion`` (None for details without one)."""
    if not comparison:
        return None
    view: dict[str, Any] = {"status": comparison["status"], "message": comparison.get("message"), "period": None}
    if comparison["status"] != "compared":
        return view
    metrics = comparison["metrics"]
    view.update(
        period=champion_period,
        customers=comparison["customers"],
        roc_auc=metrics["roc_auc"]["champion"],
        top_decile_rate=comparison["champion_top_decile_purchase_rate"],
        headline=verdict("roc_auc", metrics["roc_auc"]["difference_ci"]),
        rows=[
            {
                "measure": METRIC_WORDS[name],
                "champion": values["champion"],
                "challenger": values["challenger"],
                "difference": values["difference"],
                "low": values["difference_ci"][0],
                "high": values["difference_ci"][1],
                "verdict": verdict(name, values["difference_ci"]),
            }
            for name, values in metrics.items()
        ],
    )
    return view
