"""``data:``: where the customer table comes from and what its columns are (the prepare stage)."""

from __future__ import annotations

import codecs
import re
from typing import ClassVar

from intentseg.config.base import Key, LabelText, Number, Section, Settings, Text, Whole, bounded, password_env_problems

MONTH = r"\d{4}-(0[1-9]|1[0-2])"  # a month as YYYY-MM (data.snapshot_month; a snapshot column's months)
SIMULATOR_SOURCE = "simulator"  # data.source naming the built-in simulator (one snapshot) rather than a file
PANEL_SOURCE = "panel"  # data.source naming the built-in customer panel (monthly snapshots of one history)
SIMULATED_SOURCES = (SIMULATOR_SOURCE, PANEL_SOURCE)
SQL_SOURCE = "sql"  # data.source naming a database query (data.sql) rather than a file


class ReadConfig(Settings):
    """``data.read:``: how to read a CSV when sniffing cannot decide (null: sniffed)."""

    sep: Text | None
    encoding: Text | None
    decimal: Text | None
    na_values: tuple[Text, ...] | None

    def problems(self) -> list[str]:
        found = []
        if self.sep is not None and len(self.sep) != 1:
            found.append(f"sep must be one character (e.g. ';' or '\\t'), got {self.sep!r}")
        if self.decimal is not None and self.decimal not in (".", ","):
            found.append(f"decimal must be '.' or ',', got {self.decimal!r}")
        if self.sep is not None and self.sep == self.decimal:
            found.append(f"sep and decimal are both {self.sep!r}")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                found.append(f"encoding {self.encoding!r} is not a known text encoding (e.g. utf-8, cp1252, latin-1)")
        return found


class SqlSourceConfig(Settings):
    """``data.sql:``: the database and queries behind ``data.source: sql`` (credentials from the environment).

    The URL is read by SQLAlchemy, and a password in it refused, by :func:`intentseg.warehouse.connection.url_problems`.
    """

    url: Text | None
    password_env: Text | None
    labelled_query: Text | None
    population_query: Text | None
    history_query: Text | None  # a campaign tool's history (``uplift.history: sql``)
    chunk_rows: Whole = bounded(1)


class DataConfig(Section):
    """``data:``: where the customer table comes from and what its columns are."""

    name: ClassVar[str] = "data"

    source: Text
    population: Text | None
    read: ReadConfig
    sql: SqlSourceConfig
    id_column: Text | None
    target: Text
    positive_label: LabelText | None
    target_description: Text | None
    numeric: tuple[Text, ...] | None
    categorical: tuple[Text, ...] | None
    exclude: tuple[Text, ...] | None
    feature_groups: dict[Key, tuple[Text, ...]] | None
    ranges: dict[Key, tuple[Number | None, Number | None]] | None
    date_format: Text | None
    snapshot_date: Text | None
    snapshot_column: Text | None
    rare_level_share: Number = bounded(0.0, 1.0, high_open=True)
    max_levels: Whole = bounded(2)
    min_positives: Whole = bounded(1)
    leakage_auc: Number = bounded(0.5, 1.0)
    snapshot_month: Text
    n_customers: Whole = bounded(1)
    population_size: Whole = bounded(0)
    labelled_snapshots: Whole = bounded(1)

    @property
    def simulated(self) -> bool:
        """Whether the data comes from a built-in simulator (with ground truth), not from a table."""
        return self.source in SIMULATED_SOURCES

    @property
    def preset(self) -> str:
        """The name of the source's settings preset (``train_segmenter.presets``): both simulators share one."""
        return SIMULATOR_SOURCE if self.simulated else self.source

    def problems(self) -> list[str]:
        found = []
        if not re.fullmatch(MONTH, self.snapshot_month):
            found.append(f"snapshot_month: must be a month 'YYYY-MM', got {self.snapshot_month!r}")
        if self.snapshot_date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.snapshot_date):
            found.append(
                f"snapshot_date: must be a date 'YYYY-MM-DD' (or null: the latest date in the table), "
                f"got {self.snapshot_date!r}"
            )
        if self.date_format is not None and "%" not in self.date_format:
            found.append(f"date_format: must be a strftime format such as '%d/%m/%Y', got {self.date_format!r}")
        if self.source == SQL_SOURCE:
            if self.sql.url is None:
                found.append("sql.url: source sql needs a database URL (e.g. duckdb:///warehouse/shopsphere.duckdb)")
            found.extend(f"sql.{problem}" for problem in password_env_problems(self.sql.password_env))
            if not (self.sql.labelled_query or "").strip():
                found.append("sql.labelled_query: source sql needs the query of the labelled table")
            if self.population is not None:
                found.append("population: a file does not go with source sql; set sql.population_query instead")
        if self.id_column is not None and self.id_column == self.target:
            found.append(f"id_column and target are both {self.target!r}: the id cannot be the label")
        found.extend(self._snapshot_column_problems())
        listed = {"numeric": self.numeric or (), "categorical": self.categorical or (), "exclude": self.exclude or ()}
        for kind, names in listed.items():
            for name in (self.id_column, self.target):
                if name is not None and name in names:
                    role = "id_column" if name == self.id_column else "target"
                    found.append(f"{kind}: lists {name!r}, which is the {role}; the {role} cannot be a feature")
        both = sorted(set(listed["numeric"]) & set(listed["categorical"]))
        if both:
            found.append(f"numeric and categorical both list {both}: a column has one kind")
        return found

    def _snapshot_column_problems(self) -> list[str]:
        column = self.snapshot_column
        if column is None:
            return []
        if self.source == SIMULATOR_SOURCE:
            return [
                f"snapshot_column: {column!r} is for a file or SQL source; the simulator has one snapshot "
                "(source 'panel' has monthly snapshots)"
            ]
        if self.source == PANEL_SOURCE:
            return [f"snapshot_column: {column!r} is for a file or SQL source; the panel writes its own"]
        if column in (self.id_column, self.target):
            role = "id_column" if column == self.id_column else "target"
            return [f"snapshot_column: {column!r} is the {role}; the snapshot is a column of its own"]
        listed = [kind for kind in ("numeric", "categorical") if column in (getattr(self, kind) or ())]
        return [
            f"snapshot_column: {column!r} is also listed in {kind}; the snapshot is never a feature" for kind in listed
        ]
