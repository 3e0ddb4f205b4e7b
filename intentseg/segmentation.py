"""Customer segments: fitting, naming, profiling, and aligning ids to a reference.

:class:`CustomerSegmenter` fits the preprocessing and :class:`FastKPrototypes` on
features only (never the label). Its result, :class:`SegmentModel`, assigns any customer to
a segment and round-trips through JSON (no pickle). Segment names are generated from each
segment's most distinctive traits with the words in ``params.yaml``; ids are aligned to a
reference model so that the same segment keeps its id and name across monthly retrains.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from intentseg.features import FeatureMismatchError, ModelFileError
from intentseg.kprototypes import FastKPrototypes, assign
from intentseg.segment_prep import SegmentPreprocessor

METADATA_FORMAT = "intentseg.segmenter/1"


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
                    "modes": {column: prep.levels_[column][self.modes[index, j]] for j, column in enumerate(prep.categorical)},
                }
                for index, (segment_id, name) in enumerate(zip(self.segment_ids, self.names or [""] * len(self.segment_ids)))
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
            raise ModelFileError("segmenter fingerprint does not match its feature list: the file was edited or corrupted")
        prep = SegmentPreprocessor.from_dict(features)
        segments = data["segments"]
        centers = np.array([[segment["center_scaled"][name] for name in prep.numeric] for segment in segments])
        modes = np.array(
            [[prep.levels_[column].index(segment["modes"][column]) for column in prep.categorical] for segment in segments],
            dtype=np.int64,
        ).reshape(len(segments), len(prep.categorical))
        info = {key: value for key, value in data.items() if key not in {"format", "fingerprint", "gamma", "preprocessing", "segments"}}
        return cls(prep, centers, modes, float(data["gamma"]), tuple(s["id"] for s in segments),
                   tuple(s["name"] for s in segments), info)


class CustomerSegmenter:
    """Preprocessing plus K-Prototypes on the segmentation features (scikit-learn style).

    Takes an unfitted :class:`SegmentPreprocessor` and :class:`FastKPrototypes` (like a
    two-step pipeline); ``fit`` fits copies of them as ``preprocessor_`` and ``kprototypes_``
    and learns ``model_`` (a :class:`SegmentModel`, ids ordered by segment size, largest first).
    """

    def __init__(self, preprocessor: SegmentPreprocessor, clusterer: FastKPrototypes) -> None:
        self.preprocessor = preprocessor
        self.clusterer = clusterer

    def fit(self, frame: pd.DataFrame) -> CustomerSegmenter:
        """Fit on customer features; the label, if present, is ignored."""
        self.preprocessor_ = copy.deepcopy(self.preprocessor).fit(frame)
        numeric, codes = self.preprocessor_.transform(frame)
        self.kprototypes_ = copy.deepcopy(self.clusterer).fit(numeric, codes)
        k = self.kprototypes_.n_clusters
        sizes = np.bincount(self.kprototypes_.labels_, minlength=k)
        order = np.argsort(-sizes, kind="stable")
        self.model_ = SegmentModel(
            preprocessor=self.preprocessor_,
            centers=self.kprototypes_.cluster_centers_[order],
            modes=self.kprototypes_.cluster_modes_[order],
            gamma=self.kprototypes_.gamma_,
            segment_ids=tuple(range(1, k + 1)),
            info={"train_cost": self.kprototypes_.cost_, "n_iter": self.kprototypes_.n_iter_,
                  "init_costs": self.kprototypes_.init_costs_},
        )
        return self


def segment_profiles(
    frame: pd.DataFrame,
    segment_ids: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    outcome_columns: dict[str, str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Per segment: share, numeric medians and index vs population, dominant categories, outcomes.

    The index is 100 x segment median / population median (100 = the typical customer);
    where the population median is 0 (e.g. most customers never used a discount) it is
    100 x segment mean / population mean instead. ``outcome_columns`` maps output names to
    columns attached after fitting (e.g. ``purchase_rate`` -> the label).
    """
    profiles: dict[int, dict[str, Any]] = {}
    population_medians = frame[numeric].median()
    population_means = frame[numeric].mean()
    for segment in sorted(np.unique(segment_ids)):
        members = frame[segment_ids == segment]
        numeric_profile = {}
        for name in numeric:
            median = float(members[name].median())
            if population_medians[name] > 0:
                index = 100 * median / population_medians[name]
            elif population_means[name] > 0:
                index = 100 * members[name].mean() / population_means[name]
            else:
                index = None
            numeric_profile[name] = {"median": median, "index": None if index is None else float(index)}
        categorical_profile = {}
        for name in categorical:
            shares = members[name].astype("object").fillna("missing").value_counts(normalize=True)
            population_share = frame[name].astype("object").fillna("missing").value_counts(normalize=True)
            top = str(shares.index[0])
            categorical_profile[name] = {
                "top": top,
                "share": float(shares.iloc[0]),
                "lift": float(shares.iloc[0] / population_share.get(top, np.nan)),
            }
        profile = {"size": int(len(members)), "share": float(len(members) / len(frame)),
                   "numeric": numeric_profile, "categorical": categorical_profile}
        for output, column in (outcome_columns or {}).items():
            profile[output] = float(members[column].mean())
        profiles[int(segment)] = profile
    return profiles


