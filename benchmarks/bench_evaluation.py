"""Benchmark the evaluate stage's two halves and the K-Prototypes assignment kernel they repeat.

Issue 25 (no duplicated work): the segment evaluation (silhouette, k sweep, 10 bootstrap refits
of the 168K-customer train split) was the largest cost of the pipeline, 129 s, and the classifier
evaluation 19 s of bootstrap and TreeSHAP work. Measured here, on the outputs of the default
`dvc repro` (run it first), medians of fresh-process runs:
- ``evaluate_segments`` and ``evaluate_classifier`` as the evaluate stage calls them;
- one bootstrap refit (168K customers, the model's 10 initialisations);
- the assignment of 168K customers to 5 prototypes: the compiled kernel against the numpy
  computation it replaced (column by column over an (n, k) matrix), timed in the same process;
- the test metrics' bootstrap intervals (ROC-AUC, PR-AUC, F1, top-decile lift), computed from each
  resample's counts over scores sorted once, against scikit-learn's functions on every resample
  (alternated in the same process; the intervals asserted equal to 1e-12);
- the silhouette's distance matrix of 5,000 test customers: the compiled mismatch pass against numpy's
  matrix per categorical column (alternated; asserted equal to the bit).
The numba kernels are compiled (or loaded from numba's cache) in the set-up, not timed: the
stage pays that once, about 0.2 s from the cache and 3 s on a fresh clone.
Run: `.venv/bin/python -m benchmarks.bench_evaluation [--repeats N]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import measure, report

KERNEL_CALLS = 20


def _inputs() -> dict[str, Any]:
    """The evaluate stage's inputs and settings, read from the default run's outputs."""
    from intentseg.config.base import seed_of
    from intentseg.config.check import checked_params
    from intentseg.config.evaluate import EvaluateConfig
    from intentseg.config.paths import PathsConfig
    from intentseg.config.segmenter import TrainSegmenterConfig
    from stages.evaluation_inputs import evaluation_inputs

    params = checked_params()
    inputs = evaluation_inputs(PathsConfig.from_params(params))
    warm = np.zeros((2, 1))
    from intentseg.segments.kprototypes import FastKPrototypes

    FastKPrototypes(n_clusters=1, gamma=1.0, n_init=1, max_iter=2, init="Cao").fit(warm, np.zeros((2, 1), int))
    return {
        "inputs": inputs,
        "config": EvaluateConfig.from_params(params),
        "naming": TrainSegmenterConfig.from_params(params).naming,
        "seed": seed_of(params),
    }


def segment_evaluation() -> Callable[[], float]:
    """Workload: evaluate_segments on the default run (returns the stability ARI)."""
    from intentseg.evaluation.run import segment_evaluation_of

    setup = _inputs()
    return lambda: segment_evaluation_of(setup["inputs"], setup["config"], setup["naming"], setup["seed"]).metrics[
        "stability_ari"
    ]


def classifier_evaluation() -> Callable[[], float]:
    """Workload: evaluate_classifier on the default run (returns the test ROC-AUC)."""
    from intentseg.evaluation.run import classifier_evaluation_of

    setup = _inputs()
    return lambda: classifier_evaluation_of(setup["inputs"], setup["config"], setup["seed"]).metrics["test"]["roc_auc"]


def bootstrap_refit() -> Callable[[], float]:
    """Workload: one bootstrap refit of the segmenter on the train split (returns its cost)."""
    from sklearn.base import clone

    from intentseg.segments.model import CustomerSegmenter

    setup = _inputs()
    inputs = setup["inputs"]
    estimator = CustomerSegmenter.like(inputs.segmenter)
    resample = inputs.train.iloc[np.random.default_rng(0).integers(0, len(inputs.train), size=len(inputs.train))]
    return lambda: float(clone(estimator).fit(resample).kprototypes_.cost_)


def assignment_kernels() -> Callable[[], float]:
    """Workload: numpy and compiled assignment of the train split, alternated; returns numpy / compiled time.

    The compiled kernel is timed as a fit calls it: on the features laid out by column once per fit.
    """
    from intentseg.segments.kprototypes import assign_by_column, assign_in_numpy, by_column

    setup = _inputs()
    model = setup["inputs"].segmenter
    numeric, codes = model.preprocessor.transform(setup["inputs"].train)
    args = (numeric, codes, model.centers, model.modes, model.gamma)
    by_columns = (by_column(numeric, np.float64), by_column(codes, np.int64), *args[2:])
    kernels = {"numpy": lambda: assign_in_numpy(*args), "compiled": lambda: assign_by_column(*by_columns)}

    def ratio() -> float:
        spent = {"numpy": 0.0, "compiled": 0.0}
        for _ in range(KERNEL_CALLS):
            for name, kernel in kernels.items():
                start = time.perf_counter()
                kernel()
                spent[name] += time.perf_counter() - start
        assert np.array_equal(kernels["numpy"]()[0], kernels["compiled"]()[0]), "the kernels disagree"
        print(
            f"per call: numpy {spent['numpy'] / KERNEL_CALLS * 1e3:.1f} ms, "
            f"compiled {spent['compiled'] / KERNEL_CALLS * 1e3:.1f} ms",
            flush=True,
        )
        return spent["numpy"] / spent["compiled"]

    return ratio


def _alternated(name: str, paths: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Seconds per path, the paths run in turn ``rounds`` times in this process (so the host's drift hits both)."""
    spent = dict.fromkeys(paths, 0.0)
    for _ in range(rounds):
        for path, run in paths.items():
            start = time.perf_counter()
            run()
            spent[path] += time.perf_counter() - start
    print(f"{name}: " + ", ".join(f"{path} {seconds / rounds:.3f} s" for path, seconds in spent.items()), flush=True)
    return spent


