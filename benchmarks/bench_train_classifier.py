"""Benchmark train_classifier at the default size (240K customers: 168K train, 36K valid).

Target (classifier issue): under 60 s on the 2-core machine, median of several runs. Times
the stage's library call (all imbalance candidates, calibration, threshold, baseline) with
the parameters in params.yaml; data simulation and the split are set-up, not timed.
Run: `.venv/bin/python benchmarks/bench_train_classifier.py [--repeats N]`.
"""

from __future__ import annotations

import argparse

from common import REPO_ROOT, measure, save

SETUP = f"""
import yaml
from intentseg.contract import validate_table
from intentseg.simulator import shopsphere_spec, simulate_customers
from intentseg.split import stratified_split
from intentseg.train import fit_purchase_model
params = yaml.safe_load(open({str(REPO_ROOT / 'params.yaml')!r}))
data = params["data"]
table = validate_table(simulate_customers(data["n_customers"], params["seed"], data["snapshot_month"]).features,
                       shopsphere_spec())
parts = stratified_split(table, data["target"], params["split"]["fractions"], params["seed"])
"""
BODY = """
fit_purchase_model(parts["train"], parts["valid"], params["train_classifier"], params["seed"],
                   data["id_column"], data["target"])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result = measure(SETUP, BODY, args.repeats)
    print(
        f"train_classifier (240K): median {result['median_seconds']:.1f} s (min {result['min_seconds']:.1f}, "
        f"max {result['max_seconds']:.1f}) over {args.repeats} runs, peak RSS {result['median_peak_rss_mb']:.0f} MB"
    )
    print(f"saved {save('train_classifier', {'train_classifier_240k': result})}")


if __name__ == "__main__":
    main()