def _trait_phrases(
    model: SegmentModel, profile: dict[str, Any], vocabulary: dict[str, Any], min_ratio: float
) -> list[tuple[float, str]]:
    """Distinctive numeric traits of one segment as (strength, phrase), strongest first.

    A segmentation feature is a trait when its profile index (100 = average customer) is at
    least ``100 * min_ratio`` or at most ``100 / min_ratio``; strength is |log(index / 100)|.
    Names thus say what the profile cards show.
    """
    words = vocabulary.get("numeric", {})
    phrases = []
    for name in model.preprocessor.numeric:
        index = profile["numeric"][name]["index"]
        if index is None:
            continue
        ratio = min(max(index, 5.0), 2000.0) / 100.0
        if ratio >= min_ratio or ratio <= 1.0 / min_ratio:
            high, low = words.get(name, [f"high {name.replace('_', ' ')}", f"low {name.replace('_', ' ')}"])
            phrases.append((abs(float(np.log(ratio))), high if ratio > 1 else low))
    return sorted(phrases, key=lambda item: -item[0])


def _category_phrase(model: SegmentModel, index: int, profile: dict[str, Any], vocabulary: dict[str, Any],
                     min_lift: float) -> str | None:
    """The most over-represented dominant category of a segment, as a noun phrase."""
    best = None
    for name in model.preprocessor.categorical:
        stats = profile["categorical"][name]
        if stats["lift"] >= min_lift and (best is None or stats["lift"] > best[0]):
            level_words = vocabulary.get("categorical", {}).get(name, {})
            best = (stats["lift"], level_words.get(stats["top"], f"{stats['top'].replace('_', ' ')} {name.replace('_', ' ')}"))
    return best[1] if best else None


def generate_names(
    model: SegmentModel, profiles: dict[int, dict[str, Any]], vocabulary: dict[str, Any],
    min_ratio: float = 1.4, min_lift: float = 1.3,
) -> tuple[str, ...]:
    """A distinct human-readable name per segment from its most distinctive traits.

    Two strongest numeric traits plus the most over-represented category, e.g.
    "Frequent, high-spend platinum members". A trait shared by several segments counts
    less (its strength is divided by how many segments have it), so names say what sets a
    segment apart; more traits are added until names are unique.
    """
    traits_by_segment = [
        _trait_phrases(model, profiles[segment_id], vocabulary, min_ratio) for segment_id in model.segment_ids
    ]
    sharing: dict[str, int] = {}
    for traits in traits_by_segment:
        for _, phrase in traits:
            sharing[phrase] = sharing.get(phrase, 0) + 1
    candidates = []
    for index, segment_id in enumerate(model.segment_ids):
        ranked = sorted(traits_by_segment[index], key=lambda item: -item[0] / sharing[item[1]])
        traits = [phrase for _, phrase in ranked] or ["typical"]
        noun = _category_phrase(model, index, profiles[segment_id], vocabulary, min_lift) or "customers"
        candidates.append((traits, noun))
    used = 2
    while True:
        names = [", ".join(traits[:used]) + " " + noun for traits, noun in candidates]
        if len(set(names)) == len(names) or used >= max(len(t) for t, _ in candidates):
            break
        used += 1
    names = [name[0].upper() + name[1:] for name in names]
    seen: dict[str, int] = {}
    for position, name in enumerate(names):  # last resort: number identical names
        seen[name] = seen.get(name, 0) + 1
        if names.count(name) > 1:
            names[position] = f"{name} ({seen[name]})"
    return tuple(names)


