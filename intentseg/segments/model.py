"""The segment model: the estimator that fits it and the fitted model that assigns and serialises.

:class:`CustomerSegmenter` (a scikit-learn estimator) fits the preprocessing and
:class:`FastKPrototypes` on features only (never the label). Its result, :class:`SegmentModel`,
assigns any customer to a segment and round-trips through JSON (no pickle); it also records the
estimator's parameters, so evaluation can refit the same estimator (``clone``) for the k sweep and
the bootstrap. Naming, profiles and alignment to a reference live beside this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from intentseg.foundation.errors import FeatureMismatchError, ModelFileError
from intentseg.segments.kprototypes import FastKPrototypes, assign
from intentseg.segments.preprocessing import SegmentPreprocessor

METADATA_FORMAT = "intentseg.segmenter/1"


def distinct_customers(frame: pd.DataFrame, features: list[str]) -> int:
    """How many customers of ``frame`` differ on ``features``: the most segments K-Prototypes can fill."""
    return len(frame[features].drop_duplicates()) if features else 0


def segment_fingerprint(numeric: list[str], categorical: list[str]) -> str:
    """SHA-256 of segmentation feature names and kinds: the column contract of a segment model."""
    payload = json.dumps({"numeric": list(numeric), "categorical": list(categorical)})
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class SegmentModel:
    """Prototypes in scaled space, their segment ids and names, and the preprocessing."""

    preprocessor: SegmentPreprocessor
    centers: np.ndarray  # (k, numeric) scaled
    modes: np.ndarray  # (k, categorical) codes into preprocessor.levels_
    gamma: float
    segment_ids: tuple[int, ...]
    names: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return [*self.preprocessor.numeric, *self.preprocessor.categorical]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the segmentation feature names and kinds."""
        return segment_fingerprint(self.preprocessor.numeric, self.preprocessor.categorical)

    @property
    def version(self) -> str:
        """Short SHA-256 of the model's JSON: tags every score it produces."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def name_of(self) -> dict[int, str]:
        """Segment id -> name."""
        return dict(zip(self.segment_ids, self.names))

    def check_columns(self, frame: pd.DataFrame) -> None:
        """Refuse frames without the segmentation features, naming the missing ones."""
        missing = [name for name in self.features if name not in frame.columns]
        if missing:
            raise FeatureMismatchError(
                f"frame does not match the segmenter's features (fingerprint {self.fingerprint[:12]}): "
                f"missing feature columns: {missing}"
            )

    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        """Segment id of every customer (missing values imputed, unseen levels matched to no mode)."""
        self.check_columns(frame)
        numeric, codes = self.preprocessor.transform(frame)
        clusters = assign(numeric, codes, self.centers, self.modes, self.gamma)[0]
        return np.asarray(self.segment_ids)[clusters]

    def cost(self, frame: pd.DataFrame) -> float:
        """The K-Prototypes objective of ``frame`` under this model."""
        numeric, codes = self.preprocessor.transform(frame)
        return float(assign(numeric, codes, self.centers, self.modes, self.gamma)[1].sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready model: prototypes in scaled and original units, modes, gamma, ids, names."""
        prep = self.preprocessor
        return {
            "format": METADATA_FORMAT,
            "fingerprint": self.fingerprint,
            "gamma": self.gamma,
            "preprocessing": prep.to_dict(),
            "segments": [
                {
                    "id": int(segment_id),
                    "name": name,
                    "center_scaled": dict(zip(prep.numeric, self.centers[index].tolist())),
                    "center_original": dict(zip(prep.numeric, prep.to_original_units(self.centers)[index].tolist())),
                    "modes": {
                        column: prep.levels_[column][self.modes[index, j]] for j, column in enumerate(prep.categorical)
                    },
                }
                for index, (segment_id, name) in enumerate(
                    zip(self.segment_ids, self.names or [""] * len(self.segment_ids))
                )
            ],
            **self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentModel:
        """Rebuild from :meth:`to_dict`; refuses files whose fingerprint does not match their features."""
        if data.get("format") != METADATA_FORMAT:
            raise ModelFileError(f"segmenter format must be {METADATA_FORMAT!r}, got {data.get('format')!r}")
        features = data["preprocessing"]
        if data.get("fingerprint") != segment_fingerprint(features["numeric"], features["categorical"]):
            raise ModelFileError(
                "segmenter fingerprint does not match its feature list: the file was edited or corrupted"
            )
        prep = SegmentPreprocessor.from_dict(features)
        segments = data["segments"]
        centers = np.array([[segment["center_scaled"][name] for name in prep.numeric] for segment in segments])
        modes = np.array(
            [
                [prep.levels_[column].index(segment["modes"][column]) for column in prep.categorical]
                for segment in segments
            ],
            dtype=np.int64,
        ).reshape(len(segments), len(prep.categorical))
        info = {
            key: value
            for key, value in data.items()
            if key not in {"format", "fingerprint", "gamma", "preprocessing", "segments"}
        }
        return cls(
            prep,
            centers,
            modes,
            float(data["gamma"]),
            tuple(s["id"] for s in segments),
            tuple(s["name"] for s in segments),
            info,
        )


class CustomerSegmenter(BaseEstimator):
    """Preprocessing plus K-Prototypes on the segmentation features (a scikit-learn estimator).

    Takes an unfitted :class:`SegmentPreprocessor` and :class:`FastKPrototypes` (like a
    two-step pipeline); ``fit`` fits clones of them as ``preprocessor_`` and ``kprototypes_``
    and learns ``model_`` (a :class:`SegmentModel`, ids ordered by segment size, largest first).
    """

    def __init__(self, preprocessor: SegmentPreprocessor, clusterer: FastKPrototypes) -> None:
        self.preprocessor = preprocessor
        self.clusterer = clusterer

    def fit(self, frame: pd.DataFrame) -> CustomerSegmenter:
        """Fit on customer features; the label, if present, is ignored."""
        self.preprocessor_ = clone(self.preprocessor).fit(frame)
        numeric, codes = self.preprocessor_.transform(frame)
        self.kprototypes_ = clone(self.clusterer).fit(numeric, codes)
        k = self.kprototypes_.n_clusters
        sizes = np.bincount(self.kprototypes_.labels_, minlength=k)
        order = np.argsort(-sizes, kind="stable")
        self.model_ = SegmentModel(
            preprocessor=self.preprocessor_,
            centers=self.kprototypes_.cluster_centers_[order],
            modes=self.kprototypes_.cluster_modes_[order],
            gamma=self.kprototypes_.gamma_,
            segment_ids=tuple(range(1, k + 1)),
            info={
                "train_cost": self.kprototypes_.cost_,
                "n_iter": self.kprototypes_.n_iter_,
                "init_costs": self.kprototypes_.init_costs_,
                "estimator": {name: value for name, value in self.clusterer.get_params().items()},
            },
        )
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Segment id of every customer."""
        check_is_fitted(self, "model_")
        return self.model_.assign(frame)

    @classmethod
    def like(cls, model: SegmentModel) -> CustomerSegmenter:
        """An unfitted segmenter with the settings ``model`` was fitted with (for refits in evaluation)."""
        prep = model.preprocessor
        preprocessor = SegmentPreprocessor(
            numeric=list(prep.numeric),
            categorical=list(prep.categorical),
            log1p=list(prep.log1p),
            clip_quantiles=tuple(prep.clip_quantiles),
            scaling=prep.scaling,
        )
        return cls(preprocessor, FastKPrototypes(**model.info["estimator"]))
