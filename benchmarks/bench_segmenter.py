"""Benchmark the segmenter: vectorised K-Prototypes vs kmodes, train_segmenter, 1.2M assignments.

Targets (segmentation issue), on the 2-core machine, medians of fresh-process runs:
- the vectorised fit at least 50x faster than kmodes' KPrototypes.fit on the same 20K-row
  sample (same k, init and n_init), at a final cost no worse than kmodes';
- train_segmenter at the default size (168K train customers) under 60 s;
- assigning 1.2M customers to segments under 10 s.
Run: `.venv/bin/python benchmarks/bench_segmenter.py [--repeats N]`.
"""

from __future__ import annotations

import argparse

from common import REPO_ROOT, measure, save

DATA = f"""
import json, yaml, numpy as np
from intentseg.contract import validate_table
from intentseg.simulator import shopsphere_spec, simulate_customers
from intentseg.split import stratified_split
from intentseg.segmentation import fit_segment_model, outcome_columns, segmenter_from_params
params = yaml.safe_load(open({str(REPO_ROOT / 'params.yaml')!r}))
data, settings, seed = params["data"], params["train_segmenter"], params["seed"]
table = validate_table(simulate_customers(data["n_customers"], seed, data["snapshot_month"]).features, shopsphere_spec())
train = stratified_split(table, data["target"], params["split"]["fractions"], seed)["train"]
segmenter = segmenter_from_params(settings, seed)
sample = train.sample(20_000, random_state=seed)
numeric, codes = segmenter.preprocessor.fit(sample).transform(sample)
n_clusters = segmenter.clusterer.n_clusters
"""
KMODES = DATA + """
from kmodes.kprototypes import KPrototypes
combined = np.column_stack([numeric, codes]).astype(object)
categorical = list(range(numeric.shape[1], combined.shape[1]))
"""
FAST = DATA + "from intentseg.kprototypes import FastKPrototypes\n"
ASSIGN = DATA + """
model, _ = fit_segment_model(train, settings, seed, outcome_columns(settings, data["target"]), None)
population = simulate_customers(1_200_000, seed, data["snapshot_month"], labelled=False).features
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-init", type=int, default=3, help="initialisations in the kmodes comparison")
    args = parser.parse_args()
    k, n_init = "n_clusters", args.n_init
    kmodes_body = (f"model = KPrototypes(n_clusters={k}, init='Cao', n_init={n_init}, random_state=seed)"
                   ".fit(combined, categorical=categorical)\nbenchmark_result = float(model.cost_)")
    fast_body = (f"model = FastKPrototypes({k}, n_init={n_init}, init='Cao', random_state=seed).fit(numeric, codes)"
                 "\nbenchmark_result = float(model.cost_)")
    train_body = "fit_segment_model(train, settings, seed, outcome_columns(settings, data['target']), None)"
    results = {
        "kmodes_fit_20k": measure(KMODES, kmodes_body, args.repeats),
        "fast_fit_20k": measure(FAST, fast_body, args.repeats),
        "train_segmenter_168k": measure(DATA, train_body, args.repeats),
        "assign_1_2m": measure(ASSIGN, "model.assign(population)", args.repeats),
    }
    speedup = results["kmodes_fit_20k"]["median_seconds"] / results["fast_fit_20k"]["median_seconds"]
    cost_ratio = results["fast_fit_20k"]["result"] / results["kmodes_fit_20k"]["result"]
    for name, result in results.items():
        print(f"{name:>22}: median {result['median_seconds']:.3f} s over {result['repeats']} runs "
              f"(min {result['min_seconds']:.3f}, max {result['max_seconds']:.3f}), "
              f"peak RSS {result['median_peak_rss_mb']:.0f} MB")
    print(f"vectorised fit vs kmodes at 20K rows, n_init={n_init}: {speedup:.0f}x faster; "
          f"final cost ours / kmodes = {cost_ratio:.6f}")
    results["comparison"] = {"n_init": n_init, "speedup": speedup, "cost_ratio_fast_over_kmodes": cost_ratio}
    print(f"saved {save('segmenter', results)}")


if __name__ == "__main__":
    main()
