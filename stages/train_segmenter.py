"""train_segmenter: K-Prototypes customer segments on the train split (features only), named and aligned.

Writes models/segmenter.json (prototypes, modes, gamma, preprocessing, ids, names) and
reports/details/segmenter_train.json. Ids follow the reference model in reference/ when there is one.
"""

from __future__ import annotations

from pathlib import Path

from intentseg.config import load_params, section
from intentseg.io import read_json, read_parquet, write_json
from intentseg.runlog import stage_logger, timed
from intentseg.segmentation import SegmentModel, fit_segment_model, outcome_columns


def main() -> None:
    params = load_params()
    settings, data, paths = section(params, "train_segmenter"), section(params, "data"), section(params, "paths")
    log = stage_logger("train_segmenter")

    reference_path = Path(paths["reference"]["segmenter"])
    reference = SegmentModel.from_dict(read_json(reference_path)) if reference_path.exists() else None
    log.info("reference segmentation: %s", reference_path if reference else "none (ids by segment size)")

    train = read_parquet(paths["split"]["train"])
    outcomes = outcome_columns(settings, data["target"])
    with timed(log, f"fitting k={settings['k']} on {len(train)} customers ({settings['n_init']} initialisations)"):
        model, summary = fit_segment_model(train, settings, int(params["seed"]), outcomes, reference)
    log.info("segments: %s", summary["segments"])

    write_json(model.to_dict(), paths["models"]["segmenter"], digits=None)
    write_json(summary, paths["details"]["segmenter_train"])


if __name__ == "__main__":
    main()
