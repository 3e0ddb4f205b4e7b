"""Uplift learners on LightGBM: each predicts, per customer, the effect of a contact on the purchase probability.

They learn from randomised customers only: ``converted`` (0/1), ``contacted`` (0/1) and the known
``probability`` of contact of each row (its stratum's contacted share, :mod:`intentseg.uplift.design`).

* :class:`TwoModelLearner` (the T-learner): one purchase model of the contacted, one of the held
  out; the effect is the difference of their probabilities.
* :class:`XLearner` (Kuenzel et al., 2019): the two models above, then each arm's imputed effects
  (a contacted customer's outcome minus the held-out model's prediction, and the reverse) are
  regressed on the features, and the two effect models are blended by the contact share. It
  helps when one arm is much smaller than the other, as the audience's control group is.
* :class:`ClassTransformationLearner`: one regression of the transformed outcome
  ``y (t - p) / (p (1 - p))``, whose expectation given the features is the effect (Athey and
  Imbens, 2015). With ``p = 1/2`` everywhere it is the class transformation of Jaskowski and
  Jaroszewicz (2012); the weights make it valid for strata randomised at other shares.

They follow scikit-learn's contract (parameters in ``__init__``, ``fit`` returns self, learned state
ends in ``_``) with ``fit(X, converted, contacted, probability)``, and store their boosters as
LightGBM's text models inside JSON (:meth:`to_dict`), never pickle.
"""

from __future__ import annotations

from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from intentseg.classifier.compiled_forest import CompiledForest, check_sample
from intentseg.classifier.features import FeatureSchema


