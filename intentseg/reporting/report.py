"""The one-page report for marketing (``reports/report.md``), generated from the pipeline's metrics.

Every number in it is read from the metrics and plot files of the same run, so it cannot go
stale; it is written for readers who have never heard of ROC-AUC.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intentseg.checks.gates import GATES, gate_rows, lookup
from intentseg.config import DecisionConfig


@dataclass(frozen=True)
class ReportInputs:
    """Metrics and plot tables of one run, plus the reference run's metrics (if any)."""

    snapshot_month: str
    data: dict[str, Any]
    classifier: dict[str, Any]
    gains: list[dict[str, Any]]
    calibration: list[dict[str, Any]]
    segments: dict[str, Any]
    migration: list[dict[str, Any]]
    score: dict[str, Any]
    audience: list[dict[str, Any]]
    figures: dict[str, str]
    gates: dict[str, float]
    drift_warn_psi: float
    reference: dict[str, dict[str, Any]] = field(default_factory=dict)
    target_description: str = "bought within 30 days"  # data.target_description: the label in words
    labelled_scored: bool = False  # no separate scoring population: the labelled customers were scored
    export: dict[str, Any] = field(default_factory=dict)  # reports/details/score.json: groups of the export
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # every metrics file, for the quality bars
    campaign: dict[str, Any] | None = None  # the last campaign's readout (intentseg.evaluation.campaign)
    decision: DecisionConfig | None = None  # train_classifier.decision: for the rule in business terms

    @property
    def period(self) -> str:
        """The snapshot the run describes: the snapshot date of a table with dates, else the month."""
        return self.data.get("snapshot_date", self.snapshot_month)


def report_figure_links(report_path: str, figure_paths: dict[str, dict[str, str]]) -> dict[str, str]:
    """Figure paths relative to the report's folder, keyed ``<group>_<name>`` and, for the classifier, ``<name>``."""
    folder = Path(report_path).parent
    links = {}
    for group, figures in figure_paths.items():
        for name, path in figures.items():
            relative = Path(os.path.relpath(Path(path), folder)).as_posix()
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
}


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _model_quality(inputs: ReportInputs) -> list[str]:
    test, baseline = inputs.classifier["test"], inputs.classifier["baseline"]
    base_rate = inputs.data["positive_rate"]
    lines = [
        f"## 1. How well does the model find the customers who {inputs.target_description}?",
        "",
        f"On customers the model never saw ({_count(inputs.classifier['test_rows'])} held-out customers), "
        f"{_pct(base_rate, 1)} {inputs.target_description}. Among the 10% the model ranks highest, "
        f"{_pct(base_rate * test['lift_top_decile'], 0)} did: **{test['lift_top_decile']:.1f} times** the average.",
        "",
        f"- Shown one buyer and one non-buyer at random, the model ranks the buyer higher "
        f"**{_pct(test['roc_auc'], 1)}** of the time (ROC-AUC {test['roc_auc']:.3f}; 50% would be guessing).",
        f"- The targeting rule ({inputs.classifier['decision_rule'].replace('_', ' ')}) selects "
        f"{_pct(test['targeted_share'])} of customers; {_pct(test['precision'])} of them buy, and they include "
        f"{_pct(test['recall'])} of all buyers (F1 {test['f1']:.3f}).",
        f"- A simple scorecard (logistic regression) ranks the buyer higher {_pct(baseline['roc_auc'], 1)} of the time.",
    ]
    if "oracle" in inputs.classifier:
        oracle = inputs.classifier["oracle"]
        lines.append(
            f"- Ceiling: with the simulator's true probabilities, a perfect model would reach {_pct(oracle['roc_auc'], 1)} "
            f"(F1 {oracle['f1']:.3f}); the model is {100 * inputs.classifier['gap_to_oracle']['roc_auc']:.1f} points below it."
        )
    return [*lines, "", f"![Cumulative gains]({inputs.figures['gains']})", ""]


