"""The campaign-ready export: order, columns, the control group (share, strata, stability), summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.scoring.export import (
    CONTROL,
    ExportStamp,
    audience_export,
    export_columns,
    export_summary,
    per_segment_files,
)
from intentseg.uplift.design import assign_contacts


def members(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    probability = rng.random(n)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:08d}" for i in range(n)],
            "purchase_probability": probability,
            "propensity_decile": (1 + np.argsort(np.argsort(-probability)) * 10 // n).astype("int8"),
            "segment_id": rng.integers(1, 4, n),
            "segment_name": "some segment",
            "reason_1": "last ordered 3 days ago: raises the chance",
            "classifier_version": "c1",
            "segmenter_version": "s1",
            "targeted": True,
            "explored": False,
        }
    )


def assign_groups(ids: pd.Series, deciles: np.ndarray, month: str, share: float) -> np.ndarray:
    """The audience's groups as the export draws them (everyone in the audience, nobody explored)."""
    everyone, nobody = np.ones(len(ids), dtype=bool), np.zeros(len(ids), dtype=bool)
    plan = assign_contacts(ids, deciles, everyone, nobody, month=month, control_share=share)
    return np.where(plan["contacted"].to_numpy() == 1, "target", CONTROL)


def test_export_is_sorted_stamped_and_spreadsheet_ready():
    export = audience_export(members(2000), "customer_id", 1, 0.1, ExportStamp("2026-11-28", "2026-11"))
    assert list(export.columns) == export_columns("customer_id", 1)
    assert export["purchase_probability"].is_monotonic_decreasing
    assert (export["run_date"] == "2026-11-28").all() and (export["snapshot_month"] == "2026-11").all()
    assert export["customer_id"].iloc[-1].startswith("0") and export["customer_id"].map(type).eq(str).all()
    assert set(export["group"]) == {"target", "control"} and (export["sample"] == "audience").all()


def test_the_exploration_sample_is_exported_half_contacted_beside_the_audience():
    frame = members(4000, seed=5)
    frame["targeted"] = frame["propensity_decile"] <= 3
    frame["explored"] = np.arange(4000) % 20 == 0
    frame = frame[frame["targeted"] | frame["explored"]]
    export = audience_export(frame, "customer_id", 1, 0.1, ExportStamp("2026-11-28", "2026-11"))
    explored = export[export["sample"] == "exploration"]
    assert len(explored) == 200 and len(export) == len(frame)
    for decile, rows in explored.groupby("propensity_decile"):
        assert (rows["group"] == "target").sum() == round(len(rows) / 2), decile
    summary = export_summary(export)
    assert summary["exploration"]["target"]["customers"] + summary["exploration"]["control"]["customers"] == 200
    assert summary["target"]["customers"] + summary["control"]["customers"] == len(export) - 200


@pytest.mark.parametrize("share", [0.1, 0.25])
def test_control_share_is_exact_in_every_decile(share):
    frame = members(5000, seed=1)
    groups = assign_groups(frame["customer_id"], frame["propensity_decile"].to_numpy(), "2026-11", share)
    for decile, rows in frame.groupby("propensity_decile"):
        assert (groups[rows.index] == CONTROL).sum() == round(share * len(rows)), decile


def test_control_group_is_stable_within_a_month_and_changes_across_months():
    frame = members(5000, seed=2)
    deciles = frame["propensity_decile"].to_numpy()
    november = assign_groups(frame["customer_id"], deciles, "2026-11", 0.1)
    again = assign_groups(frame["customer_id"].iloc[::-1].reset_index(drop=True), deciles[::-1], "2026-11", 0.1)
    assert np.array_equal(november, again[::-1])  # same customers, any order: same groups
    december = assign_groups(frame["customer_id"], deciles, "2026-12", 0.1)
    overlap = ((november == CONTROL) & (december == CONTROL)).sum() / (november == CONTROL).sum()
    assert overlap < 0.25  # a new month draws a new control group (about 10% overlap by chance)
    assert (assign_groups(frame["customer_id"], deciles, "2026-11", 0.0) != CONTROL).all()


