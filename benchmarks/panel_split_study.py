"""Study on the customer panel (issue 22): how many past months should train the model, and what optimism a
random split carries against the out-of-time split.

One panel at the default run month and sizes (240K labelled customers in each of five closed months,
1.2M registered), the pipeline's own training (``fit_purchase_model`` with ``train_classifier`` from
params.yaml) and its split (``split_labelled``):

* out of time with 1, 2 and 3 training months: test is the newest closed month, valid the one
  before, train the months before that;
* random: the same five months pooled, stratified 70/15/15 (a customer may sit in train and test at
  different months, as a random split of such a table allows).

Each variant reports test ROC-AUC and F1 (at the threshold chosen on valid), the oracle's on the same
test rows, and the training rows. Run: ``.venv/bin/python -m benchmarks.panel_split_study
[--population N --labelled N]``; writes ``benchmarks/results/panel_split_study.json``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd
import yaml

from benchmarks.common import REPO_ROOT, save
from intentseg.classifier.training import fit_purchase_model
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.data.panel_tables import SNAPSHOT_COLUMN, simulate_panel
from intentseg.data.shopsphere import ID_COLUMN, TARGET
from intentseg.data.split import split_labelled
from intentseg.foundation.metrics import classification_metrics, roc_auc

MONTHS = 5  # test, valid and up to three training months
FRACTIONS = {"train": 0.7, "valid": 0.15, "test": 0.15}  # the random split's (params.yaml split.fractions)


def _measure(parts: dict[str, pd.DataFrame], truth: pd.Series, config: TrainClassifierConfig) -> dict[str, Any]:
    trained = fit_purchase_model(parts["train"], parts["valid"], config, 42, ID_COLUMN, target=TARGET)
    test = parts["test"]
    metrics = classification_metrics(
        test[TARGET].to_numpy(), trained.model.purchase_probability(test), trained.model.decision.threshold
    )
    return {
        "train_rows": len(parts["train"]),
        "test_roc_auc": round(metrics["roc_auc"], 4),
        "test_f1": round(metrics["f1"], 4),
        "oracle_roc_auc": round(roc_auc(test[TARGET].to_numpy(), truth.to_numpy()), 4),
        "best_iteration": trained.summary.get("best_iteration"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", type=int, default=1_200_000)
    parser.add_argument("--labelled", type=int, default=240_000)
    args = parser.parse_args()
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    config = TrainClassifierConfig.from_params(params)
    panel = simulate_panel(42, "2026-11", args.labelled, args.population, MONTHS)
    table = panel.labelled
    keyed = table[[ID_COLUMN, SNAPSHOT_COLUMN]].merge(panel.ground_truth, on=[ID_COLUMN, SNAPSHOT_COLUMN])
    table = table.assign(_truth=keyed["true_probability"].to_numpy(), _row=np.arange(len(table)))
    results: dict[str, Any] = {"population": args.population, "labelled_per_month": args.labelled}
    for months in (1, 2, 3):
        split = split_labelled(
            table,
            TARGET,
            FRACTIONS,
            seed=42,
            id_column=ID_COLUMN,
            snapshot_column=SNAPSHOT_COLUMN,
            train_snapshots=months,
        )
        truth = split.parts["test"]["_truth"]
        parts = {name: part.drop(columns=["_truth", "_row"]) for name, part in split.parts.items()}
        results[f"out_of_time_{months}_months"] = {"snapshots": split.snapshots, **_measure(parts, truth, config)}
        print(months, results[f"out_of_time_{months}_months"], flush=True)
    pooled = table.drop(columns=[SNAPSHOT_COLUMN])
    split = split_labelled(pooled, TARGET, FRACTIONS, seed=42, id_column=ID_COLUMN)
    truth = split.parts["test"]["_truth"]
    parts = {name: part.drop(columns=["_truth", "_row"]) for name, part in split.parts.items()}
    results["random_5_months_pooled"] = _measure(parts, truth, config)
    print("random", results["random_5_months_pooled"], flush=True)
    print(f"saved {save('panel_split_study', results)}")


if __name__ == "__main__":
    main()
