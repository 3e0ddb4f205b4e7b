"""Benchmark train_classifier at the default size (240K customers: 168K train, 36K valid).

Target (classifier issue): under 60 s on the 2-core machine, median of several runs. Times
the stage's library call (all imbalance candidates, calibration, threshold, baseline) with
the parameters in params.yaml; data simulation and the split are set-up, not timed.
Run: `.venv/bin/python -m benchmarks.bench_train_classifier [--repeats N]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from benchmarks.common import measure, save, summary_line


def train_classifier(imbalance_candidates: list[str] | None = None) -> Callable[[], object]:
    """Workload: everything the train_classifier stage fits, at the default size (other imbalance options if given)."""
    from benchmarks.workloads import default_params, default_splits
    from intentseg.classifier.training import fit_purchase_model
    from intentseg.config.base import seed_of
    from intentseg.config.check import section_config

    params = default_params()
    parts, data = default_splits(params), section_config(params, "data")
    if imbalance_candidates is not None:
        params["train_classifier"]["imbalance_candidates"] = imbalance_candidates
    config = section_config(params, "train_classifier")
    return lambda: fit_purchase_model(
        parts["train"], parts["valid"], config, seed_of(params), data.id_column, target=data.target
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    workload = "benchmarks.bench_train_classifier:train_classifier"
    results = {
        "train_classifier_240k": measure(workload, args.repeats),
        # The default until issue 25 also fitted is_unbalance, the same model as scale_pos_weight (the same
        # 339 rounds): what a weighted fit adds to one option is what that third fit cost.
        "one_imbalance_option": measure(workload, args.repeats, imbalance_candidates=["none"]),
    }
    for name, result in results.items():
        print(summary_line(name, result))
    print(f"saved {save('train_classifier', results)}")


if __name__ == "__main__":
    main()