def test_summary_and_per_segment_files():
    export = audience_export(members(3000, seed=3), "customer_id", 1, 0.1, ExportStamp("2026-11-01", "2026-11"))
    summary = export_summary(export)
    assert summary["target"]["customers"] + summary["control"]["customers"] == 3000
    assert summary["control"]["expected_buyers"] == pytest.approx(
        export.loc[export["group"] == CONTROL, "purchase_probability"].sum()
    )
    assert all(share == pytest.approx(0.1, abs=0.002) for share in summary["control_share_by_decile"].values())
    files = per_segment_files(export)
    assert sorted(files) == ["segment_1.csv", "segment_2.csv", "segment_3.csv"]
    assert sum(len(rows) for rows in files.values()) == 3000
    assert all(rows["purchase_probability"].is_monotonic_decreasing for rows in files.values())


def test_campaign_readout_finds_the_simulators_true_effect():
    from intentseg.data.campaign_simulator import simulate_campaign
    from intentseg.data.simulator import simulate_customers
    from intentseg.evaluation.campaign import campaign_readout

    truth = simulate_customers(40_000, 5, "2026-11", labelled=True).ground_truth
    deciles = (1 + np.argsort(np.argsort(-truth["true_probability"].to_numpy())) * 10 // len(truth)).astype(int)
    groups = assign_groups(truth["customer_id"].astype(str), deciles, "2026-11", 0.5)
    covered = []
    for seed, uplift in enumerate([0.0, 0.03, 0.08]):
        result = simulate_campaign(truth["customer_id"], truth["true_probability"], groups != CONTROL, uplift, seed)
        readout = campaign_readout(result, 0.95)
        low, high = readout["lift_interval"]
        covered.append(low <= uplift <= high)
        assert readout["contacted"]["customers"] + readout["control"]["customers"] == 40_000
        assert high - low < 0.02  # 20,000 per group: the effect is measured to about one point
    assert all(covered)


def test_campaign_readout_refuses_bad_files():
    from intentseg.evaluation.campaign import campaign_readout
    from intentseg.foundation.errors import DataContractError

    with pytest.raises(DataContractError, match="missing \\['converted'\\]"):
        campaign_readout(pd.DataFrame({"customer_id": ["1"], "contacted": [1]}), 0.95)
    with pytest.raises(DataContractError, match="rule 'yes_or_no' broken by 1 row"):
        campaign_readout(pd.DataFrame({"contacted": ["yes", "maybe"], "converted": [1, 0]}), 0.95)
    with pytest.raises(DataContractError, match="both groups are needed"):
        campaign_readout(pd.DataFrame({"contacted": [1, 1], "converted": [1, 0]}), 0.95)


def test_the_contact_plan_states_the_rule_in_business_terms():
    from types import SimpleNamespace

    from intentseg.config.classifier import DecisionConfig
    from intentseg.reporting.report import contact_plan_text

    export = audience_export(members(1000, seed=4), "customer_id", 1, 0.1, ExportStamp("2026-11-01", "2026-11"))
    details = {"export": export_summary(export), "control_share": 0.1}
    rule = DecisionConfig(rule="expected_profit", top_fraction=0.2, contact_cost=1.0, margin_per_conversion=10.0)
    inputs = SimpleNamespace(export=details, decision=rule, target_description="bought within 30 days")
    text = contact_plan_text(inputs)
    target = details["export"]["target"]
    assert f"Contact the {target['customers']:,} customers in group `target`" in text
    assert f"Leave out the {details['export']['control']['customers']:,} in group `control`" in text
    assert f"**{10 * target['expected_buyers'] - target['customers']:,.0f}**" in text  # expected profit
    no_control = {"export": export_summary(audience_export(members(100), "customer_id", 1, 0.0, ExportStamp("x", "m")))}
    assert "cannot be measured" in contact_plan_text(
        SimpleNamespace(export=no_control, decision=None, target_description="x")
    )


def test_expected_profit_of_the_target_group():
    from intentseg.config.classifier import DecisionConfig
    from intentseg.scoring.export import expected_profit

    target = {"expected_buyers": 120.0, "customers": 1000}
    rule = DecisionConfig(rule="expected_profit", top_fraction=0.2, contact_cost=1.0, margin_per_conversion=10.0)
    assert expected_profit(target, rule) == {"margin": 10.0, "cost": 1.0, "value": 200.0}
    assert expected_profit(target, rule.model_copy(update={"rule": "max_f1"})) is None
    assert expected_profit(target, None) is None
