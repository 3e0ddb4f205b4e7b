"""The campaign-ready export: sorted by probability, with deciles, reasons, groups and run stamps.

Two randomised samples make a campaign measurable and learnable (docs/scoring.md: the campaign's
design; :mod:`intentseg.uplift.design` draws them):

* the **audience** (``sample`` ``audience``): a share of it (``score.control_share``) is flagged
  ``control`` and not contacted, so that conversion in target vs control after the campaign is its
  incremental effect (docs/scoring.md: reading a campaign result);
* the **exploration sample** (``sample`` ``exploration``): ``score.exploration_share`` of every
  propensity decile of all scored customers, half contacted and half held out, so that the effect
  of a contact can be learned where propensity targeting would never contact anyone.

Both are drawn from hashes of the customer id and the snapshot month: the same inputs always give
the same groups, a new month gives a new split, and no state is kept between runs. Shares are
exact in every decile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.config.classifier import DecisionConfig
from intentseg.uplift.design import AUDIENCE, EXPLORATION, assign_contacts

CONTROL, TARGET = "control", "target"


@dataclass(frozen=True)
class ExportStamp:
    """What every exported row carries besides its scores and model versions: the date and the month."""

    run_date: str
    snapshot_month: str


def member_columns(id_column: str, top_k: int, with_effect: bool = False) -> list[str]:
    """The scored columns the export takes from the final scores (the predicted effect with an uplift model)."""
    reasons = [f"reason_{i + 1}" for i in range(top_k)]
    effect = ["contact_effect", "effect_decile"] if with_effect else []
    return [id_column, "purchase_probability", "propensity_decile", *effect, "segment_id", "segment_name", *reasons]


def export_columns(id_column: str, top_k: int, with_effect: bool = False) -> list[str]:
    """The audience export's columns, in order."""
    stamps = ["group", "sample", "run_date", "snapshot_month", "classifier_version", "segmenter_version"]
    return [*member_columns(id_column, top_k, with_effect), *stamps]


def audience_export(
    members: pd.DataFrame,
    id_column: str,
    top_k: int,
    control_share: float,
    stamp: ExportStamp,
    *,
    order_by: str = "purchase_probability",
) -> pd.DataFrame:
    """The exported audience and exploration sample: highest ``order_by`` first (the probability, or the
    predicted effect under uplift targeting; ties by id), each row with its group (``target``: contact,
    ``control``: hold out), its sample and stamps.

    ``members`` flag the audience the export takes (``targeted``) and the exploration sample
    (``explored``); :func:`intentseg.uplift.design.assign_contacts` draws who is contacted. Ids are
    text; every column is a plain type a spreadsheet reads as is.

    The definition in one frame: the score stage writes the same rows without holding them
    (:mod:`intentseg.scoring.export_files`), and a test compares its files with this frame's, byte for byte.
    """
    frame = members.reset_index(drop=True).copy()
    frame[id_column] = frame[id_column].astype(str)
    plan = assign_contacts(
        frame[id_column],
        frame["propensity_decile"].to_numpy(),
        frame["targeted"].to_numpy(dtype=bool),
        frame["explored"].to_numpy(dtype=bool),
        month=stamp.snapshot_month,
        control_share=control_share,
    )
    frame["group"] = np.where(plan["contacted"].to_numpy() == 1, TARGET, CONTROL)
    frame["sample"] = np.where(frame["explored"].to_numpy(dtype=bool), EXPLORATION, AUDIENCE)
    frame["run_date"] = stamp.run_date
    frame["snapshot_month"] = stamp.snapshot_month
    frame = frame.sort_values([order_by, id_column], ascending=[False, True], kind="stable")
    return frame[export_columns(id_column, top_k, "contact_effect" in frame.columns)].reset_index(drop=True)


def export_summary(export: pd.DataFrame) -> dict[str, Any]:
    """The audience's groups (size, expected buyers: the campaign's counterfactual) and control share per
    decile, and the exploration sample's contacted and held-out customers."""
    audience, explored = (export[export["sample"] == sample] for sample in (AUDIENCE, EXPLORATION))
    summary: dict[str, Any] = _group_sizes(audience)
    shares = audience.groupby("propensity_decile")["group"].apply(lambda values: float((values == CONTROL).mean()))
    summary["control_share_by_decile"] = {str(int(decile)): share for decile, share in shares.items()}
    summary["exploration"] = _group_sizes(explored)
    return summary


def _group_sizes(rows: pd.DataFrame) -> dict[str, Any]:
    by_group = rows.groupby("group")["purchase_probability"].agg(["size", "sum"])
    sizes: dict[str, Any] = {}
    for group in (TARGET, CONTROL):
        size, expected = by_group.loc[group] if group in by_group.index else (0, 0.0)
        sizes[group] = {
            "customers": int(size),
            "expected_buyers": float(expected),
            "expected_rate": float(expected / size) if size else None,
        }
    return sizes


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
    """The export split by segment: file name (``segment_<id>.csv``) -> rows, in export order (the definition the
    streamed per-segment files of :mod:`intentseg.scoring.export_files` are tested against)."""
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
