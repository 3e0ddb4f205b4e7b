"""The campaign-ready export: order, columns, the control group (share, strata, stability), summaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from intentseg.config.paths import ScoresPaths
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


def hostile_members(n: int, seed: int) -> pd.DataFrame:
    """Members as pass 2 writes them: ties in probability (broken by id), hostile reasons, both samples, an effect."""
    frame = members(n, seed)
    rng = np.random.default_rng(seed)
    frame["purchase_probability"] = np.round(frame["purchase_probability"], 2)  # many ties
    frame.insert(3, "contact_effect", np.round(rng.normal(0, 0.05, n), 3))
    frame.insert(4, "effect_decile", rng.integers(1, 11, n).astype("int8"))
    frame["reason_1"] = pd.array(rng.choice(["=1+2", "a, b", 'say "hi"', "plain", None], n), dtype="string")
    frame["segment_name"] = pd.Categorical(rng.choice(["@loyal", "new, curious"], n))
    frame["targeted"] = rng.random(n) < 0.8
    frame["explored"] = ~frame["targeted"] | (rng.random(n) < 0.05)
    frame.loc[frame["explored"], "targeted"] = False
    return frame


def export_paths(folder: Path) -> ScoresPaths:
    """The score stage's outputs in ``folder`` (the export's three, and two it does not write)."""
    names = ("scores.parquet", "audience.csv", "audience.parquet", "by_segment", "rejects.parquet")
    fields = ("scores", "audience", "audience_parquet", "audience_by_segment", "rejects")
    return ScoresPaths(**{field: str(folder / name) for field, name in zip(fields, names)})


@pytest.mark.parametrize("bucket_rows", [100_000, 7])
@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("order_by", ["purchase_probability", "contact_effect"])
@pytest.mark.parametrize("by_arrow", [True, False])
def test_the_streamed_export_writes_the_whole_exports_bytes(
    tmp_path, monkeypatch, bucket_rows, parts, order_by, by_arrow
):
    """Members on disk (one file, or a folder of part files as Dask writes them), moved to buckets of ranks and
    written part by part, give the CSV, Parquet and per-segment files of the export frame written whole (the
    segments' lines taken from the export's, or, when pandas wrote those, formatted again)."""
    from intentseg.foundation import csv_for_people
    from intentseg.foundation.io import OutputGroup, write_csv, write_csv_folder, write_parquet
    from intentseg.scoring import export_files
    from intentseg.scoring.export import export_examples

    monkeypatch.setattr(export_files, "BUCKET_ROWS", bucket_rows)
    if not by_arrow:
        monkeypatch.setattr(csv_for_people, "_csv_lines", lambda frame: None)
    frame, stamp = hostile_members(200, seed=parts), ExportStamp("2026-11-28", "2026-11")
    whole = audience_export(frame, "customer_id", 1, 0.2, stamp, order_by=order_by)
    expected = tmp_path / "expected"
    expected.mkdir()
    with OutputGroup() as group:
        protected = write_csv(whole, expected / "audience.csv", group)
        write_parquet(whole, expected / "audience.parquet", group)
        write_csv_folder(per_segment_files(whole), expected / "by_segment", group)
    members_path = tmp_path / ("members" if parts > 1 else "members.parquet")
    if parts > 1:
        members_path.mkdir()
        for number, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
            frame.iloc[rows].to_parquet(members_path / f"part-{number:05d}.parquet", index=False)
    else:
        frame.to_parquet(members_path, index=False)
    out = export_paths(tmp_path)
    with OutputGroup() as group:
        written = export_files.written_export(
            members_path, out, group, stamp=stamp, id_column="customer_id", top_k=1, order_by=order_by,
            control_share=0.2, per_segment=True,
        )  # fmt: skip
    assert (tmp_path / "audience.csv").read_bytes() == (expected / "audience.csv").read_bytes()
    assert pq.read_table(tmp_path / "audience.parquet").equals(pq.read_table(expected / "audience.parquet"))
    if bucket_rows > len(frame):  # one bucket: one row group, as the frame written whole
        assert (tmp_path / "audience.parquet").read_bytes() == (expected / "audience.parquet").read_bytes()
    files = sorted(path.name for path in (expected / "by_segment").iterdir())
    assert sorted(path.name for path in (tmp_path / "by_segment").iterdir()) == files and len(files) == 3
    for name in files:
        assert (tmp_path / "by_segment" / name).read_bytes() == (expected / "by_segment" / name).read_bytes()
    assert written.summary == export_summary(whole) and written.examples == export_examples(whole, "customer_id")
    assert written.protected == protected and written.rows == len(frame) and not members_path.exists()


@pytest.mark.parametrize("per_segment", [True, False])
def test_an_empty_streamed_export_and_no_per_segment_files(tmp_path, per_segment):
    """No member: the header alone and an empty Parquet file, as the empty frame writes them; the folder says why."""
    from intentseg.foundation.io import OutputGroup, write_csv, write_parquet
    from intentseg.scoring.export_files import written_export

    frame, stamp = hostile_members(20, seed=4), ExportStamp("2026-11-28", "2026-11")
    whole = audience_export(frame.iloc[:0], "customer_id", 1, 0.2, stamp)
    write_csv(whole, tmp_path / "expected.csv")
    write_parquet(whole, tmp_path / "expected.parquet")
    source = frame if not per_segment else frame.iloc[:0]
    source.to_parquet(tmp_path / "members.parquet", index=False)
    out = export_paths(tmp_path)
    with OutputGroup() as group:
        written = written_export(
            tmp_path / "members.parquet", out, group, stamp=stamp, id_column="customer_id", top_k=1,
            order_by="purchase_probability", control_share=0.2, per_segment=per_segment,
        )  # fmt: skip
    note = (tmp_path / "by_segment" / "README.txt").read_text()
    if per_segment:  # nobody to export
        assert (tmp_path / "audience.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()
        table, expected = (pq.read_table(tmp_path / name) for name in ("audience.parquet", "expected.parquet"))
        assert table.column_names == expected.column_names and table.num_rows == 0
        assert written.rows == 0 and written.examples == [] and note == "No per-segment files: the export is empty.\n"
    else:
        assert written.rows == 20 and "per_segment is false" in note
    assert sorted(path.name for path in (tmp_path / "by_segment").iterdir()) == ["README.txt"]