def bootstrap_paths() -> Callable[[], float]:
    """Workload: the test metrics' intervals, sorted once against scikit-learn per resample; returns the ratio."""
    from intentseg.foundation.metrics import (
        average_precision,
        bootstrap_interval,
        f1_at,
        metric_intervals,
        roc_auc,
        top_decile_lift,
    )

    setup = _inputs()
    inputs, bootstrap = setup["inputs"], setup["config"].bootstrap
    model = inputs.classifier
    labels = inputs.test[model.info["target"]].to_numpy()
    probability = model.purchase_probability(inputs.test)
    settings = (model.decision.threshold, bootstrap.resamples, bootstrap.confidence)

    def per_resample() -> dict[str, list[float]]:
        """The same draws, each metric wrapped (so not recognised as sortable once): scikit-learn per resample."""
        metrics = {
            "roc_auc": roc_auc,
            "pr_auc": average_precision,
            "f1": f1_at(settings[0]),
            "lift_top_decile": top_decile_lift,
        }
        return {
            f"{name}_ci": bootstrap_interval(
                lambda y, s, f=metric: f(y, s), labels, probability, *settings[1:], seed=setup["seed"]
            )
            for name, metric in metrics.items()
        }

    def ratio() -> float:
        fast = lambda: metric_intervals(labels, probability, *settings, seed=setup["seed"])  # noqa: E731
        spent = _alternated("bootstrap intervals", {"sorted once": fast, "per resample": per_resample}, 2)
        expected, got = per_resample(), fast()
        assert all(np.allclose(got[key], expected[key], rtol=0, atol=1e-12) for key in expected), (got, expected)
        return spent["per resample"] / spent["sorted once"]

    return ratio


def silhouette_distances() -> Callable[[], float]:
    """Workload: the distance matrix of 5,000 test customers, compiled against numpy; returns the ratio."""
    from intentseg.segments.quality import mixed_distances, mixed_distances_in_numpy

    setup = _inputs()
    model = setup["inputs"].segmenter
    numeric, codes = model.preprocessor.transform(setup["inputs"].test.iloc[:5000])

    def ratio() -> float:
        paths = {
            "compiled": lambda: mixed_distances(numeric, codes, model.gamma),
            "numpy": lambda: mixed_distances_in_numpy(numeric, codes, model.gamma),
        }
        spent = _alternated("silhouette distances", paths, 3)
        assert np.array_equal(paths["compiled"](), paths["numpy"]()), "the distance matrices differ"
        return spent["numpy"] / spent["compiled"]

    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    here = "benchmarks.bench_evaluation"
    results = {
        "evaluate_segments": measure(f"{here}:segment_evaluation", args.repeats),
        "evaluate_classifier": measure(f"{here}:classifier_evaluation", args.repeats),
        "bootstrap_refit_168k": measure(f"{here}:bootstrap_refit", args.repeats),
        "assignment_numpy_over_compiled": measure(f"{here}:assignment_kernels", args.repeats),
        "bootstrap_per_resample_over_sorted_once": measure(f"{here}:bootstrap_paths", args.repeats),
        "silhouette_numpy_over_compiled": measure(f"{here}:silhouette_distances", args.repeats),
    }
    report("evaluation", results)


if __name__ == "__main__":
    main()
