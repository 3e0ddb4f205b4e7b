"""``train_segmenter:``: K-Prototypes features, preprocessing, k and initialisation, naming, profiles."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from intentseg.config.base import Key, Number, Section, Settings, Text, Whole, bounded


class SegmentFeatures(Settings):
    numeric: tuple[Text, ...]
    categorical: tuple[Text, ...]

    def problems(self) -> list[str]:
        return [] if self.numeric or self.categorical else ["name at least one segmentation feature"]


class NamingConfig(Settings):
    high_percentile: Number = bounded(0.5, 1.0, low_open=True)
    low_percentile: Number = bounded(0.0, 0.5, high_open=True)
    min_lift: Number = bounded(1.0, low_open=True)
    min_share: Number = bounded(0.0, 1.0)
    numeric: dict[Key, tuple[Text, Text]]
    categorical: dict[Key, dict[Key, Text]]


class ProfileConfig(Settings):
    numeric: tuple[Text, ...] | Literal["auto"]
    categorical: tuple[Text, ...] | Literal["auto"]
    outcomes: dict[Key, Text] | Literal["auto"]


class SegmentPreset(Settings):
    """A data source's chosen segmentation (the simulator's is ShopSphere's business choice)."""

    features: SegmentFeatures
    log1p: tuple[Text, ...]
    k: Whole = bounded(2)
    profile_numeric: tuple[Text, ...]
    profile_categorical: tuple[Text, ...]
    outcomes: dict[Key, Text]


class AutoFeaturesConfig(Settings):
    """How ``features: auto`` chooses segmentation features from a table (docs/segmentation.md)."""

    max_numeric: Whole = bounded(1)
    max_categorical: Whole = bounded(0)
    max_missing_share: Number = bounded(0.0, 1.0)
    max_mode_share: Number = bounded(0.0, 1.0, low_open=True)
    max_rank_correlation: Number = bounded(0.0, 1.0, low_open=True)
    max_levels: Whole = bounded(2)
    log_skewness: Number = bounded(0.0)
    profile_columns: Whole = bounded(0)
    sample_size: Whole = bounded(100)


class AutoKConfig(Settings):
    """How ``k: auto`` chooses the number of segments on the train split (docs/segmentation.md)."""

    candidates: tuple[Whole, ...]
    tolerance: Number = bounded(0.0)
    min_segment_share: Number = bounded(0.0, 1.0, high_open=True)
    min_stability: Number = bounded(-1.0, 1.0)
    sample_size: Whole = bounded(100)
    n_init: Whole = bounded(1)
    stability_resamples: Whole = bounded(2)

    def problems(self) -> list[str]:
        small = [k for k in self.candidates if k < 2]
        return [f"candidates: every k must be at least 2, got {small}"] if small or not self.candidates else []


class TrainSegmenterConfig(Section):
    """``train_segmenter:``: K-Prototypes features, preprocessing, k and initialisation, naming, profiles."""

    name: ClassVar[str] = "train_segmenter"

    features: SegmentFeatures | Literal["auto"]
    log1p: tuple[Text, ...] | Literal["auto"]
    clip_quantiles: tuple[Number, Number]
    scaling: Literal["standard", "robust"]
    k: Annotated[Whole, Field(ge=2)] | Literal["auto"]
    gamma: Number | None = bounded(0.0, low_open=True)
    n_init: Whole = bounded(1)
    max_iter: Whole = bounded(1)
    init: Literal["Cao", "Huang"]
    alignment_max_dissimilarity: Number = bounded(0.0)
    naming: NamingConfig
    profile: ProfileConfig
    auto_features: AutoFeaturesConfig
    auto_k: AutoKConfig
    presets: dict[Key, SegmentPreset]

    def problems(self) -> list[str]:
        found = []
        if self.features != "auto" and self.log1p != "auto":
            unknown = [name for name in self.log1p if name not in self.features.numeric]
            if unknown:
                found.append(f"log1p: {unknown} are not numeric segmentation features {list(self.features.numeric)}")
        for name, preset in self.presets.items():
            unknown = [column for column in preset.log1p if column not in preset.features.numeric]
            if unknown:
                found.append(f"presets.{name}.log1p: {unknown} are not numeric features of the preset")
        low, high = self.clip_quantiles
        if not 0.0 <= low < high <= 1.0:
            found.append(f"clip_quantiles: need 0 <= low < high <= 1, got {[low, high]}")
        return found
