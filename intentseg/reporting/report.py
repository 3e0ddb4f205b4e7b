"""The one-page report for marketing (``reports/report.md``), generated from the pipeline's metrics.

Every number in it is read from the metrics and plot files of the same run, so it cannot go
stale; it is written for readers who have never heard of ROC-AUC. :func:`report_view` turns the
run's inputs into the values the Jinja2 template (``templates/report.md.j2``) shows; the
template's environment escapes every text value for Markdown (:mod:`intentseg.reporting.markdown`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intentseg.config.classifier import DecisionConfig
from intentseg.config.data import DataConfig
from intentseg.config.gates import GATES
from intentseg.config.score import ScoreConfig
from intentseg.evaluation.gates import gate_rows, lookup
from intentseg.reporting.champion import champion_view
from intentseg.reporting.markdown import Markdown, link_target, markdown_environment
from intentseg.reporting.uplift import uplift_view
from intentseg.reporting.wording import target_words
from intentseg.scoring.export import expected_profit

REPORT_DETAILS = ("classifier", "segmenter", "score", "uplift", "targeting")  # reports/details/ files the report reads
REPORT_PLOTS = {  # the plot data it reads: name -> (paths.plots group, plot)
    "gains": ("classifier", "gains"),
    "calibration": ("classifier", "calibration_test"),
    "migration": ("segments", "migration"),
    "audience": ("score", "audience"),
}


@dataclass(frozen=True)
class RunFiles:
    """What one run wrote that the report reads: every metrics file, and the details and plots above."""

    metrics: dict[str, dict[str, Any]]
    details: dict[str, dict[str, Any]]
    plots: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class ReportInputs:
    """One run's files, the settings the report quotes, and the reference run's metrics (if any)."""

    snapshot_month: str
    files: RunFiles
    figures: dict[str, str]
    gates: dict[str, float]
    drift_warn_psi: float
    reference: dict[str, dict[str, Any]] = field(default_factory=dict)
    target_description: str = "bought within 30 days"  # data.target_description: the label in words
    labelled_scored: bool = False  # no separate scoring population: the labelled customers were scored
    campaign: dict[str, Any] | None = None  # the last campaign's readout (intentseg.evaluation.campaign)
    decision: DecisionConfig | None = None  # train_classifier.decision: for the rule in business terms
    champion_period: str | None = None  # the period of the run whose classifier is in production (reference/)

    @classmethod
    def of_run(
        cls,
        files: RunFiles,
        figures: dict[str, str],
        reference: dict[str, dict[str, Any]],
        campaign: dict[str, Any] | None,
        *,
        data: DataConfig,
        score: ScoreConfig,
        decision: DecisionConfig,
        gates: dict[str, float],
        champion_period: str | None = None,
    ) -> ReportInputs:
        """The inputs of one run: its files, and the settings of ``data:``, ``score:`` and the decision rule."""
        simulated = data.simulated
        label = files.metrics["data"].get("positive_label")
        return cls(
            snapshot_month=data.snapshot_month,
            files=files,
            figures=figures,
            gates=dict(gates),
            drift_warn_psi=score.drift.warn_psi,
            reference=reference,
            target_description=target_words(data.target_description, simulated, data.target, label),
            labelled_scored=not simulated and data.population is None,
            campaign=campaign,
            decision=decision,
            champion_period=champion_period,
        )

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        return self.files.metrics

    @property
    def data(self) -> dict[str, Any]:
        return self.files.metrics["data"]

    @property
    def score(self) -> dict[str, Any]:
        return self.files.metrics["score"]

    @property
    def classifier(self) -> dict[str, Any]:
        return self.files.details["classifier"]

    @property
    def segments(self) -> dict[str, Any]:
        return self.files.details["segmenter"]

    @property
    def export(self) -> dict[str, Any]:
        """reports/details/score.json: the groups of the export."""
        return self.files.details["score"]

    def plot(self, name: str) -> list[dict[str, Any]]:
        """One of :data:`REPORT_PLOTS`' records."""
        return self.files.plots[name]

    @property
    def period(self) -> str:
        """The snapshot the run describes: the snapshot date of a table with dates, else the month."""
        return self.data.get("snapshot_date", self.snapshot_month)


def report_figure_links(report_path: str, figure_paths: dict[str, dict[str, str]]) -> dict[str, str]:
    """Figure paths relative to the report's folder (as link targets), keyed ``<group>_<name>`` and, for the
    classifier, ``<name>``."""
    folder = Path(report_path).parent
    links = {}
    for group, figures in figure_paths.items():
        for name, path in figures.items():
            relative = link_target(os.path.relpath(Path(path), folder))
            links[f"{group}_{name}"] = relative
            if group == "classifier":
                links[name] = relative
    return links