class UpliftLearner(BaseEstimator):
    """What every learner shares: the LightGBM settings, the feature schema, JSON form."""

    kind: ClassVar[str]
    parts: ClassVar[tuple[str, ...]]  # the names of the boosters it holds

    def __init__(
        self,
        *,
        num_boost_round: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_data_in_leaf: int = 200,
        num_threads: int = 2,
        random_state: int = 0,
    ) -> None:
        self.num_boost_round = num_boost_round
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_data_in_leaf = min_data_in_leaf
        self.num_threads = num_threads
        self.random_state = random_state

    def _booster(self, objective: str, frame: pd.DataFrame, target: np.ndarray) -> lgb.Booster:
        params = {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "num_threads": self.num_threads,
            "verbosity": -1,
            "deterministic": True,
            "force_col_wise": True,
            "seed": self.random_state,
        }
        return lgb.train(params, lgb.Dataset(frame, label=target), num_boost_round=self.num_boost_round)

    def _start(self, features: pd.DataFrame, *columns: Any) -> tuple[pd.DataFrame, list[np.ndarray]]:
        arrays = [np.asarray(column, dtype=float) for column in columns]
        if any(len(array) != len(features) for array in arrays):
            raise ValueError(f"{len(features)} rows of features need as many outcomes, contacts and probabilities")
        converted, contacted, probability = arrays
        if not ((probability > 0) & (probability < 1)).all():
            raise ValueError("contact probabilities must lie strictly between 0 and 1: learn from randomised rows only")
        if contacted.min() == contacted.max():
            raise ValueError("uplift needs both contacted and held-out customers among the rows")
        self.schema_ = FeatureSchema.from_frame(features)
        self.contact_share_ = float(probability.mean())
        return self.schema_.model_frame(features), arrays

    def _arm_models(self, frame: pd.DataFrame, converted: np.ndarray, treated: np.ndarray) -> dict[str, lgb.Booster]:
        """A purchase model of the contacted and one of the held out."""
        return {
            "contacted": self._booster("binary", frame[treated], converted[treated]),
            "held_out": self._booster("binary", frame[~treated], converted[~treated]),
        }

    def _keep(self, boosters: dict[str, lgb.Booster]) -> None:
        """The fitted boosters, and their compiled forests (None where LightGBM predicts: logged)."""
        self.boosters_ = boosters
        self.forests_ = {name: CompiledForest.of(booster) for name, booster in boosters.items()}

    def _raw(self, name: str, frame: pd.DataFrame) -> np.ndarray:
        forest = self.forests_[name]
        return forest.predict(frame) if forest else self.boosters_[name].predict(frame, num_threads=self.num_threads)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The predicted effect of a contact on each customer's purchase probability."""
        check_is_fitted(self, "boosters_")
        return self._effect(self.schema_.model_frame(features))

    def check_compiled(self, features: pd.DataFrame) -> float:
        """The largest raw-score difference of the compiled forests from LightGBM on the rows of ``features`` (a
        sample; see :func:`~intentseg.classifier.compiled_forest.check_sample`)."""
        check_is_fitted(self, "boosters_")
        frame = self.schema_.model_frame(features)
        return max(
            (
                check_sample(forest, self.boosters_[name], frame, f"uplift model ({name})")
                for name, forest in self.forests_.items()
                if forest is not None
            ),
            default=0.0,
        )

    def _effect(self, frame: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the kind, the parameters, the feature schema and each booster's text model."""
        check_is_fitted(self, "boosters_")
        return {
            "kind": self.kind,
            "params": self.get_params(),
            "schema": self.schema_.to_dict(),
            "contact_share": self.contact_share_,
            "boosters": {name: booster.model_to_string() for name, booster in self.boosters_.items()},
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> UpliftLearner:
        """A learner back from :meth:`to_dict` (the same predictions)."""
        learner = LEARNERS[data["kind"]](**data["params"])
        learner.schema_ = FeatureSchema.from_dict(data["schema"])
        learner.contact_share_ = float(data["contact_share"])
        learner._keep({name: lgb.Booster(model_str=text) for name, text in data["boosters"].items()})
        return learner


class TwoModelLearner(UpliftLearner):
    """The T-learner: a purchase model per arm; the effect is their difference."""

    kind = "two_model"
    parts = ("contacted", "held_out")

    def fit(self, features: pd.DataFrame, converted: Any, contacted: Any, probability: Any) -> TwoModelLearner:
        frame, (y, t, _) = self._start(features, converted, contacted, probability)
        self._keep(self._arm_models(frame, y, t == 1))
        return self

    def _effect(self, frame: pd.DataFrame) -> np.ndarray:
        return self._raw("contacted", frame) - self._raw("held_out", frame)


class XLearner(UpliftLearner):
    """The X-learner: the two arm models, then effect models on each arm's imputed effects, blended."""

    kind = "x_learner"
    parts = ("contacted", "held_out", "effect_contacted", "effect_held_out")

    def fit(self, features: pd.DataFrame, converted: Any, contacted: Any, probability: Any) -> XLearner:
        frame, (y, t, _) = self._start(features, converted, contacted, probability)
        treated = t == 1
        arm = self._arm_models(frame, y, treated)
        imputed_treated = y[treated] - arm["held_out"].predict(frame[treated], num_threads=self.num_threads)
        imputed_held_out = arm["contacted"].predict(frame[~treated], num_threads=self.num_threads) - y[~treated]
        self._keep(
            {
                **arm,
                "effect_contacted": self._booster("regression", frame[treated], imputed_treated),
                "effect_held_out": self._booster("regression", frame[~treated], imputed_held_out),
            }
        )
        return self

    def two_model(self) -> TwoModelLearner:
        """The T-learner this learner holds: its two arm models are the ones :class:`TwoModelLearner` with the same
        parameters fits on the same rows (LightGBM runs deterministic, with the same seed), so fitting both
        learners would fit the arms twice. Equal to fitting it, booster for booster (tests compare)."""
        check_is_fitted(self, "boosters_")
        learner = TwoModelLearner(**self.get_params())
        learner.schema_, learner.contact_share_ = self.schema_, self.contact_share_
        learner.boosters_ = {name: self.boosters_[name] for name in TwoModelLearner.parts}
        learner.forests_ = {name: self.forests_[name] for name in TwoModelLearner.parts}
        return learner

    def _effect(self, frame: pd.DataFrame) -> np.ndarray:
        share = self.contact_share_  # Kuenzel's blend g(x) = e(x), here the mean contact probability
        return share * self._raw("effect_held_out", frame) + (1 - share) * self._raw("effect_contacted", frame)


class ClassTransformationLearner(UpliftLearner):
    """One regression of the transformed outcome ``y (t - p) / (p (1 - p))`` (mean: the effect)."""

    kind = "class_transformation"
    parts = ("transformed",)

    def fit(
        self, features: pd.DataFrame, converted: Any, contacted: Any, probability: Any
    ) -> ClassTransformationLearner:
        frame, (y, t, p) = self._start(features, converted, contacted, probability)
        self.contact_share_ = float(p.mean())
        self._keep({"transformed": self._booster("regression", frame, y * (t - p) / (p * (1 - p)))})
        return self

    def _effect(self, frame: pd.DataFrame) -> np.ndarray:
        return self._raw("transformed", frame)


LEARNERS: dict[str, type[UpliftLearner]] = {
    learner.kind: learner for learner in (TwoModelLearner, XLearner, ClassTransformationLearner)
}
