"""The two scoring engines behind ``score.engine``: one process streaming chunks, or a Dask cluster.

Both run the same chunk functions of :mod:`intentseg.scoring.first_pass` and :mod:`intentseg.scoring.second_pass` and return the same
accumulator and pass-2 tables; they differ in where rows are scored and in the shape of the
scores and rejects outputs (one Parquet file locally, a folder of part files on Dask). Outputs
are registered with the caller's :class:`~intentseg.foundation.io.OutputGroup`, so nothing is renamed into
place before the whole run (export and database sink included) has succeeded.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from intentseg.config.paths import ScoresPaths
from intentseg.config.score import DaskConfig
from intentseg.foundation.io import OutputGroup, ParquetAppender, atomic_path, iter_parquet_frames, temporary_beside
from intentseg.scoring.first_pass import rows_to_explain, score_population
from intentseg.scoring.second_pass import Explainer, RowPlan, finalise_scores, plan_rows
from intentseg.scoring.types import (
    FinalTables,
    ScoreAccumulator,
    ScoringJob,
    audience_columns,
    empty_members,
    empty_scores,
)
from intentseg.scoring.validation import empty_rejects


@dataclass(frozen=True)
class ScoredRun:
    """What an engine produced: the counts, the pass-2 tables, and where the final scores are until commit."""

    accumulator: ScoreAccumulator
    tables: FinalTables
    plan: RowPlan
    pending_scores: Path
    members: Path  # pass 2's exported members (a file, or a folder of part files): the export's rows, unsorted
    worker_peak_mb: dict[str, float] = field(default_factory=dict)  # Dask only: each worker's peak memory


def score_locally(job: ScoringJob, chunk_rows: int, out: ScoresPaths, group: OutputGroup) -> ScoredRun:
    """Two passes over ``chunk_rows``-row chunks in this process; scores and rejects as single files, the exported
    members as a hidden file beside the scores (the caller removes it once the export is written)."""
    id_column, top_k, with_effect = job.spec.id_column, job.reasons.top_k, job.models.uplift is not None
    interim = Path(out.scores).with_name(f".{Path(out.scores).name}.pass1")
    interim_rejects = Path(out.rejects).with_name(f".{Path(out.rejects).name}.pass1")
    members = Path(out.scores).with_name(f".{Path(out.scores).name}.members")
    try:
        with (
            ParquetAppender(
                interim, empty_scores(id_column, job.id_dtype, top_k, final=False, with_effect=with_effect)
            ) as scored,
            ParquetAppender(interim_rejects, empty_rejects(list(job.columns))) as rejects,
        ):
            accumulator = score_population(
                iter_parquet_frames(job.population, chunk_rows),
                job.models,
                job.spec,
                job.duplicate_ids,
                job.drift,
                scored_sink=scored.write,
                rejects_sink=rejects.write,
                month=job.snapshot_month,
            )
        final_columns = empty_scores(id_column, job.id_dtype, top_k, final=True, with_effect=with_effect)
        plan = plan_rows(accumulator, job.targeting)
        with (
            ParquetAppender(out.scores, final_columns, group) as final,
            ParquetAppender(members, empty_members(id_column, top_k, with_effect)) as exported,
        ):
            tables = finalise_scores(
                iter_parquet_frames(interim, chunk_rows),
                rows_to_explain(
                    iter_parquet_frames(job.population, chunk_rows),
                    job.spec,
                    accumulator.valid_flags,
                    plan.explained(job.reasons.scope),
                ),
                accumulator,
                plan,
                Explainer(job.models, job.reasons, job.words),
                audience_columns=audience_columns(id_column, top_k, with_effect),
                scores_sink=final.write,
                members_sink=exported.write,
            )
        with atomic_path(out.rejects, group) as rejects_file:
            interim_rejects.replace(rejects_file)
    except BaseException:
        members.unlink(missing_ok=True)
        raise
    finally:
        interim.unlink(missing_ok=True)
        interim_rejects.unlink(missing_ok=True)
    return ScoredRun(accumulator, tables, plan, final.pending_path, members)


def score_with_dask(job: ScoringJob, config: DaskConfig, out: ScoresPaths, group: OutputGroup) -> ScoredRun:
    """Both passes on the configured Dask cluster; scores and rejects as folders of part files, the exported members
    as a hidden folder of part files (the caller removes it once the export is written)."""
    from intentseg.scoring.distributed import dask_client, plan_partitions, score_on_dask, worker_peak_memory_mb

    folders = {name: temporary_beside(Path(getattr(out, name))) for name in ("scores", "rejects")}
    folders["interim"] = temporary_beside(Path(out.scores).with_name(f"{Path(out.scores).name}.pass1"))
    folders["members"] = temporary_beside(Path(out.scores).with_name(f"{Path(out.scores).name}.members"))
    for folder in folders.values():
        folder.unlink()
    try:
        partitions = plan_partitions(job.population, config.partition_rows)
        with dask_client(config) as client:
            accumulator, tables, plan = score_on_dask(
                client,
                job,
                partitions,
                folders,
                audience_columns=audience_columns(job.spec.id_column, job.reasons.top_k, job.models.uplift is not None),
            )
            peaks = worker_peak_memory_mb(client)
    except BaseException:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(folders["interim"], ignore_errors=True)
    for name in ("scores", "rejects"):
        group.add(folders[name], Path(getattr(out, name)))
    return ScoredRun(accumulator, tables, plan, folders["scores"], folders["members"], peaks)