SEGMENT_KEYS = {
    "name",
    "share",
    "purchase_rate",
    "percentile",
    "median",
    "top_categories",
    "traits",
    "unsupported_words",
    "stability_jaccard",
    "stable",
}


def suggested_use(purchase_rate: float, base_rate: float, name: str) -> Markdown:
    """A campaign suggestion from a segment's purchase rate relative to the average, and its name."""
    ratio = purchase_rate / base_rate if base_rate else 1.0
    if ratio >= 1.5:
        use = "Core of conversion campaigns and loyalty rewards; protect the relationship."
    elif ratio <= 0.5:
        use = "Low odds of buying: use cheap channels (email, app) for reactivation, or leave out of paid campaigns."
    else:
        use = "Mixed: contact only its high-propensity members (see the audience table)."
    if "deal" in name.lower():
        use += " Responds to discounts: lead with offers."
    return Markdown(use)


FIGURE_CAPTIONS = {
    "roc": "ROC curve (test)",
    "precision_recall": "Precision and recall (test)",
    "confusion": "Who the rule targets (test)",
    "importance": "What drives the predictions (mean absolute contribution, test)",
    "baseline_coefficients": "The logistic baseline's largest coefficients",
    "segments_k_sweep": "Choosing the number of segments",
    "segments_purchase_rate": "Label rate by segment (test)",
}


def _silhouette(segmenter_metrics: dict[str, Any]) -> float | None:
    """The mean silhouette of a segmenter metrics file (older reference files nest it as ``{"mean": ...}``)."""
    value = segmenter_metrics.get("silhouette")
    return value.get("mean") if isinstance(value, dict) else value


def _k_origin(setup: dict[str, Any]) -> dict[str, Any]:
    """Why there are this many segments: configured, a source's preset, or the k rule (with its best silhouette)."""
    origin = setup.get("origin", {}).get("k", "configured")
    if origin == "configured":
        return {"kind": "configured"}
    if origin != "automatic":
        return {"kind": "preset", "preset": origin.removeprefix("preset ")}
    rows = setup.get("k_selection") or []
    eligible = [row for row in rows if row["eligible"]]
    best = max((row["silhouette"] for row in eligible or rows), default=float("nan"))
    return {
        "kind": "automatic",
        "best_silhouette": best,
        "best_overall": max((row["silhouette"] for row in rows), default=float("nan")),
        "any_eligible": bool(eligible),
        "reaches_bar": any(row.get("reaches_bar", True) for row in rows),
        "range": (min(row["k"] for row in rows), max(row["k"] for row in rows)) if rows else None,
        "rows": rows,
    }


def _segment_cards(inputs: ReportInputs) -> list[dict[str, Any]]:
    base_rate = inputs.data["positive_rate"]
    cards = []
    for segment_id, segment in inputs.segments["segments"].items():
        cards.append(
            {
                "id": segment_id,
                "name": segment["name"],
                "share": segment["share"],
                "traits": segment["traits"],
                "top_categories": list(segment["top_categories"].items())[:2],
                "purchase_rate": segment["purchase_rate"],
                "outcomes": [
                    (name, value)
                    for name, value in segment.items()
                    if name not in SEGMENT_KEYS and isinstance(value, (int, float))
                ],
                "unsupported_words": segment.get("unsupported_words") or [],
                "suggested_use": suggested_use(segment["purchase_rate"], base_rate, segment["name"]),
                "jaccard": segment.get("stability_jaccard"),
                "stable": segment.get("stable", True),
            }
        )
    return cards


def _quality_bars(inputs: ReportInputs) -> list[dict[str, str]]:
    """The gates of params.yaml on this run, each with its 95% interval where there is one."""
    if not inputs.metrics:
        return []
    rows = []
    for row in gate_rows(inputs.metrics, None, inputs.gates):
        gate = GATES[row.gate]
        bounds = lookup(inputs.metrics.get(gate.source, {}), gate.interval) if gate.interval else None
        rows.append(
            {
                "description": row.description,
                "bar": Markdown(row.bar),
                "value": Markdown("n/a" if row.value is None else f"{row.value:.4g}"),
                "interval": Markdown(
                    f"{bounds[0]:.3f} to {bounds[1]:.3f}" if isinstance(bounds, list) and len(bounds) == 2 else ""
                ),
                "met": Markdown("n/a" if row.passed is None else ("yes" if row.passed else "**no**")),
            }
        )
    return rows


def _contact_plan(inputs: ReportInputs) -> dict[str, Any] | None:
    """The export's groups, the first customers of the list, and (rule expected_profit) the profit."""
    export = inputs.export.get("export")
    if not export:
        return None
    return {
        "target": export["target"],
        "control": export["control"],
        "control_share": inputs.export.get("control_share", 0),
        "exploration": export.get("exploration"),
        "exploration_share": inputs.export.get("exploration_share", 0),
        "examples": inputs.export.get("examples") or [],
        "profit": expected_profit(export["target"], inputs.decision),
    }


