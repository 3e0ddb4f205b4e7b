"""The campaign-ready audience export: sorted by probability, with deciles, reasons, a control group and run stamps.

A random control group makes a campaign measurable: a share of the audience (``score.control_share``)
is flagged ``control`` and not contacted, so that conversion in target vs control after the
campaign is its incremental effect (docs/scoring.md: reading a campaign result). The split is
drawn from a hash of the customer id and the snapshot month: the same inputs always give the same
groups, a new month gives a new split, and no state is kept between runs. It is stratified by
propensity decile: in each decile, the ``round(share x customers)`` audience members with the
smallest hash are the control (so every decile holds the share exactly, and a customer keeps
their group all month unless their decile changes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.config.classifier import DecisionConfig

CONTROL, TARGET = "control", "target"


@dataclass(frozen=True)
class ExportStamp:
    """What every exported row carries besides its scores and model versions: the date and the month."""

    run_date: str
    snapshot_month: str


def group_draw(ids: pd.Series, month: str) -> np.ndarray:
    """A number in [0, 1) per customer, fixed by the id and the month (SHA-256, no random state)."""
    digests = b"".join(hashlib.sha256(f"{month}|{value}".encode()).digest()[:8] for value in ids.astype(str))
    return np.frombuffer(digests, dtype=">u8").astype(np.float64) / 2.0**64


def assign_groups(ids: pd.Series, deciles: np.ndarray, month: str, control_share: float) -> np.ndarray:
    """``control`` for ``round(control_share x n)`` members of each decile (smallest draws), else ``target``."""
    groups = np.full(len(ids), TARGET, dtype=object)
    if control_share <= 0 or len(ids) == 0:
        return groups
    draw = group_draw(ids.reset_index(drop=True), month)
    deciles = np.asarray(deciles)
    for decile in np.unique(deciles):
        members = np.flatnonzero(deciles == decile)
        quota = int(round(control_share * len(members)))
        chosen = members[np.argsort(draw[members], kind="stable")[:quota]]
        groups[chosen] = CONTROL
    return groups


def member_columns(id_column: str, top_k: int) -> list[str]:
    """The scored columns the export takes from the final scores."""
    reasons = [f"reason_{i + 1}" for i in range(top_k)]
    return [id_column, "purchase_probability", "propensity_decile", "segment_id", "segment_name", *reasons]


def export_columns(id_column: str, top_k: int) -> list[str]:
    """The audience export's columns, in order."""
    stamps = ["group", "run_date", "snapshot_month", "classifier_version", "segmenter_version"]
    return [*member_columns(id_column, top_k), *stamps]


def audience_export(
    members: pd.DataFrame, id_column: str, top_k: int, control_share: float, stamp: ExportStamp
) -> pd.DataFrame:
    """The exported audience: highest probability first (ties by id), each row with its group and stamps.

    Ids are text; every column is a plain type a spreadsheet reads as is.
    """
    frame = members.reset_index(drop=True).copy()
    frame[id_column] = frame[id_column].astype(str)
    deciles = frame["propensity_decile"].to_numpy()
    frame["group"] = assign_groups(frame[id_column], deciles, stamp.snapshot_month, control_share)
    frame["run_date"] = stamp.run_date
    frame["snapshot_month"] = stamp.snapshot_month
    frame = frame.sort_values(["purchase_probability", id_column], ascending=[False, True], kind="stable")
    return frame[export_columns(id_column, top_k)].reset_index(drop=True)


def export_summary(export: pd.DataFrame) -> dict[str, Any]:
    """Group sizes and expected buyers in target and control (the campaign's counterfactual), and per decile."""
    by_group = export.groupby("group")["purchase_probability"].agg(["size", "sum"])
    summary: dict[str, Any] = {}
    for group in (TARGET, CONTROL):
        size, expected = by_group.loc[group] if group in by_group.index else (0, 0.0)
        summary[group] = {
            "customers": int(size),
            "expected_buyers": float(expected),
            "expected_rate": float(expected / size) if size else None,
        }
    shares = export.groupby("propensity_decile")["group"].apply(lambda values: float((values == CONTROL).mean()))
    summary["control_share_by_decile"] = {str(int(decile)): share for decile, share in shares.items()}
    return summary


def export_examples(export: pd.DataFrame, id_column: str, count: int = 3) -> list[dict[str, Any]]:
    """The first ``count`` target rows of the export (highest probabilities), as the report shows them."""
    rows = export[export["group"] == TARGET].head(count)
    reasons = [name for name in export.columns if name.startswith("reason_")]
    return [
        {
            "id": str(row[id_column]),
            "purchase_probability": float(row["purchase_probability"]),
            "segment": f"{int(row['segment_id'])}: {row['segment_name']}",
            "reasons": [str(row[name]) for name in reasons if isinstance(row[name], str)],
        }
        for _, row in rows.iterrows()
    ]


def per_segment_files(export: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The export split by segment: file name (``segment_<id>.csv``) -> rows, in export order."""
    return {
        f"segment_{int(segment)}.csv": rows.reset_index(drop=True)
        for segment, rows in export.groupby("segment_id", sort=True)
    }


def stamped_scores(scores: Iterable[pd.DataFrame], stamp: ExportStamp) -> Iterator[pd.DataFrame]:
    """Scores chunks with the export's run date and snapshot month (for a database sink of every score)."""
    for chunk in scores:
        yield chunk.assign(run_date=stamp.run_date, snapshot_month=stamp.snapshot_month)


def expected_profit(target: dict[str, Any], decision: DecisionConfig | None) -> dict[str, float] | None:
    """Under ``decision.rule: expected_profit``: the margin, the cost and the campaign's expected profit
    (margin x expected buyers - cost x contacted customers) of the export's target group; else None."""
    if decision is None or decision.rule != "expected_profit":
        return None
    value = decision.margin_per_conversion * target["expected_buyers"] - decision.contact_cost * target["customers"]
    return {"margin": decision.margin_per_conversion, "cost": decision.contact_cost, "value": value}
