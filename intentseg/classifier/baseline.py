"""The logistic-regression baseline, fitted with scikit-learn and stored as plain JSON.

Preprocessing is what a linear model needs on mixed data: median imputation plus missing
indicators and standard scaling for numerics, one-hot encoding (unknown levels ignored,
missing as its own level) for categoricals. The fitted pipeline is exported to JSON
(medians, scaling, levels, coefficients) and predictions always go through that exported
form, so a saved baseline predicts exactly what the fitted one did.

The fit uses Newton's method (``newton-cholesky``) to a tight tolerance with one BLAS thread, and
the exported numbers are rounded to :data:`~intentseg.foundation.determinism.STORED_SIGNIFICANT_DIGITS`
significant digits, so the stored baseline does not change with the machine's BLAS kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from intentseg.classifier.features import FeatureSchema
from intentseg.foundation.determinism import round_significant, single_threaded_blas

MISSING_LEVEL = "missing"
METADATA_FORMAT = "intentseg.classifier.baseline/1"
NEWTON_TOLERANCE = 1e-10  # converge to the optimum, not near it (see the module docstring)


def _categorical_strings(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Categorical columns as strings, missing values as their own level."""
    return (
        np.column_stack(
            [
                frame[name].astype("object").where(frame[name].notna(), MISSING_LEVEL).astype(str).to_numpy()
                for name in columns
            ]
        )
        if columns
        else np.empty((len(frame), 0), dtype=object)
    )


class LogisticBaseline(ClassifierMixin, BaseEstimator):
    """Logistic regression on imputed, scaled numerics and one-hot categoricals (a scikit-learn estimator)."""

    def __init__(self, *, C: float, max_iter: int) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, features: pd.DataFrame, labels: np.ndarray) -> LogisticBaseline:
        """Fit the scikit-learn pipeline, then export it to plain arrays."""
        self.feature_schema_ = FeatureSchema.from_frame(features)
        numeric = list(self.feature_schema_.numeric)
        categorical = list(self.feature_schema_.categorical)
        frame = pd.DataFrame(features[numeric].to_numpy(dtype=float), columns=numeric)
        strings = _categorical_strings(features, categorical)
        for index, name in enumerate(categorical):
            frame[name] = strings[:, index]
        parts = []
        if numeric:
            parts.append(
                ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric)
            )
        if categorical:
            parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), categorical))
        pipeline = Pipeline(
            [
                ("prepare", ColumnTransformer(parts)),
                (
                    "model",
                    LogisticRegression(
                        C=self.C, max_iter=self.max_iter, solver="newton-cholesky", tol=NEWTON_TOLERANCE
                    ),
                ),
            ]
        )
        with single_threaded_blas():
            pipeline.fit(frame, np.asarray(labels))
        self._export(pipeline, numeric, categorical)
        return self

    def _export(self, pipeline: Pipeline, numeric: list[str], categorical: list[str]) -> None:
        prepare = pipeline.named_steps["prepare"]
        model = pipeline.named_steps["model"]
        medians, indicator, scale_mean, scale_std = [], [], [], []
        if numeric:
            imputer, scaler = (step for _, step in prepare.named_transformers_["num"].steps)
            medians = round_significant(imputer.statistics_)
            indicator = imputer.indicator_.features_.tolist() if imputer.indicator_ is not None else []
            scale_mean, scale_std = round_significant(scaler.mean_), round_significant(scaler.scale_)
        levels = prepare.named_transformers_["cat"].categories_ if categorical else []
        self.parameters_ = {
            "numeric": numeric,
            "medians": medians,
            "indicator_columns": [numeric[i] for i in indicator],
            "scale_mean": scale_mean,
            "scale_std": scale_std,
            "categorical": {name: values.tolist() for name, values in zip(categorical, levels)},
            "coefficients": dict(zip(prepare.get_feature_names_out().tolist(), round_significant(model.coef_[0]))),
            "intercept": round_significant(model.intercept_[0]),
        }

    def design_matrix(self, features: pd.DataFrame) -> np.ndarray:
        """The preprocessed matrix the coefficients apply to (same order as ``coefficients``)."""
        check_is_fitted(self, "parameters_")
        p = self.parameters_
        values = features[p["numeric"]].to_numpy(dtype=float)
        missing = np.isnan(values)
        imputed = np.where(missing, np.asarray(p["medians"]), values)
        indicators = missing[:, [p["numeric"].index(name) for name in p["indicator_columns"]]].astype(float)
        scaled = (np.hstack([imputed, indicators]) - np.asarray(p["scale_mean"], dtype=float)) / np.asarray(
            p["scale_std"], dtype=float
        )
        names = list(p["categorical"])
        strings = _categorical_strings(features, names)
        one_hot = [
            (strings[:, index][:, None] == np.asarray(levels, dtype=object)[None, :]).astype(float)
            for index, levels in enumerate(p["categorical"].values())
        ]
        return np.hstack([scaled, *one_hot])

    def predict_proba1(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class."""
        coefficients = np.asarray(list(self.parameters_["coefficients"].values()))
        logit = self.design_matrix(features) @ coefficients + self.parameters_["intercept"]
        return 1.0 / (1.0 + np.exp(-logit))

    def coefficient_table(self) -> pd.DataFrame:
        """Coefficients on the standardised scale, largest magnitude first."""
        table = pd.DataFrame(
            {
                "term": list(self.parameters_["coefficients"]),
                "coefficient": list(self.parameters_["coefficients"].values()),
            }
        )
        table["term"] = table["term"].str.replace(r"^(num|cat)__", "", regex=True)
        return table.reindex(table["coefficient"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready baseline."""
        return {
            "format": METADATA_FORMAT,
            "C": self.C,
            "max_iter": self.max_iter,
            "features": self.feature_schema_.to_dict(),
            **self.parameters_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticBaseline:
        """Rebuild a fitted baseline from :meth:`to_dict`."""
        if data.get("format") != METADATA_FORMAT:
            raise ValueError(f"baseline format must be {METADATA_FORMAT!r}, got {data.get('format')!r}")
        baseline = cls(C=data["C"], max_iter=data["max_iter"])
        baseline.feature_schema_ = FeatureSchema.from_dict(data["features"])
        keys = (
            "numeric",
            "medians",
            "indicator_columns",
            "scale_mean",
            "scale_std",
            "categorical",
            "coefficients",
            "intercept",
        )
        baseline.parameters_ = {key: data[key] for key in keys}
        return baseline
