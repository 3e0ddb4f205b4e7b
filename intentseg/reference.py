"""Accepting a run as the reference: the champion classifier, the segmentation new fits align to, and
the report's comparison.

``python -m intentseg.reference promote`` copies the current classifier (text model and metadata:
calibration, threshold, feature schema), the segment model and the metrics files to the reference
paths of ``params.yaml``, and records the run's period and targeting rule in ``reference/champion.json``. ``make promote`` runs it and then ``dvc repro`` (the
reference is a dependency of train_segmenter and evaluate), so the new reference and the outputs
it refreshes land in the same commit of the reviewed branch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from intentseg.config.base import load_params
from intentseg.config.paths import PathsConfig
from intentseg.foundation.io import read_json, write_json


def promote(paths: dict[str, Any], snapshot_month: str) -> list[Path]:
    """Copy the classifier, segment model and every metrics file to the reference; returns the files written."""
    reference = paths["reference"]
    written = []
    models = ("classifier", "classifier_metadata", "segmenter", "uplift")
    sources = [(Path(paths["models"][name]), Path(reference[name])) for name in models]
    sources += [(Path(path), Path(reference["metrics"]) / Path(path).name) for path in paths["metrics"].values()]
    missing = [str(source) for source, _ in sources if not source.exists()]
    if missing:
        raise FileNotFoundError(f"nothing to promote: {missing} do not exist (run `make repro` first)")
    for source, target in sources:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    data = read_json(paths["metrics"]["data"])
    champion = Path(reference["champion"])
    period = data.get("snapshot_date", snapshot_month)  # a table with dates names its snapshot
    score_details = Path(paths.get("details", {}).get("score", ""))
    targeting = read_json(score_details).get("targeting", {}) if score_details.is_file() else {}
    rule = targeting.get("rule", "propensity")
    write_json({"period": period, "target_by": rule}, champion)  # how its export chose the audience
    return [*written, champion]


def champion_period(paths: PathsConfig) -> str | None:
    """The period of the run whose classifier ``make promote`` put in production (from the record
    :func:`promote` writes), or None before the first promotion."""
    record = Path(paths.reference.champion)
    return read_json(record).get("period") if record.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["promote"])
    parser.parse_args(argv)
    try:
        params = load_params()
        written = promote(params["paths"], params["data"]["snapshot_month"])
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("reference updated: " + ", ".join(map(str, written)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
