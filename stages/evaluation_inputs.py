"""Reading what the evaluate stage measures: the fitted models, the split, the ground truth and today's
customers (only stages touch disk)."""

from __future__ import annotations

from intentseg.config.paths import PathsConfig
from intentseg.data.spec import TableSpec
from intentseg.evaluation.run import EvaluationInputs
from intentseg.foundation.io import read_json, read_parquet
from stages.classifier_model import baseline_model, champion_model, purchase_model
from stages.segment_model import reference_segments, segment_model


def evaluation_inputs(paths: PathsConfig) -> EvaluationInputs:
    """Everything ``evaluate_models`` reads, from the paths of a run."""
    split, segmenter = read_json(paths.metrics["split"]), segment_model(paths)
    spec = TableSpec.from_dict(read_json(paths.prepared.spec))
    return EvaluationInputs(
        classifier=purchase_model(paths),
        baseline=baseline_model(paths),
        champion=champion_model(paths),
        segmenter=segmenter,
        reference=reference_segments(paths),
        **{part: read_parquet(getattr(paths.split, part)) for part in ("train", "valid", "test")},
        ground_truth=read_parquet(paths.prepared.ground_truth),
        spec=spec,
        snapshots={part: entry.get("snapshots", []) for part, entry in split.items()},
        population=read_parquet(paths.prepared.population, columns=[spec.id_column, *segmenter.features]),
    )
