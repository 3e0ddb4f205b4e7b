"""Scoring on a Dask cluster: the local engine's chunk functions, run on partitions by Dask workers.

The population Parquet file is cut into partitions of whole row groups. Pass 1 scores each
partition on a worker (:func:`~intentseg.scoring.first_pass.score_population` on one frame) and writes
its scores and rejects as one part file each; the driver gathers only the counts, the
probabilities and the drift counts. Deciles, the audience cap and the duplicate-id list need the
whole population, so the driver computes them exactly as the local engine does (same ranks, same
ties in the same row order) and pass 2 hands each partition its slice. Results therefore match
the local engine row for row; only float sums may differ in the last bits (other summation order).

Workers read and write files by path, so on a real cluster the population and the output folders
must be on storage every worker sees (a shared or network file system); a LocalCluster shares
this machine's disk. Outputs are folders of part files (``part-00000.parquet``, ...), which
pandas, pyarrow, DuckDB and Spark read as one table.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from intentseg.config.score import DaskConfig
from intentseg.foundation.errors import ConfigError
from intentseg.foundation.io import ParquetAppender
from intentseg.foundation.memory import peak_memory_mb
from intentseg.scoring.first_pass import rows_to_explain, score_population
from intentseg.scoring.second_pass import Explainer, RowPlan, combine_final, finalise_chunk, plan_rows
from intentseg.scoring.types import FinalChunk, FinalTables, ScoreAccumulator, ScoringJob, empty_scores
from intentseg.scoring.validation import empty_rejects

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Partition:
    """Rows of the population one task scores: whole row groups of the Parquet file."""

    index: int
    row_groups: tuple[int, ...]
    rows: int

    @property
    def part_name(self) -> str:
        return f"part-{self.index:05d}.parquet"


def plan_partitions(population: str, partition_rows: int) -> list[Partition]:
    """Group the file's row groups, in order, into partitions of about ``partition_rows`` rows."""
    metadata = pq.ParquetFile(population).metadata
    largest = max((metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)), default=0)
    if partition_rows < largest:
        logger.info(
            "score.dask.partition_rows: %d is less than a Parquet row group of the population (%d rows), the unit "
            "a partition is made of: each partition is one row group",
            partition_rows,
            largest,
        )
    partitions: list[Partition] = []
    groups: list[int] = []
    rows = 0
    for group in range(metadata.num_row_groups):
        groups.append(group)
        rows += metadata.row_group(group).num_rows
        if rows >= partition_rows:
            partitions.append(Partition(len(partitions), tuple(groups), rows))
            groups, rows = [], 0
    if groups or not partitions:
        partitions.append(Partition(len(partitions), tuple(groups), rows))
    return partitions


def _partition_frame(job: ScoringJob, partition: Partition) -> pd.DataFrame | None:
    """One partition's rows of the population file (None for an empty partition)."""
    parquet = pq.ParquetFile(job.population)
    return parquet.read_row_groups(list(partition.row_groups)).to_pandas() if partition.row_groups else None


def score_partition(job: ScoringJob, partition: Partition, scores_dir: str, rejects_dir: str):
    """Pass 1 on a worker: score one partition into part files; its accumulator and drift counts."""
    frame = _partition_frame(job, partition)
    drift = copy.deepcopy(job.drift)
    top_k, with_effect = job.reasons.top_k, job.models.uplift is not None
    with (
        ParquetAppender(
            Path(scores_dir) / partition.part_name,
            empty_scores(job.spec.id_column, job.id_dtype, top_k, final=False, with_effect=with_effect),
        ) as scored,
        ParquetAppender(Path(rejects_dir) / partition.part_name, empty_rejects(list(job.columns))) as rejects,
    ):
        accumulator = score_population(
            [frame] if frame is not None else [],
            job.models,
            job.spec,
            job.duplicate_ids,
            drift,
            scored_sink=scored.write,
            rejects_sink=rejects.write,
            month=job.snapshot_month,
        )
    return accumulator, drift.current_counts_


def finalise_partition(
    job: ScoringJob,
    partition: Partition,
    files: tuple[str, str, str],
    plan: RowPlan,
    *,
    audience_columns: list[str],
    valid_flags: list[np.ndarray],
) -> FinalChunk:
    """Pass 2 on a worker: one partition's deciles, audience and reasons (its rows read again, not validated
    again: ``valid_flags`` are pass 1's); its ``files`` (interim scores in; final scores and exported members out);
    its aggregates."""
    interim, final, members = files
    scores = pd.read_parquet(interim)
    frame = _partition_frame(job, partition)
    frames = [] if frame is None else [frame]
    chunks = list(rows_to_explain(frames, job.spec, valid_flags, plan.explained(job.reasons.scope)))
    features = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=list(job.columns))
    part = finalise_chunk(scores, features, plan, Explainer(job.models, job.reasons, job.words), audience_columns)
    for path, rows in ((final, part.scores), (members, part.exported_members)):
        with ParquetAppender(path, rows.iloc[:0]) as sink:
            sink.write(rows)
    return part.aggregates()


