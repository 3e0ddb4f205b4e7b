"""Learning the effect of a contact from a campaign history, choosing the learner by measurement, and the evidence.

The randomised customers of the history are split by customer (a hash of the id, so the split is
the same every run) into train, valid and test; with several months, test is the newest month and
the others train and validate. Each learner of ``uplift.learners`` is fitted on train; the one with
the highest Qini coefficient on valid is kept, and measured once on test, with bootstrap intervals.
On the simulator the test customers' true effects give the oracle's Qini (the same estimator,
ranking by the truth) and the rank correlation of predicted and true effects.

The evidence for targeting by uplift is the test Qini's interval: when it excludes zero, the model
ranks customers by what a contact changes better than chance, and uplift targeting is justified;
otherwise propensity targeting stays, and the reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from intentseg.config.uplift import UpliftConfig
from intentseg.foundation.determinism import id_draw
from intentseg.uplift.design import learnable
from intentseg.uplift.learners import LEARNERS, TwoModelLearner, UpliftLearner, XLearner
from intentseg.uplift.metrics import RandomisedOutcomes, qini_coefficient, uplift_curve, uplift_evaluation

MIN_GROUP = 100  # contacted and held-out customers each part needs at least
PROPENSITY, UPLIFT = "propensity", "uplift"
CURVE_POINTS = 51


@dataclass(frozen=True)
class UpliftResult:
    """The chosen learner (None when nothing could be learned), its measurement, and the evidence."""

    learner: UpliftLearner | None
    summary: dict[str, Any]  # the history, the learner, its test figures with intervals, the oracle, the evidence
    details: dict[str, Any]  # the summary, every learner's Qini, the full measurement
    curves: list[dict[str, float]]

    def model_file(self) -> dict[str, Any]:
        """``models/uplift.json``: the learner (LightGBM text models inside) and what it was trained on."""
        return {
            "learner": self.learner.to_dict() if self.learner is not None else None,
            "history": self.summary["history"],
            "evidence": self.summary["evidence"],
        }

    def review_metrics(self) -> dict[str, Any]:
        """``metrics/uplift.json``: the few numbers a reviewer decides on (the rest is in the details)."""
        test = self.summary.get("test", {}).get("qini", {})
        return {
            "learner": self.summary["learner"],
            "test_qini": {"value": test.get("value"), "low": test.get("low")},
            "oracle_qini": self.summary.get("oracle", {}).get("qini"),
            "targeting": self.summary["evidence"]["targeting"],
        }


def split_history(history: pd.DataFrame, id_column: str, config: UpliftConfig, seed: int) -> np.ndarray:
    """``train``, ``valid`` or ``test`` per row: by month when there are several, else by a hash of the id."""
    draw = id_draw(history[id_column], f"{seed}|uplift-split")
    months = history["month"].astype(str).to_numpy()
    newest = months.max() if len(months) else ""
    several = len(np.unique(months)) > 1
    test = months == newest if several else draw < config.test_share
    valid_cut = config.valid_share if several else config.test_share + config.valid_share * (1 - config.test_share)
    valid_draw = id_draw(history[id_column], f"{seed}|uplift-valid") if several else draw
    valid = ~test & (valid_draw < valid_cut)
    return np.where(test, "test", np.where(valid, "valid", "train"))


def held_out_rows(history: pd.DataFrame, id_column: str, config: UpliftConfig, seed: int) -> np.ndarray:
    """The rows of ``history`` :func:`fit_uplift` holds out to measure on (randomised, in the test part)."""
    rows = learnable(history)
    held_out = np.zeros(len(history), dtype=bool)
    held_out[np.flatnonzero(rows)] = split_history(history[rows], id_column, config, seed) == "test"
    return held_out


def _outcomes(effect: np.ndarray, rows: pd.DataFrame) -> RandomisedOutcomes:
    return RandomisedOutcomes(
        effect,
        rows["converted"].to_numpy(dtype=float),
        rows["contacted"].to_numpy(dtype=float),
        rows["contact_probability"].to_numpy(dtype=float),
    )


def _too_few(history: pd.DataFrame, part: np.ndarray) -> str | None:
    for name in ("train", "valid", "test"):
        rows = history[part == name]
        contacted = int(rows["contacted"].sum())
        if min(contacted, len(rows) - contacted) < MIN_GROUP:
            return (
                f"the history's {name} part has {contacted} contacted and {len(rows) - contacted} held-out "
                f"randomised customers; at least {MIN_GROUP} of each are needed"
            )
    return None


def _nothing_learned(reason: str, counts: dict[str, int]) -> UpliftResult:
    evidence = {"targeting": PROPENSITY, "reason": f"no uplift model: {reason}"}
    summary = {"history": counts, "learner": None, "evidence": evidence}
    return UpliftResult(None, summary, {**summary, "learners": {}}, [])


def fitted_learners(
    config: UpliftConfig, features: pd.DataFrame, history: pd.DataFrame, seed: int
) -> dict[str, UpliftLearner]:
    """Each learner of ``uplift.learners`` fitted on the same rows. With the X-learner listed too, the
    two-model learner is the X-learner's own arm models (:meth:`XLearner.two_model`): not fitted twice."""
    outcomes = [history[column] for column in ("converted", "contacted", "contact_probability")]
    fitted: dict[str, UpliftLearner] = {}
    for kind in sorted(config.learners, key=lambda kind: kind == TwoModelLearner.kind):  # the X-learner first
        learner = fitted.get(XLearner.kind)
        if kind == TwoModelLearner.kind and isinstance(learner, XLearner):
            fitted[kind] = learner.two_model()
        else:
            fitted[kind] = LEARNERS[kind](**config.lightgbm.model_dump(), random_state=seed).fit(features, *outcomes)
    return fitted


