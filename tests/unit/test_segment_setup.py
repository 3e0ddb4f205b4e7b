"""Automatic set-up for a new table: feature choice, transforms, k, profile columns, and the whole fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.config.check import section_config
from intentseg.foundation.errors import ConfigError
from intentseg.segments.k_rule import choose_k
from intentseg.segments.preprocessing import SegmentPreprocessor
from intentseg.segments.setup import choose_features, plan_segmentation
from intentseg.segments.training import fit_segment_model, segmenter_for
from tests.conftest import default_params


@pytest.fixture(scope="module")
def config(repo_root):
    return section_config(default_params(repo_root), "train_segmenter")


def messy_table(rows: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Negative, skewed, constant, duplicate-like, mostly missing and high-cardinality columns."""
    rng = np.random.default_rng(seed)
    spend = np.exp(rng.normal(3, 1.2, rows))
    return pd.DataFrame(
        {
            "member": [f"M{i}" for i in range(rows)],
            "label": rng.integers(0, 2, rows),
            "balance": np.where(
                rng.random(rows) < 0.3, -np.exp(rng.normal(4, 1, rows)), np.exp(rng.normal(2, 1.5, rows))
            ),
            "spend": spend,
            "spend_eur": spend * 0.92 + rng.normal(0, 0.01, rows),  # the same information again
            "visits": rng.poisson(3, rows).astype(float),
            "country": np.full(rows, 1.0),  # constant
            "survey_score": np.where(rng.random(rows) < 0.7, np.nan, rng.normal(5, 1, rows)),  # mostly missing
            "plan": rng.choice(["free", "plus", "pro"], rows, p=[0.6, 0.3, 0.1]),
            "city": [f"city_{i}" for i in rng.integers(0, 100, rows)],
        }
    )


def test_features_auto_skips_constant_duplicate_missing_and_high_cardinality_columns(config):
    chosen = choose_features(messy_table(), {"member", "label"}, config.auto_features)
    assert "balance" in chosen["numeric"] and "visits" in chosen["numeric"]
    assert len({"spend", "spend_eur"} & set(chosen["numeric"])) == 1
    assert not {"country", "survey_score"} & set(chosen["numeric"])
    assert chosen["categorical"] == ["plan"]
    assert (
        "rank correlation" in " ".join(chosen["skipped"].values()) and "near-constant" in chosen["skipped"]["country"]
    )
    assert "levels" in chosen["skipped"]["city"] and "missing" in chosen["skipped"]["survey_score"]
    assert "balance" in chosen["log1p"] and "visits" not in chosen["log1p"]  # skewed columns only


def test_negative_values_are_not_merged_with_zero(config):
    frame = messy_table()
    prep = SegmentPreprocessor(
        numeric=["balance"], categorical=[], log1p=["balance"], clip_quantiles=(0.0, 1.0), scaling="standard"
    ).fit(frame)
    scaled, _ = prep.transform(pd.DataFrame({"balance": [-500.0, 0.0, 500.0]}))
    assert scaled[0, 0] < scaled[1, 0] < scaled[2, 0]


def blobs(rows_per_blob: int = 1500, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8]])
    parts = [
        pd.DataFrame(rng.normal(centre, 1.0, size=(rows_per_blob, 3)), columns=["a", "b", "c"]).assign(
            tier=np.where(rng.random(rows_per_blob) < 0.9, f"t{index}", "t0")
        )
        for index, centre in enumerate(centres)
    ]
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(member=np.arange(len(frame)), label=0)


def test_k_auto_finds_the_known_number_of_groups(config):
    frame = blobs()
    settings = config.model_copy(update={"n_init": 2, "auto_k": config.auto_k.model_copy(update={"sample_size": 2000})})
    plan = plan_segmentation(settings, "my_table.csv", frame, {"member", "label"})
    assert plan.k is None and set(plan.numeric) == {"a", "b", "c"} and plan.origin["features"] == "automatic"
    chosen, table = choose_k(segmenter_for(plan, settings, seed=3, k=2), frame, settings.auto_k, seed=3)
    assert chosen == 4, table
    assert {row["k"] for row in table} == set(settings.auto_k.candidates)


def test_a_new_table_needs_no_segmentation_settings(config):
    frame = messy_table()
    settings = config.model_copy(
        update={"n_init": 2, "auto_k": config.auto_k.model_copy(update={"sample_size": 1500, "candidates": (2, 3, 4)})}
    )
    model, summary = fit_segment_model(
        frame, settings, 7, "label", "member", source="data/raw/table.csv", reference=None
    )
    assert summary["setup"]["origin"] == {**summary["setup"]["origin"], "features": "automatic", "k": "automatic"}
    assert summary["k"] in (2, 3, 4) and len(summary["setup"]["k_selection"]) == 3
    assert "plan" in model.features and "city" not in model.features
    profile = model.info["profile"]
    assert (
        profile["outcomes"] == {"purchase_rate": "label"} and len(profile["numeric"]) + len(profile["categorical"]) > 2
    )
    assert len(set(model.names)) == len(model.names)


def test_a_preset_is_used_for_its_source_only(config, small_splits):
    plan = plan_segmentation(config, "simulator", small_splits["train"], {"customer_id", "purchased_next_30d"})
    assert plan.origin == {"features": "preset simulator", "k": "preset simulator"} and plan.k == 5
    with pytest.raises(ConfigError, match="not in the table"):
        plan_segmentation(
            config.model_copy(update={"features": config.presets["simulator"].features, "log1p": ()}),
            "other.csv",
            messy_table(),
            {"member", "label"},
        )