def merge_accumulators(parts: list[ScoreAccumulator]) -> ScoreAccumulator:
    """One accumulator for the whole population, partitions in order."""
    total = ScoreAccumulator()
    for part in parts:
        total.rows_in += part.rows_in
        total.rows_scored += part.rows_scored
        total.rows_rejected += part.rows_rejected
        total.audience_size += part.audience_size
        total.expected_conversions += part.expected_conversions
        total.rejects_by_rule.update(part.rejects_by_rule)
        total.probabilities.extend(part.probabilities)
        total.audience_probabilities.extend(part.audience_probabilities)
        total.audience_flags.extend(part.audience_flags)
        total.effects.extend(part.effects)
        total.exploration_draws.extend(part.exploration_draws)
        total.valid_flags.extend(part.valid_flags)
        for step, seconds in part.timings.items():
            total.clock(step, seconds)
    return total


@contextlib.contextmanager
def dask_client(config: DaskConfig) -> Iterator[object]:
    """A client of the configured scheduler: a LocalCluster on this machine, or an existing cluster's address."""
    from distributed import Client, LocalCluster

    if config.scheduler != "local":
        try:
            client = Client(config.scheduler, timeout="10s")
        except OSError as error:
            raise ConfigError(f"score.dask.scheduler: cannot reach {config.scheduler}: {error}") from None
        with client:
            yield client
        return
    threads = str(config.threads_per_worker)
    with (
        LocalCluster(
            n_workers=config.workers,
            threads_per_worker=config.threads_per_worker,
            memory_limit=config.memory_limit,
            processes=True,
            dashboard_address=None,
            env={  # each worker's share of the cores, for BLAS and the numba kernels (compiled forest, segments)
                name: threads
                for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
            },
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def score_on_dask(
    client,
    job: ScoringJob,
    partitions: list[Partition],
    folders: dict[str, Path],
    *,
    audience_columns: list[str],
) -> tuple[ScoreAccumulator, FinalTables, RowPlan]:
    """Both passes on the cluster; scores and rejects land as part files in ``folders["scores"|"rejects"]``.

    ``folders["interim"]`` holds pass 1's scores until pass 2 has rewritten them with deciles;
    ``folders["members"]`` receives pass 2's exported members, a part file per partition.
    The drift monitor ``job.drift`` receives the counts of the whole population.
    """
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    shared_job = client.scatter(job, broadcast=True)
    first = client.map(
        score_partition,
        [shared_job] * len(partitions),
        partitions,
        [str(folders["interim"])] * len(partitions),
        [str(folders["rejects"])] * len(partitions),
        pure=False,
    )
    results = _gathered_in_order(first)
    accumulator = merge_accumulators([result[0] for result in results])
    for _, counts in results:
        job.drift.add_counts(counts)

    plan = plan_rows(accumulator, job.targeting)
    tasks, offset = [], 0
    for partition, (part, _) in zip(partitions, results):
        tasks.append(
            client.submit(
                finalise_partition,
                shared_job,
                partition,
                tuple(str(folders[name] / partition.part_name) for name in ("interim", "scores", "members")),
                plan.rows(offset, offset + part.rows_scored),
                audience_columns=audience_columns,
                valid_flags=part.valid_flags,
                pure=False,
            )
        )
        offset += part.rows_scored
    tables = combine_final(_gathered_in_order(tasks), plan)
    shutil.rmtree(folders["interim"], ignore_errors=True)
    return accumulator, tables, plan


def _gathered_in_order(futures: list) -> list:
    """Results in submission order, each released on its worker as soon as it arrives.

    ``client.gather`` would keep every partition's result in worker memory until the last one is
    done, so a worker's memory would grow with the population; this keeps it at a few partitions.
    """
    from distributed import as_completed

    position = {future.key: index for index, future in enumerate(futures)}
    results: list = [None] * len(futures)
    arriving = as_completed(futures, with_results=True)
    futures.clear()  # the caller's references would keep the results on the workers
    for future, result in arriving:
        results[position[future.key]] = result
        future.release()
    return results


def worker_peak_memory_mb(client) -> dict[str, float]:
    """Each worker process's peak resident memory so far (its own VmHWM), in MB, by worker address."""
    return client.run(peak_memory_mb)
