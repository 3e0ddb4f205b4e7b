"""``score:``: daily batch scoring, the audience export, and where the export also goes."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from intentseg.config.base import Flag, Number, Section, Settings, Text, Whole, bounded, password_env_problems
from intentseg.config.drift import DriftConfig


class ReasonsConfig(Settings):
    method: Literal["path", "treeshap"]
    scope: Literal["everyone", "audience"]
    top_k: Whole = bounded(1)


class ExportConfig(Settings):
    per_segment: Flag


class DatabaseExportConfig(Settings):
    """``score.sink:``: the database table the export also goes to (written in one transaction).

    The URL is read by SQLAlchemy, and a password in it refused, by :func:`intentseg.warehouse.connection.url_problems`.
    """

    type: Literal["none", "sql"]
    url: Text | None
    password_env: Text | None
    table: Text | None
    mode: Literal["replace", "append"]
    rows: Literal["audience", "scores"]

    def problems(self) -> list[str]:
        if self.type == "none":
            return []
        found = [] if self.url else ["url: sink sql needs a database URL (e.g. duckdb:///warehouse/shopsphere.duckdb)"]
        found.extend(password_env_problems(self.password_env))
        if not self.table or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", self.table):
            found.append(f"table: must be a table name such as campaign_audience or marts.audience, got {self.table!r}")
        return found


class DaskConfig(Settings):
    """``score.dask:``: the Dask cluster ``score.engine: dask`` scores on."""

    scheduler: Text
    workers: Whole = bounded(1)
    threads_per_worker: Whole = bounded(1)
    memory_limit: Text
    partition_rows: Whole = bounded(1)

    def problems(self) -> list[str]:
        from dask.utils import parse_bytes  # dask's small utilities, not the scheduler

        found = []
        if self.scheduler != "local" and not re.fullmatch(r"(tcp|tls|inproc)://\S+", self.scheduler):
            found.append(
                f"scheduler: 'local' or a scheduler address such as tcp://10.0.0.5:8786, got {self.scheduler!r}"
            )
        try:
            parse_bytes(self.memory_limit)
        except (ValueError, TypeError):
            found.append(f"memory_limit: a size such as 4GiB or 500MB, got {self.memory_limit!r}")
        return found


class ScoreConfig(Section):
    """``score:``: daily batch scoring and the audience export."""

    name: ClassVar[str] = "score"

    chunk_rows: Whole = bounded(1)
    max_audience: Whole | None = bounded(1)
    control_share: Number = bounded(0.0, 1.0, high_open=True)
    exploration_share: Number = bounded(0.0, 1.0, high_open=True)
    target_by: Literal["auto", "propensity", "uplift", "uplift_profit"]
    run_date: Text | None
    engine: Literal["local", "dask"]
    dask: DaskConfig
    sink: DatabaseExportConfig
    export: ExportConfig
    reasons: ReasonsConfig
    drift: DriftConfig

    def problems(self) -> list[str]:
        if self.run_date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.run_date):
            return [f"run_date: must be a date 'YYYY-MM-DD' (or null), got {self.run_date!r}"]
        return []

    def stamped_date(self, snapshot_month: str) -> str:
        """The export's run date: ``run_date``, else the first day of the snapshot month (reproducible)."""
        return self.run_date or f"{snapshot_month}-01"
