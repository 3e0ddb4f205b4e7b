"""Table specifications: which columns a customer table has and what each may hold.

A :class:`TableSpec` is the single description of a customer table that the data
contract, the summaries and (later) the models read their column lists from.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ColumnKind = Literal["numeric", "categorical"]
# Simulator ground truth: allowed for evaluation ceilings, never as features.
GROUND_TRUTH_COLUMNS = ("true_probability", "true_archetype", "true_effect")
TRUE_FALSE = "true/false"  # ColumnSpec.description of a column that was true/false in the source (now 1/0)
# Columns the score stage writes: an input column with one of these names is renamed at prepare.
OUTPUT_COLUMNS = (
    "purchase_probability",
    "propensity_decile",
    "in_audience",
    "segment_id",
    "segment_name",
    "classifier_version",
    "segmenter_version",
    "reject_rules",
)


def is_output_column(name: str) -> bool:
    """Whether the score stage writes a column of this name (``reason_1``, ``reason_2``, ... included)."""
    return name in OUTPUT_COLUMNS or re.fullmatch(r"reason_\d+", name) is not None


@dataclass(frozen=True)
class ColumnSpec:
    """One feature column: its kind, feature group, allowed range or levels."""

    name: str
    kind: ColumnKind
    group: str
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None
    nullable: bool = True
    description: str = ""
    source_name: str | None = None  # the column's name in the source file, when it had to be renamed

    @property
    def display_name(self) -> str:
        """The name people know the column by (the source file's)."""
        return self.source_name or self.name


@dataclass(frozen=True)
class TableSpec:
    """A customer table: an id column, an optional binary target, feature columns and, for a labelled table
    of several snapshots, the snapshot column (``YYYY-MM-DD`` text; never a feature)."""

    id_column: str
    target: str | None
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)
    snapshot_column: str | None = None

    @property
    def feature_names(self) -> list[str]:
        """All feature column names, in table order."""
        return [c.name for c in self.columns]

    @property
    def numeric_features(self) -> list[str]:
        """Names of the numeric feature columns."""
        return [c.name for c in self.columns if c.kind == "numeric"]

    @property
    def categorical_features(self) -> list[str]:
        """Names of the categorical feature columns."""
        return [c.name for c in self.columns if c.kind == "categorical"]

    @property
    def groups(self) -> dict[str, list[str]]:
        """Feature names by feature group, groups in first-seen order."""
        grouped: dict[str, list[str]] = {}
        for column in self.columns:
            grouped.setdefault(column.group, []).append(column.name)
        return grouped

    def column(self, name: str) -> ColumnSpec:
        """The spec of one feature column."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"no feature column named {name!r}")

    def display_names(self) -> dict[str, str]:
        """Feature name -> the name in the source file, for the renamed columns only."""
        return {column.name: column.display_name for column in self.columns if column.source_name}

    def resolve(self, name: str) -> str:
        """The feature name of a column given by its feature name or its source file name."""
        for column in self.columns:
            if name in (column.name, column.source_name):
                return column.name
        return name

    def without_target(self) -> TableSpec:
        """The same table as an unlabelled scoring population (one snapshot: today's)."""
        return TableSpec(id_column=self.id_column, target=None, columns=self.columns)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (written by prepare for the later stages); ``snapshot_column`` only when there is one."""
        return {
            "id_column": self.id_column,
            "target": self.target,
            "columns": [
                {**asdict(column), "categories": list(column.categories) if column.categories else None}
                for column in self.columns
            ],
            **({"snapshot_column": self.snapshot_column} if self.snapshot_column else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSpec:
        """Rebuild from :meth:`to_dict`."""
        columns = tuple(
            ColumnSpec(**{**column, "categories": tuple(column["categories"]) if column["categories"] else None})
            for column in data["columns"]
        )
        return cls(data["id_column"], data["target"], columns, data.get("snapshot_column"))
