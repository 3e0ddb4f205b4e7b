"""train_segmenter: K-Prototypes customer segments on the train split (features only), named and aligned.

Writes models/segmenter.json (prototypes, modes, gamma, preprocessing, ids, names, estimator
settings) and reports/details/segmenter_train.json. Ids follow the reference model in reference/
when there is one.
"""

from __future__ import annotations

from intentseg.config.base import section, seed_of
from intentseg.config.check import checked_params
from intentseg.config.data import DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.data.spec import TableSpec
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.segments.setup import with_table_names
from intentseg.segments.training import fit_segment_model
from stages.segment_model import reference_segments


def main() -> None:
    params = checked_params()
    data, paths = DataConfig.from_params(params), PathsConfig.from_params(params)
    spec = TableSpec.from_dict(read_json(paths.prepared.spec))
    config = with_table_names(TrainSegmenterConfig.from_params(params), spec.resolve)
    log = stage_logger("train_segmenter")
    reference = reference_segments(paths)
    log.info("reference segmentation: %s", paths.reference.segmenter if reference else "none (ids by segment size)")

    train = read_parquet(paths.split.train)
    with timed(
        log, f"setting up (k={config.k}) and fitting on {len(train)} customers ({config.n_init} initialisations)"
    ):
        model, summary = fit_segment_model(
            train,
            config,
            seed_of(params),
            spec.target,
            spec.id_column,
            source=data.preset,
            reference=reference,
            display_names=spec.display_names(),
            groups={column.name: column.group for column in spec.columns},
            gate_silhouette=section(params, "gates").get("min_silhouette"),
        )
    with OutputGroup() as outputs:  # both outputs, or neither
        write_json(model.to_dict(), paths.models.segmenter, digits=None, group=outputs)
        write_json(summary, paths.details["segmenter_train"], group=outputs)


if __name__ == "__main__":
    run_stage(main)