def align_to_reference(model: SegmentModel, reference: SegmentModel, max_dissimilarity: float) -> tuple[SegmentModel, dict[str, Any]]:
    """Give each new prototype the id (and name) of its matching reference prototype.

    Reference prototypes (stored in original units) are mapped into the new model's scaled
    space and matched one-to-one by minimum total K-Prototypes dissimilarity (Hungarian
    algorithm). A match farther than ``max_dissimilarity`` keeps the id but loses the name
    (it is regenerated); segments beyond the reference's count get new ids.
    """
    prep = model.preprocessor
    ref_prep = reference.preprocessor
    if prep.numeric != ref_prep.numeric or prep.categorical != ref_prep.categorical:
        raise ValueError("the reference segmenter uses other features; align only models with the same features")
    ref_centers = prep.from_original_units(ref_prep.to_original_units(reference.centers))
    ref_modes = np.array(
        [[prep.levels_[name].index(ref_prep.levels_[name][code]) if ref_prep.levels_[name][code] in prep.levels_[name] else -1
          for name, code in zip(prep.categorical, row)] for row in reference.modes],
        dtype=np.int64,
    ).reshape(len(reference.centers), len(prep.categorical))
    cost = np.array([
        [np.sum((model.centers[i] - ref_centers[r]) ** 2) + model.gamma * np.sum(model.modes[i] != ref_modes[r])
         for r in range(len(ref_centers))]
        for i in range(len(model.centers))
    ])
    rows, columns = linear_sum_assignment(cost)
    new_ids = [0] * len(model.centers)
    names = [""] * len(model.centers)
    matches = {}
    for i, r in zip(rows, columns):
        new_ids[i] = reference.segment_ids[r]
        close = cost[i, r] <= max_dissimilarity
        names[i] = reference.names[r] if close and reference.names else ""
        matches[str(reference.segment_ids[r])] = {"dissimilarity": float(cost[i, r]), "name_kept": bool(close)}
    next_id = max(reference.segment_ids) + 1
    for i in range(len(model.centers)):
        if i not in set(rows):
            new_ids[i], next_id = next_id, next_id + 1
    order = np.argsort(new_ids, kind="stable")
    aligned = replace(
        model,
        centers=model.centers[order],
        modes=model.modes[order],
        segment_ids=tuple(int(new_ids[i]) for i in order),
        names=tuple(names[i] for i in order),
    )
    return aligned, {"matches": matches, "new_segments": [int(new_ids[i]) for i in range(len(model.centers)) if i not in set(rows)]}


def complete_names(model: SegmentModel, generated: tuple[str, ...]) -> SegmentModel:
    """Fill empty names (new or drifted segments) with generated ones, keeping names distinct."""
    names = list(model.names) if model.names else [""] * len(model.segment_ids)
    for index, name in enumerate(names):
        if not name:
            candidate = generated[index]
            names[index] = candidate if candidate not in names else f"{candidate} (segment {model.segment_ids[index]})"
    return replace(model, names=tuple(names))


def segmenter_from_params(
    settings: dict[str, Any], seed: int, n_clusters: int | None = None, n_init: int | None = None
) -> CustomerSegmenter:
    """A :class:`CustomerSegmenter` from the ``train_segmenter`` params section.

    ``n_clusters`` and ``n_init`` override ``k`` and ``n_init`` (for the k sweep).
    """
    preprocessor = SegmentPreprocessor(
        numeric=list(settings["features"]["numeric"]),
        categorical=list(settings["features"]["categorical"]),
        log1p=list(settings["log1p"]),
        clip_quantiles=tuple(settings["clip_quantiles"]),
        scaling=settings["scaling"],
    )
    clusterer = FastKPrototypes(
        n_clusters=int(n_clusters or settings["k"]),
        gamma=settings["gamma"],
        n_init=int(n_init or settings["n_init"]),
        max_iter=int(settings["max_iter"]),
        init=settings["init"],
        random_state=seed,
    )
    return CustomerSegmenter(preprocessor, clusterer)


def outcome_columns(settings: dict[str, Any], target: str) -> dict[str, str]:
    """Outcomes attached to segment profiles after fitting: the purchase rate and configured extras."""
    return {"purchase_rate": target, **settings["profile"]["outcomes"]}


def profile_columns(settings: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Numeric and categorical columns described in segment profiles (segmentation features first)."""
    numeric = list(dict.fromkeys([*settings["features"]["numeric"], *settings["profile"]["numeric"]]))
    categorical = list(dict.fromkeys([*settings["features"]["categorical"], *settings["profile"]["categorical"]]))
    return numeric, categorical


def fit_segment_model(
    train: pd.DataFrame, settings: dict[str, Any], seed: int, outcome_columns: dict[str, str],
    reference: SegmentModel | None,
) -> tuple[SegmentModel, dict[str, Any]]:
    """Fit on train features, align ids to ``reference``, and name the segments.

    Outcomes (e.g. the purchase label) are attached to the profiles after fitting; they
    never influence the segments.
    """
    segmenter = segmenter_from_params(settings, seed).fit(train)
    model = segmenter.model_
    alignment = None
    if reference is not None:
        model, alignment = align_to_reference(model, reference, float(settings["alignment_max_dissimilarity"]))
    numeric, categorical = profile_columns(settings)
    profiles = segment_profiles(train, model.assign(train), numeric, categorical, outcome_columns)
    naming = settings["naming"]
    generated = generate_names(model, profiles, naming, float(naming["min_ratio"]), float(naming["min_lift"]))
    model = complete_names(model, generated)
    summary = {
        "k": len(model.segment_ids),
        "gamma": model.gamma,
        "train_cost": segmenter.kprototypes_.cost_,
        "n_iter": segmenter.kprototypes_.n_iter_,
        "init_costs": segmenter.kprototypes_.init_costs_,
        "aligned_to_reference": alignment is not None,
        "alignment": alignment,
        "segments": {str(sid): name for sid, name in zip(model.segment_ids, model.names)},
    }
    return model, summary
