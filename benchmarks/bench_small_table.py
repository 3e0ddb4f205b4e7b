"""Benchmark the small-table path: test ROC-AUC of holdout vs k-fold CV on 2,240-row simulated tables.

For each of several seeds, simulates a 2,240-customer labelled table (the size of a public
marketing-campaign table), splits it 70/15/15 like the pipeline and fits the purchase model
three ways: the holdout path (train on train, choose on valid's ~60 buyers), the
cross-validated path (``train_classifier.cross_validation``, the default for such a table), and
a plain LightGBM with library defaults fitted on train+valid. Reports the medians and the
median paired difference CV - holdout; test customers are never used for any choice.
Run: `.venv/bin/python -m benchmarks.bench_small_table [--seeds N] [--rows N]`.
"""

from __future__ import annotations

import argparse
import logging
import time

import lightgbm as lgb
import numpy as np
import pandas as pd

from benchmarks.common import save
from benchmarks.workloads import default_params
from intentseg.classifier.training import fit_purchase_model
from intentseg.config.check import section_config
from intentseg.data.simulator import simulate_customers
from intentseg.data.split import stratified_split
from intentseg.foundation.metrics import best_f1, roc_auc

ID, TARGET = "customer_id", "purchased_next_30d"


def compare(rows: int, seed: int) -> dict[str, float]:
    """Test ROC-AUC (and F1 at the chosen threshold) of the three fits on one simulated table."""
    config = section_config(default_params(), "train_classifier")
    table = simulate_customers(rows, 1000 + seed, "2026-11", labelled=True).features
    parts = stratified_split(table, TARGET, {"train": 0.7, "valid": 0.15, "test": 0.15}, seed)
    test = parts["test"]
    holdout = config.model_copy(
        update={"cross_validation": config.cross_validation.model_copy(update={"below_valid_positives": 0})}
    )
    result: dict[str, float] = {}
    for name, settings in (("holdout", holdout), ("cross_validation", config)):
        start = time.perf_counter()
        model = fit_purchase_model(parts["train"], parts["valid"], settings, seed, ID, target=TARGET).model
        result[f"{name}_seconds"] = time.perf_counter() - start
        probability = model.purchase_probability(test)
        result[f"{name}_roc_auc"] = roc_auc(test[TARGET], probability)
        chosen = model.decision.select(probability)
        hits = float((chosen & (test[TARGET] == 1)).sum())
        result[f"{name}_f1"] = 2 * hits / max(float(chosen.sum() + test[TARGET].sum()), 1.0)
    both = pd.concat([parts["train"], parts["valid"]])
    features = [name for name in both.columns if name not in (ID, TARGET)]
    plain = lgb.LGBMClassifier(verbose=-1, random_state=seed).fit(both[features], both[TARGET])
    result["plain_lightgbm_roc_auc"] = roc_auc(test[TARGET], plain.predict_proba(test[features])[:, 1])
    result["test_best_f1_ceiling"] = best_f1(test[TARGET].to_numpy(), plain.predict_proba(test[features])[:, 1])[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", type=int, default=2240)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    table = pd.DataFrame([compare(args.rows, seed) for seed in range(args.seeds)])
    medians = table.median().to_dict()
    medians["paired_cv_minus_holdout_roc_auc"] = float(
        np.median(table["cross_validation_roc_auc"] - table["holdout_roc_auc"])
    )
    for name, value in medians.items():
        print(f"{name}: {value:.4f}")
    print(f"saved {save('small_table', {f'small_table_{args.rows}': {'seeds': args.seeds, 'median': medians}})}")


if __name__ == "__main__":
    main()