def _gains_table(inputs: ReportInputs) -> list[str]:
    lines = [
        "## 2. Who to contact: share of buyers reached",
        "",
        "| contact the top ... | reaches this share of buyers | random choice would reach |",
        "|---|---|---|",
    ]
    for row in inputs.gains[:5]:
        lines.append(
            f"| {_pct(row['share_contacted'])} | **{_pct(row['buyers_reached_model'])}** | {_pct(row['share_contacted'])} |"
        )
    return [*lines, ""]


def _calibration(inputs: ReportInputs) -> list[str]:
    ece = inputs.classifier["test"]["ece"]
    top = inputs.calibration[-1]
    middle = inputs.calibration[len(inputs.calibration) // 2]
    return [
        "## 3. Can the probabilities be trusted?",
        "",
        f"Yes, as averages over groups of customers. Customers given about {_pct(middle['mean_probability'])} "
        f"bought {_pct(middle['observed_rate'])} of the time; the 10% given about {_pct(top['mean_probability'])} "
        f"bought {_pct(top['observed_rate'])} of the time. On average predicted and observed rates differ by "
        f"{100 * ece:.1f} points, so expected conversions can be added up for planning.",
        "",
        f"![Calibration]({inputs.figures['calibration']})",
        "",
    ]


def suggested_use(purchase_rate: float, base_rate: float, name: str) -> str:
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
    return use


def _k_origin(setup: dict[str, Any]) -> str:
    """Why there are this many segments, in words."""
    origin = setup.get("origin", {}).get("k", "configured")
    if origin != "automatic":
        if origin == "configured":
            return "the number set in params.yaml"
        return f"the number preset for the {origin.removeprefix('preset ')} source in params.yaml"
    rows = setup.get("k_selection") or []
    eligible = [row for row in rows if row["eligible"]]
    best = max((row["silhouette"] for row in eligible or rows), default=float("nan"))
    among = (
        "among the settings that are stable and have no tiny segment"
        if eligible
        else "(no setting met the stability and segment-size floors, so all were compared: treat with care)"
    )
    return (
        f"chosen automatically: the smallest number whose separation (silhouette) is within reach of the best "
        f"{best:.2f} {among}"
    )


def _segment_cards(inputs: ReportInputs) -> list[str]:
    base_rate = inputs.data["positive_rate"]
    lines = [
        "## 4. Customer segments",
        "",
        f"{inputs.segments['k']} segments ({_k_origin(inputs.segments.get('setup', {}))}) found from behaviour alone, "
        f"without using who bought "
        f"(purchase rates are attached afterwards). A segment is described by where its typical (median) "
        f"customer sits among all customers; each word of a name is backed by the numbers listed under it "
        f"(measured on held-out customers).",
        "",
    ]
    for segment_id, segment in inputs.segments["segments"].items():
        categories = ", ".join(
            f"{name.replace('_', ' ')}: {text}" for name, text in list(segment["top_categories"].items())[:2]
        )
        why = segment["traits"] or ["close to the typical customer on every described column"]
        lines += [
            f"**{segment_id}. {segment['name']}** ({_pct(segment['share'])} of customers)",
            f"- Why this name: {'; '.join(why)}",
            f"- Most common: {categories}",
            f"- Share who {inputs.target_description}: **{_pct(segment['purchase_rate'], 1)}** "
            f"(average {_pct(base_rate, 1)})"
            + "".join(
                f"; {name.replace('_', ' ')} {value:,.1f}"
                for name, value in segment.items()
                if name not in SEGMENT_KEYS and isinstance(value, (int, float))
            ),
            f"- Suggested use: {suggested_use(segment['purchase_rate'], base_rate, segment['name'])}",
            "",
        ]
        if segment.get("unsupported_words"):
            lines[-1:-1] = [
                f"- Note: on held-out customers the words {segment['unsupported_words']} are not borne out."
            ]
    if inputs.segments.get("renamed"):
        lines += ["Renamed this run:", ""]
        lines += [
            f'- Segment {item["segment"]}: "{item["from"]}" is now "{item["to"]}" ({item["reason"]}).'
            for item in inputs.segments["renamed"]
        ]
        lines.append("")
    silhouette, stability = inputs.segments["silhouette"]["mean"], inputs.segments["stability_ari"]
    lines += [
        f"How solid are they? Customers sit clearly closer to their own segment than to the next one "
        f"(silhouette {silhouette:.2f}; {inputs.gates.get('min_silhouette', 0):.2f} is the bar, 1 would be perfect "
        f"separation), and refitting on "
        f"resampled data gives the same segments (agreement {stability:.2f} on a 0-1 scale).",
        "",
        f"![Segment profiles]({inputs.figures['segments_profile']})",
        "",
    ]
    return lines


FIGURE_CAPTIONS = {
    "roc": "ROC curve (test)",
    "precision_recall": "Precision and recall (test)",
    "confusion": "Who the rule targets (test)",
    "importance": "What drives the predictions (mean absolute contribution, test)",
    "baseline_coefficients": "The logistic baseline's largest coefficients",
    "segments_k_sweep": "Choosing the number of segments",
    "segments_purchase_rate": "Label rate by segment (test)",
}


def _quality_bars(inputs: ReportInputs) -> list[str]:
    """The gates of params.yaml on this run, each with its 95% interval where there is one."""
    if not inputs.metrics:
        return []
    lines = [
        "## Quality bars",
        "",
        "| bar | required | this run | 95% interval | met |",
        "|---|---|---|---|---|",
    ]
    for row in gate_rows(inputs.metrics, None, inputs.gates):
        value = "n/a" if row.value is None else f"{row.value:.4g}"
        gate = GATES[row.gate]
        bounds = lookup(inputs.metrics.get(gate.source, {}), gate.interval) if gate.interval else None
        interval = f"{bounds[0]:.3f} to {bounds[1]:.3f}" if isinstance(bounds, list) and len(bounds) == 2 else ""
        met = "n/a" if row.passed is None else ("yes" if row.passed else "**no**")
        lines.append(f"| {row.description} | {row.bar} | {value} | {interval} | {met} |")
    return [*lines, ""]


def _campaign(inputs: ReportInputs) -> list[str]:
    """The last campaign's measured effect: contacted vs control, with the interval."""
    readout = inputs.campaign
    if not readout:
        return []
    contacted, control = readout["contacted"], readout["control"]
    low, high = readout["lift_interval"]
    verdict = (
        "contacting made a measurable difference"
        if low > 0
        else "contacting made customers less likely to convert"
        if high < 0
        else "the difference is within what chance alone could produce: no effect was shown"
    )
    return [
        "## The last campaign: measured effect",
        "",
        "| group | customers | converted | rate |",
        "|---|---|---|---|",
        f"| contacted | {_count(contacted['customers'])} | {_count(contacted['converted'])} | {_pct(contacted['rate'], 1)} |",
        f"| control (not contacted) | {_count(control['customers'])} | {_count(control['converted'])} | {_pct(control['rate'], 1)} |",
        "",
        f"Lift: **{100 * readout['lift']:+.1f} points** ({100 * low:+.1f} to {100 * high:+.1f}, "
        f"{readout['confidence']:.0%} interval): {verdict}. Estimated conversions added by contacting: about "
        f"{_count(readout['incremental_conversions'])} (the lift times the contacted customers).",
        "",
    ]


def _more_figures(inputs: ReportInputs) -> list[str]:
    """Every figure not shown in the sections above, so that the report carries all of them."""
    lines = ["## More figures", ""]
    for key, caption in FIGURE_CAPTIONS.items():
        if key in inputs.figures:
            lines += [f"![{caption}]({inputs.figures[key]})", ""]
    return lines


def _contact_plan(inputs: ReportInputs) -> list[str]:
    """The decision rule in business terms: whom to contact, expected buyers, the control group, profit."""
    export = inputs.export.get("export")
    if not export:
        return []
    target, control = export["target"], export["control"]
    lines = [
        "### The contact plan",
        "",
        f"`data/scores/audience.csv` (and its Parquet twin) lists the {_count(target['customers'] + control['customers'])} "
        f"exported customers, highest probability first, with decile, segment, reasons and group. "
        f"**Contact the {_count(target['customers'])} customers in group `target`**: about "
        f"**{_count(target['expected_buyers'])}** of them are expected to be customers who "
        f"{inputs.target_description} ({_pct(target['expected_rate'] or 0)}).",
    ]
    if control["customers"]:
        lines.append(
            f"Leave out the {_count(control['customers'])} in group `control` (a random {_pct(inputs.export.get('control_share', 0))} "
            f"of every decile, fixed for the month): about **{_count(control['expected_buyers'])}** of them "
            f"({_pct(control['expected_rate'] or 0)}) are expected to do so without contact. After the campaign, the "
            "difference between "
            "the two groups' rates is what contacting added; docs/scoring.md shows how to read it."
        )
    else:
        lines.append(
            "No control group is held out (`score.control_share: 0`): the campaign's effect cannot be measured."
        )
    examples = inputs.export.get("examples") or []
    if examples:
        lines += ["", "The first customers of the list, and why the model ranks them high:", ""]
        for example in examples:
            lines.append(
                f"- {_pct(example['purchase_probability'])}, {example['segment']}: " + "; ".join(example["reasons"])
            )
        lines.append("")
    decision = inputs.decision
    if decision is not None and decision.rule == "expected_profit":
        profit = (
            decision.margin_per_conversion * target["expected_buyers"] - decision.contact_cost * target["customers"]
        )
        lines.append(
            f"Expected profit of contacting the target group, if every expected buyer is credited to the contact: "
            f"{decision.margin_per_conversion:g} x {_count(target['expected_buyers'])} buyers - "
            f"{decision.contact_cost:g} x {_count(target['customers'])} contacts = **{profit:,.0f}** "
            "(an upper bound: the control group measures how many would have bought anyway)."
        )
    return [*lines, ""]


def _audience(inputs: ReportInputs) -> list[str]:
    score = inputs.score
    scored = "labelled customers scored (no separate population)" if inputs.labelled_scored else "customers scored"
    lines = [
        "## 5. The labelled customers, scored" if inputs.labelled_scored else "## 5. Today's audience",
        "",
        f"{_count(score['rows_scored'])} {scored} ({_count(score['rows_rejected'])} rejected for invalid data). "
        f"The rule selects **{_count(score['audience_size'])}** customers, of whom about "
        f"**{_count(score['expected_conversions'])}** are expected to be customers who {inputs.target_description}"
        + (
            f" ({_count(score['audience_exported'])} exported after the cap)."
            if score["audience_exported"] != score["audience_size"]
            else "."
        ),
        "",
        "| segment | customers in audience | expected buyers |",
        "|---|---|---|",
    ]
    for row in inputs.audience:
        lines.append(f"| {row['segment']} | {_count(row['audience_size'])} | {_count(row['expected_conversions'])} |")
    lines += ["", *_contact_plan(inputs)]
    if "score_segment_by_decile" in inputs.figures:
        lines += [f"![Customers by segment and propensity decile]({inputs.figures['score_segment_by_decile']})", ""]
    drift = score["drift"]
    lines += ["", "### Data drift", ""]
    if inputs.labelled_scored:
        lines.append(
            "Not applicable: the scored customers are the labelled table itself, so they cannot drift from it. "
            "Set data.population to the customers to score to monitor drift."
        )
    elif drift["flagged"]:
        lines.append(
            f"**Warning:** today's customers differ strongly from the training data on {', '.join(drift['flagged'])} "
            f"(PSI above the flag threshold). Check the data feed before using today's scores; retrain if it persists."
        )
    elif drift.get("warned"):
        lines.append(f"Moderate shift on {', '.join(drift['warned'])}: watch it. No feature is flagged.")
    else:
        lines.append(
            f"No drift: the largest population stability index is {drift['max_psi']:.3f} "
            f"({drift['worst_feature']}), below the {inputs.drift_warn_psi:g} warning level."
        )
    return [*lines, ""]


def _silhouette(segmenter_metrics: dict[str, Any]) -> float | None:
    """The mean silhouette of a segmenter metrics file (older reference files nest it as ``{"mean": ...}``)."""
    value = segmenter_metrics.get("silhouette")
    return value.get("mean") if isinstance(value, dict) else value


def _changes(inputs: ReportInputs) -> list[str]:
    lines = ["## 6. What changed since the reference run", ""]
    reference = inputs.reference
    if not reference:
        return [*lines, "No reference run is stored yet (`make promote` stores one).", ""]
    rows = [
        (
            "Model ROC-AUC (test)",
            reference.get("classifier", {}).get("test", {}).get("roc_auc"),
            inputs.classifier["test"]["roc_auc"],
            "{:.3f}",
        ),
        (
            "Model F1 (test)",
            reference.get("classifier", {}).get("test", {}).get("f1"),
            inputs.classifier["test"]["f1"],
            "{:.3f}",
        ),
        (
            "Segment silhouette",
            _silhouette(reference.get("segmenter", {})),
            inputs.segments["silhouette"]["mean"],
            "{:.3f}",
        ),
        ("Audience size", reference.get("score", {}).get("audience_size"), inputs.score["audience_size"], "{:,.0f}"),
        (
            "Expected buyers in audience",
            reference.get("score", {}).get("expected_conversions"),
            inputs.score["expected_conversions"],
            "{:,.0f}",
        ),
    ]
    lines += ["| measure | reference | now |", "|---|---|---|"]
    for label, before, now, fmt in rows:
        lines.append(f"| {label} | {fmt.format(before) if before is not None else 'n/a'} | {fmt.format(now)} |")
    if inputs.migration:
        stayed = inputs.segments.get("migration", {}).get("share_same_segment")
        lines += [
            "",
            f"Segment ids and names follow the reference segmentation; {_pct(stayed or 0)} of test customers "
            "are in the same segment as under the reference. Customers moving between segments:",
            "",
            "| from \\ to | " + " | ".join(sorted({r["to_segment"] for r in inputs.migration})) + " |",
            "|---|" + "---|" * len({r["to_segment"] for r in inputs.migration}),
        ]
        targets = sorted({r["to_segment"] for r in inputs.migration})
        for source in sorted({r["from_segment"] for r in inputs.migration}):
            counts = {r["to_segment"]: r["count"] for r in inputs.migration if r["from_segment"] == source}
            lines.append(f"| {source} | " + " | ".join(_count(counts.get(t, 0)) for t in targets) + " |")
    return [*lines, ""]


def build_report(inputs: ReportInputs) -> str:
    """The whole report as Markdown."""
    lines = [
        f"# Purchase intent and customer segments: {inputs.period}",
        "",
        f"Generated by the pipeline from {_count(inputs.data['rows'])} customers with known outcomes and "
        + (
            f"{_count(inputs.score['rows_in'])} labelled customers scored (no separate scoring population)."
            if inputs.labelled_scored
            else f"{_count(inputs.score['rows_in'])} customers scored today."
        )
        + " All figures come from this run's `metrics/` files.",
        "",
        *_model_quality(inputs),
        *_gains_table(inputs),
        *_calibration(inputs),
        *_segment_cards(inputs),
        *_audience(inputs),
        *_changes(inputs),
        *_campaign(inputs),
        *_quality_bars(inputs),
        *_more_figures(inputs),
        "See [docs/paradigms.md](../docs/paradigms.md) for how the two approaches compare and when to use which.",
        "",
    ]
    return "\n".join(lines)
