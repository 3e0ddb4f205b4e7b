"""The audience export's files, written from pass 2's exported members on disk without holding the export whole.

Pass 2 writes each chunk's exported members in stream order (:class:`~intentseg.scoring.execution.ScoredRun`'s
``members``). Here their keys are read (id, order, decile, probability and flags: about 40 bytes a member), the
groups drawn over all of them (:func:`~intentseg.uplift.design.assign_contacts`) and the keys sorted as
:func:`~intentseg.scoring.export.audience_export` sorts the export. One sequential read then moves every member
to its bucket of :data:`BUCKET_ROWS` consecutive ranks (hidden Arrow files beside the export); each bucket, sorted,
is the next part of the export, written to the CSV, the Parquet file and the per-segment files. The bytes are
those of :func:`~intentseg.scoring.export.audience_export`'s frame written whole (tests compare them), and memory
grows with the keys only (docs/scoring.md: memory).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from intentseg.config.paths import ScoresPaths
from intentseg.foundation.csv_for_people import CsvRowWriter
from intentseg.foundation.io import (
    ROW_GROUP_ROWS,
    OutputGroup,
    atomic_path,
    streamed_parquet,
    temporary_folder_beside,
    warn_protected,
    write_csv_folder,
)
from intentseg.scoring.export import CONTROL, TARGET, ExportStamp, export_columns, export_examples, export_summary
from intentseg.uplift.design import AUDIENCE, EXPLORATION, assign_contacts

BUCKET_ROWS = ROW_GROUP_ROWS  # export rows sorted and written at a time: one Parquet row group each
EXAMPLES = 3  # the first target rows the report shows
RANK = "export_rank"  # the bucket files' extra column (suffixed with _ while the export has a column of that name)


@dataclass(frozen=True)
class ExportOrder:
    """The members, in member order: who is contacted, who is in the exploration sample, each one's rank in the
    export (two flags and an integer a member); and the export's summary."""

    contacted: np.ndarray
    explored: np.ndarray
    rank: np.ndarray
    summary: dict[str, Any]  # :func:`~intentseg.scoring.export.export_summary` of the export


@dataclass(frozen=True)
class WrittenExport:
    """What writing the export gave: its size, summary, first target rows, protected cells and its Parquet file."""

    rows: int
    summary: dict[str, Any]
    examples: list[dict[str, Any]]
    protected: dict[str, int]  # the CSV's cells protected for spreadsheets, per column
    parquet: Path  # where the Parquet export is until the output group commits (a database sink reads it)


def member_files(members: Path) -> list[Path]:
    """The members' files in stream order: one file, or a folder's part files by name."""
    return sorted(members.glob("*.parquet")) if members.is_dir() else [members]