def fit_uplift(
    history: pd.DataFrame,
    features: pd.DataFrame,
    truth: pd.DataFrame,
    config: UpliftConfig,
    *,
    id_column: str,
    seed: int,
) -> UpliftResult:
    """Fit every configured learner on train, keep the best valid Qini, measure it on test; the evidence."""
    rows = learnable(history)
    history, features = history[rows].reset_index(drop=True), features[rows].reset_index(drop=True)
    counts = {
        "customers": len(history),
        "contacted": int(history["contacted"].sum()),
        "months": sorted(history["month"].astype(str).unique().tolist()),
    }
    if len(history) == 0:
        return _nothing_learned("no randomised customers in the campaign history (no campaign sent yet)", counts)
    part = split_history(history, id_column, config, seed)
    counts.update({f"{name}_customers": int((part == name).sum()) for name in ("train", "valid", "test")})
    problem = _too_few(history, part)
    if problem:
        return _nothing_learned(problem, counts)
    x = features.drop(columns=[id_column])
    train, valid = part == "train", part == "valid"
    fitted = fitted_learners(config, x[train], history[train], seed)
    valid_qini = {
        kind: qini_coefficient(_outcomes(fitted[kind].predict(x[valid]), history[valid])) for kind in config.learners
    }
    chosen = max(config.learners, key=lambda kind: valid_qini[kind])  # ties: the first listed
    test = part == "test"
    on_test = {kind: fitted[kind].predict(x[test]) for kind in config.learners}
    outcomes = _outcomes(on_test[chosen], history[test])
    measured = uplift_evaluation(outcomes, tuple(config.fractions), config.resamples, config.confidence, seed)
    true_effect = _test_truth(history.loc[test, id_column], truth, id_column)
    oracle = _oracle(on_test[chosen], history[test], true_effect)
    evidence = _evidence(measured)
    summary = {
        "history": counts,
        "learner": chosen,
        "test": {
            "qini": _value_and_interval(measured["qini"]),
            **{name: _value_and_interval(measured[name]) for name in measured if name.startswith("uplift_top_")},
        },
        **({"oracle": oracle} if oracle else {}),
        "evidence": evidence,
    }
    details = {
        **summary,
        "learners": {
            kind: {
                "valid_qini": valid_qini[kind],
                "test_qini": qini_coefficient(_outcomes(on_test[kind], history[test])),
            }
            for kind in config.learners
        },
        "measured": measured,
    }
    return UpliftResult(fitted[chosen], summary, details, _curves(outcomes, history[test], true_effect))


def _value_and_interval(figure: dict[str, Any]) -> dict[str, Any]:
    low, high = figure["interval"]
    return {"value": figure["value"], "low": low, "high": high}


def _test_truth(ids: pd.Series, truth: pd.DataFrame, id_column: str) -> np.ndarray | None:
    """The true effect of the test customers, or None when the source has no truth."""
    if truth is None or len(truth) == 0 or "true_effect" not in truth:
        return None
    found = pd.Series(truth["true_effect"].to_numpy(), index=truth[id_column].astype(str))
    values = found.reindex(ids.astype(str)).to_numpy(dtype=float)
    return None if np.isnan(values).any() else values


def _oracle(predicted: np.ndarray, rows: pd.DataFrame, true_effect: np.ndarray | None) -> dict:
    """Against the truth (simulator): the oracle's Qini on the same customers, and the rank correlation."""
    if true_effect is None:
        return {}
    return {
        "qini": qini_coefficient(_outcomes(true_effect, rows)),
        "rank_correlation": float(spearmanr(predicted, true_effect).statistic),
        "mean_true_effect": float(true_effect.mean()),
    }


def _evidence(measured: dict[str, Any]) -> dict[str, Any]:
    """Uplift targeting when the test Qini's interval excludes zero (above it), else propensity; and why."""
    low, high = measured["qini"]["interval"]
    share = f"{measured['confidence']:.0%}"
    if low is not None and low > 0:
        return {
            "targeting": UPLIFT,
            "reason": f"the uplift model's Qini on held-out randomised customers is {measured['qini']['value']:.4f} "
            f"({share} interval {low:.4f} to {high:.4f}): it ranks what a contact changes better than chance",
        }
    interval = "undefined" if low is None else f"{low:.4f} to {high:.4f}"
    return {
        "targeting": PROPENSITY,
        "reason": f"the uplift model's Qini on held-out randomised customers is {measured['qini']['value']:.4f} "
        f"({share} interval {interval}, which includes zero): no evidence that it ranks better than chance",
    }


def _curves(outcomes: RandomisedOutcomes, rows: pd.DataFrame, true_effect: np.ndarray | None) -> list[dict]:
    """The Qini plot's data: incremental buyers per customer at shares 0, 2%, ..., 100% (model, oracle, random)."""
    grid = np.linspace(0, 1, CURVE_POINTS)

    def on_grid(curve: pd.DataFrame) -> np.ndarray:
        per_customer = curve["incremental_buyers"].to_numpy() / max(curve["customers"].iloc[-1], 1.0)
        return np.interp(grid, curve["share"].to_numpy(), per_customer)

    model = on_grid(uplift_curve(outcomes))
    oracle = on_grid(uplift_curve(_outcomes(true_effect, rows))) if true_effect is not None else None
    return [
        {
            "share": float(share),
            "model": float(model[i]),
            "random": float(share * model[-1]),
            **({"oracle": float(oracle[i])} if oracle is not None else {}),
        }
        for i, share in enumerate(grid)
    ]