def contact_plan_text(inputs: ReportInputs) -> str:
    """The contact-plan section alone (empty without an export), as the report shows it."""
    plan = _contact_plan(inputs)
    if plan is None:
        return ""
    template = markdown_environment().get_template("contact_plan.md.j2")
    return template.render(v={"plan": plan, "target": inputs.target_description})


def _formatted(value: float | None, spec: str) -> Markdown:
    return Markdown(format(value, spec) if value is not None else "n/a")


def _changes(inputs: ReportInputs) -> list[dict[str, Any]]:
    """Headline measures of the reference run beside this run's (empty without a reference)."""
    reference = inputs.reference
    if not reference:
        return []
    rows = [
        (
            "Model ROC-AUC (test)",
            reference.get("classifier", {}).get("test", {}).get("roc_auc"),
            inputs.classifier["test"]["roc_auc"],
            ".3f",
        ),
        (
            "Model F1 (test)",
            reference.get("classifier", {}).get("test", {}).get("f1"),
            inputs.classifier["test"]["f1"],
            ".3f",
        ),
        (
            "Segment silhouette",
            _silhouette(reference.get("segmenter", {})),
            inputs.segments["silhouette"]["mean"],
            ".3f",
        ),
        ("Audience size", reference.get("score", {}).get("audience_size"), inputs.score["audience_size"], ",.0f"),
        (
            "Expected buyers in audience",
            reference.get("score", {}).get("expected_conversions"),
            inputs.score["expected_conversions"],
            ",.0f",
        ),
    ]
    return [
        {"label": label, "before": _formatted(before, spec), "now": _formatted(now, spec)}
        for label, before, now, spec in rows
    ]


def _migration(inputs: ReportInputs) -> dict[str, Any] | None:
    """Customers by reference segment (rows) and current segment (columns)."""
    if not inputs.plot("migration"):
        return None
    targets = sorted({r["to_segment"] for r in inputs.plot("migration")})
    rows = []
    for source in sorted({r["from_segment"] for r in inputs.plot("migration")}):
        counts = {r["to_segment"]: r["count"] for r in inputs.plot("migration") if r["from_segment"] == source}
        rows.append((source, [counts.get(target, 0) for target in targets]))
    return {"targets": targets, "rows": rows}


def report_view(inputs: ReportInputs) -> dict[str, Any]:
    """Everything the report template shows, computed from the run's inputs (no file is read)."""
    test = inputs.classifier["test"]
    oracle = inputs.classifier.get("oracle")
    return {
        "period": inputs.period,
        "champion": champion_view(inputs.classifier.get("champion"), inputs.champion_period),
        "data": inputs.data,
        "score": inputs.score,
        "labelled_scored": inputs.labelled_scored,
        "target": inputs.target_description,
        "base_rate": inputs.data["positive_rate"],
        "classifier": inputs.classifier,
        "test": test,
        "baseline": inputs.classifier["baseline"],
        "decision_rule": inputs.classifier["decision_rule"],
        "oracle": oracle,
        "oracle_gap": inputs.classifier["gap_to_oracle"]["roc_auc"] if oracle else None,
        "figures": inputs.figures,
        "gains": inputs.plot("gains")[:5],
        "calibration_top": inputs.plot("calibration")[-1],
        "calibration_middle": inputs.plot("calibration")[len(inputs.plot("calibration")) // 2],
        "k": inputs.segments["k"],
        "k_origin": _k_origin(inputs.segments.get("setup", {})),
        "segment_cards": _segment_cards(inputs),
        "renamed": inputs.segments.get("renamed") or [],
        "silhouette": inputs.segments["silhouette"]["mean"],
        "stability": inputs.segments["stability_ari"],
        "min_silhouette": inputs.gates.get("min_silhouette", 0),
        "audience": inputs.plot("audience"),
        "plan": _contact_plan(inputs),
        "drift": inputs.score["drift"],
        "drift_warn_psi": inputs.drift_warn_psi,
        "changes": _changes(inputs),
        "migration": _migration(inputs),
        "share_same_segment": inputs.segments.get("migration", {}).get("share_same_segment") or 0,
        "customer_moves": inputs.segments.get("migration", {}).get("customers"),
        "campaign": inputs.campaign,
        "uplift": uplift_view(
            inputs.files.details.get("uplift"),
            inputs.files.details.get("targeting"),
            inputs.export.get("targeting", {}).get("rule", "propensity"),
        ),
        "quality_bars": _quality_bars(inputs),
        "more_figures": [
            (Markdown(caption), inputs.figures[key])
            for key, caption in FIGURE_CAPTIONS.items()
            if key in inputs.figures
        ],
    }


def build_report(inputs: ReportInputs) -> str:
    """The whole report as Markdown."""
    return markdown_environment().get_template("report.md.j2").render(v=report_view(inputs))