def _read_members(members: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The members' ``columns`` (all of them by default), in stream order."""
    frames = [pd.read_parquet(file, columns=columns) for file in member_files(members)]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def export_order(members: Path, *, id_column: str, order_by: str, control_share: float, month: str) -> ExportOrder:
    """Groups, samples and ranks of the members from their keys alone, as :func:`audience_export` draws and sorts."""
    names = [id_column, order_by, "purchase_probability", "propensity_decile", "targeted", "explored"]
    keys = _read_members(members, list(dict.fromkeys(names)))
    explored = keys["explored"].to_numpy(dtype=bool)
    contacts = assign_contacts(
        keys[id_column],
        keys["propensity_decile"].to_numpy(),
        keys["targeted"].to_numpy(dtype=bool),
        explored,
        month=month,
        control_share=control_share,
    )
    contacted = contacts["contacted"].to_numpy() == 1
    ordered = keys[[order_by, id_column]].sort_values([order_by, id_column], ascending=[False, True], kind="stable")
    order = ordered.index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    summary_rows = pd.DataFrame(
        {
            "sample": _sample(explored),
            "group": _group(contacted),
            "propensity_decile": keys["propensity_decile"],
            "purchase_probability": keys["purchase_probability"],
        }
    )
    return ExportOrder(contacted, explored, rank, export_summary(summary_rows.iloc[order]))


def _group(contacted: np.ndarray) -> np.ndarray:
    return np.where(contacted, TARGET, CONTROL)


def _sample(explored: np.ndarray) -> np.ndarray:
    return np.where(explored, EXPLORATION, AUDIENCE)


def export_parts(members: Path, order: ExportOrder, stamp: ExportStamp, columns: list[str]) -> Iterator[pd.DataFrame]:
    """The export in order, :data:`BUCKET_ROWS` rows at a time (one empty part when there is no member): every
    member moved to its bucket in one sequential read, each bucket sorted by rank."""
    rank_column = RANK
    while rank_column in columns:
        rank_column += "_"
    in_rank_order = np.empty((len(order.rank), 2), dtype=bool)
    in_rank_order[order.rank] = np.column_stack([order.contacted, order.explored])
    scratch = temporary_folder_beside(members.parent / "export-buckets")  # a killed run's go with the next run
    try:
        buckets = _bucket_files(members, order.rank, scratch, rank_column)
        for bucket in buckets:
            with pa.memory_map(str(bucket)) as source:
                table = pa.ipc.open_stream(source).read_all()
            table = table.take(pa.array(table.column(rank_column).to_numpy().argsort(kind="stable")))
            ranks = table.column(rank_column).to_numpy()
            yield _stamped(table.drop_columns([rank_column]).to_pandas(), in_rank_order[ranks], stamp, columns)
        if not buckets:
            yield _stamped(_read_members(members).iloc[:0], in_rank_order, stamp, columns)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _stamped(members: pd.DataFrame, flags: np.ndarray, stamp: ExportStamp, columns: list[str]) -> pd.DataFrame:
    """Members in export order with their group, sample and the run's stamps, as the export's ``columns``."""
    members["group"], members["sample"] = _group(flags[:, 0]), _sample(flags[:, 1])
    members["run_date"], members["snapshot_month"] = stamp.run_date, stamp.snapshot_month
    return members[columns]


def _bucket_files(members: Path, rank: np.ndarray, scratch: Path, rank_column: str) -> list[Path]:
    """Every member appended to the file of its bucket (ranks // :data:`BUCKET_ROWS`), in one sequential read."""
    paths = [scratch / f"bucket-{number:06d}.arrows" for number in range((len(rank) + BUCKET_ROWS - 1) // BUCKET_ROWS)]
    with contextlib.ExitStack() as stack:
        writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        schema, start = None, 0
        for file in member_files(members):
            for batch in streamed_parquet(file).iter_batches(batch_size=BUCKET_ROWS):
                ranks = rank[start : start + batch.num_rows]
                start += batch.num_rows
                batch = batch.append_column(rank_column, pa.array(ranks))
                schema = schema or batch.schema  # the first part file's (part files differ in metadata at most)
                batch = pa.RecordBatch.from_arrays(batch.columns, schema=schema)
                bucket_of_row = ranks // BUCKET_ROWS
                for bucket in np.unique(bucket_of_row):
                    if bucket not in writers:
                        sink = stack.enter_context(pa.OSFile(str(paths[bucket]), "wb"))
                        writers[bucket] = stack.enter_context(pa.ipc.new_stream(sink, schema))
                    writers[bucket].write_batch(batch.filter(pa.array(bucket_of_row == bucket)))
    return paths


def write_export(
    members: Path,
    out: ScoresPaths,
    group: OutputGroup,
    *,
    stamp: ExportStamp,
    order: ExportOrder,
    columns: list[str],
    per_segment: bool,
) -> WrittenExport:
    """The export's CSV, Parquet file and per-segment CSV files (or the folder's note), part by part, registered
    with ``group``; its summary, first target rows and protected cells."""
    examples: list[dict[str, Any]] = []
    rows, parquet = 0, None
    with (
        atomic_path(out.audience, group) as csv_file,
        atomic_path(out.audience_parquet, group) as parquet_file,
        _SegmentFiles(Path(out.audience_by_segment), columns, group, per_segment) as segments,
        CsvRowWriter(csv_file, columns) as csv_rows,
    ):
        try:
            for part in export_parts(members, order, stamp, columns):
                lines = csv_rows.write(part)
                table = pa.Table.from_pandas(part, preserve_index=False)
                parquet = parquet or pq.ParquetWriter(parquet_file, table.schema, compression="zstd")
                parquet.write_table(table, row_group_size=ROW_GROUP_ROWS)
                segments.write(part, lines)
                if len(examples) < EXAMPLES:
                    examples += export_examples(part, columns[0], EXAMPLES - len(examples))
                rows += len(part)
        finally:
            if parquet is not None:
                parquet.close()
    warn_protected(out.audience, csv_rows.protected)
    return WrittenExport(rows, order.summary, examples, csv_rows.protected, parquet_file)


class _SegmentFiles:
    """The export split by segment (``segment_<id>.csv``, rows in export order) into a folder that replaces
    ``folder`` with the group; without ``per_segment``, the folder's note (:func:`write_csv_folder`)."""

    def __init__(self, folder: Path, columns: list[str], group: OutputGroup, per_segment: bool) -> None:
        self.folder, self.columns, self.group, self.per_segment = folder, columns, group, per_segment
        self.writers: dict[str, CsvRowWriter] = {}

    def __enter__(self) -> _SegmentFiles:
        self.temporary = temporary_folder_beside(self.folder)
        return self

    def write(self, part: pd.DataFrame, lines: pa.Array | None) -> None:
        """Append the part's rows of each segment to the segment's file: their ``lines`` as the export's CSV wrote
        them (the same columns, so the same text), or formatted again when pandas wrote that CSV (``None``)."""
        if not self.per_segment:
            return
        segment_ids = part["segment_id"].to_numpy()
        for segment in np.unique(segment_ids):
            name = f"segment_{int(segment)}.csv"
            if name not in self.writers:
                self.writers[name] = CsvRowWriter(self.temporary / name, self.columns).__enter__()
            rows = np.flatnonzero(segment_ids == segment)
            if lines is None:
                self.writers[name].write(part.iloc[rows].reset_index(drop=True))
            else:
                self.writers[name].write_lines(lines.take(pa.array(rows)))

    def __exit__(self, exc_type, exc, traceback) -> None:
        for writer in self.writers.values():
            writer.__exit__(None, None, None)
        if exc_type is not None or not self.per_segment:
            shutil.rmtree(self.temporary, ignore_errors=True)
            if exc_type is None:
                write_csv_folder({}, self.folder, self.group)
            return
        if not self.writers:
            (self.temporary / "README.txt").write_text("No per-segment files: the export is empty.\n")
        self.group.add(self.temporary, self.folder)


def written_export(
    members: Path,
    out: ScoresPaths,
    group: OutputGroup,
    *,
    stamp: ExportStamp,
    id_column: str,
    top_k: int,
    order_by: str,
    control_share: float,
    per_segment: bool,
) -> WrittenExport:
    """Order the members (highest ``order_by`` first, ties by id) and write the export; the members' file or folder
    is removed whatever happens."""
    try:
        with_effect = "contact_effect" in pq.ParquetFile(member_files(members)[0]).schema_arrow.names
        columns = export_columns(id_column, top_k, with_effect)
        month = stamp.snapshot_month
        order = export_order(members, id_column=id_column, order_by=order_by, control_share=control_share, month=month)
        return write_export(members, out, group, stamp=stamp, order=order, columns=columns, per_segment=per_segment)
    finally:
        if members.is_dir():
            shutil.rmtree(members, ignore_errors=True)
        else:
            members.unlink(missing_ok=True)
