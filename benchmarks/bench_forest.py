"""Benchmark the compiled forest against LightGBM's own predict on the default model and population (issue 25).

On the outputs of the default `dvc repro` (run it first): the classifier (`models/classifier.txt`) and
the uplift model's boosters (`models/uplift.json`) predict the 1.2M-customer population, already in
model form, in the same process, alternated:
- ``classifier``: LightGBM's ``Booster.predict`` / the compiled forest's ``predict`` (the result is the
  ratio of their times; every probability is compared and must be equal to the bit);
- ``uplift``: the same for every booster of the uplift model, summed;
- ``reasons``: path attribution of the 240K-customer audience-sized head of the population: LightGBM's
  ``pred_leaf`` and the table sums against the compiled one-pass walk.
The numba kernels are loaded from numba's cache (or compiled) in the set-up, not timed.
Run: `.venv/bin/python -m benchmarks.bench_forest [--repeats N]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import measure, report
from intentseg.foundation.io import read_json

AUDIENCE_ROWS = 240_000


def _population() -> Any:
    import pandas as pd

    from intentseg.config.check import checked_params
    from intentseg.config.paths import PathsConfig

    paths = PathsConfig.from_params(checked_params())
    return paths, pd.read_parquet(paths.prepared.population)


def _alternated(pairs: list[tuple[Callable[[], np.ndarray], Callable[[], np.ndarray]]], label: str) -> float:
    """LightGBM's time over the compiled time, over every (LightGBM, compiled) pair; the outputs must be equal."""
    spent = {"lightgbm": 0.0, "compiled": 0.0}
    for lightgbm_call, compiled_call in pairs:
        outputs = {}
        for name, call in (("lightgbm", lightgbm_call), ("compiled", compiled_call)):
            start = time.perf_counter()
            outputs[name] = call()
            spent[name] += time.perf_counter() - start
        assert np.array_equal(outputs["lightgbm"], outputs["compiled"]), f"{label}: the outputs differ"
    print(f"{label}: LightGBM {spent['lightgbm']:.2f} s, compiled {spent['compiled']:.2f} s", flush=True)
    return spent["lightgbm"] / spent["compiled"]


def classifier() -> Callable[[], float]:
    """Workload: the classifier on the population (returns LightGBM time / compiled time)."""
    import lightgbm as lgb

    from intentseg.classifier.compiled_forest import CompiledForest
    from intentseg.classifier.features import FeatureSchema

    paths, population = _population()
    schema = FeatureSchema.from_dict(read_json(paths.models.classifier_metadata)["features"])
    booster = lgb.Booster(model_file=paths.models.classifier)
    forest, frame = CompiledForest(booster.model_to_string()), schema.model_frame(population)
    forest.predict(frame.iloc[:100])
    return lambda: _alternated([(lambda: booster.predict(frame), lambda: forest.predict(frame))], "classifier")


def uplift() -> Callable[[], float]:
    """Workload: every booster of the uplift model on the population (returns LightGBM time / compiled time)."""
    from intentseg.uplift.learners import UpliftLearner

    paths, population = _population()
    learner = UpliftLearner.from_dict(read_json(paths.models.uplift)["learner"])
    frame = learner.schema_.model_frame(population)
    pairs = []
    for name, booster in learner.boosters_.items():
        forest = learner.forests_[name]
        forest.predict(frame.iloc[:100])
        pairs.append((lambda b=booster: b.predict(frame), lambda f=forest: f.predict(frame)))
    return lambda: _alternated(pairs, "uplift")


def reasons() -> Callable[[], float]:
    """Workload: path attribution of an audience-sized set of customers (returns LightGBM time / compiled time)."""
    import lightgbm as lgb

    from intentseg.classifier.features import FeatureSchema
    from intentseg.classifier.lightgbm_model import LightGBMEngine, PathAttribution

    paths, population = _population()
    schema = FeatureSchema.from_dict(read_json(paths.models.classifier_metadata)["features"])
    engine = LightGBMEngine(lgb.Booster(model_file=paths.models.classifier), schema)
    frame = schema.model_frame(population.head(AUDIENCE_ROWS))
    tables = PathAttribution(engine.booster)
    tables.contributions(frame.iloc[:100], engine.forest)
    return lambda: _alternated(
        [(lambda: tables.contributions(frame), lambda: tables.contributions(frame, engine.forest))], "reasons"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    here = "benchmarks.bench_forest"
    results = {
        "classifier_lightgbm_over_compiled": measure(f"{here}:classifier", args.repeats),
        "uplift_lightgbm_over_compiled": measure(f"{here}:uplift", args.repeats),
        "reasons_lightgbm_over_compiled": measure(f"{here}:reasons", args.repeats),
    }
    report("forest", results)


if __name__ == "__main__":
    main()
