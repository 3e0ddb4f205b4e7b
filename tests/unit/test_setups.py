"""Set-ups that relate two quantities (sample sizes and rows, ``top_k`` and features, ``k`` and customers, folds
and the smallest class), and the end of a stage on Ctrl-C or SIGTERM: sized down and said so, or refused
with one message naming the setting, the rule and the values; never a traceback."""

from __future__ import annotations

import copy
import logging
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from intentseg.config.base import with_absolute_paths
from intentseg.foundation.errors import ConfigError, DataContractError
from intentseg.foundation.io import OutputGroup, write_text
from intentseg.foundation.runlog import run_stage
from intentseg.foundation.sizing import refuse_above, sized_down
from tests.conftest import default_params


def _set(params: dict, dotted: str, value) -> None:
    node = params
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = value


def _small_params(folder: Path, repo_root: Path, columns: list[str], rows: int = 600) -> dict:
    from intentseg.data.example_table import make_example_table
    from tests.pipeline import TINY

    table = make_example_table(rows, seed=3)
    table[["member_no", *columns, "converted"]].to_csv(folder / "table.csv", index=False)
    params = copy.deepcopy(with_absolute_paths(default_params(repo_root), folder))  # edited below: a copy
    for section, values in TINY.items():
        params[section] = copy.deepcopy({**params[section], **values})
    params["data"] = {
        **params["data"],
        "source": str(folder / "table.csv"),
        "id_column": "member_no",
        "target": "converted",
        "min_positives": 20,
    }
    (folder / "reference").mkdir(exist_ok=True)  # paths are under folder: no champion, no accepted segmentation
    return params


def test_sized_down_and_refused_name_the_setting_and_values(caplog):
    with caplog.at_level(logging.INFO, logger="intentseg.foundation.sizing"):
        assert sized_down("evaluate.check_sample", 200, 50, "test customers") == 50
        assert sized_down("evaluate.check_sample", 20, 50, "test customers") == 20
    assert [record.getMessage() for record in caplog.records] == [
        "evaluate.check_sample: 200 asked, but there are only 50 test customers: using 50"
    ]
    with pytest.raises(ConfigError, match=r"train_segmenter\.k: 9 is more than 4, the customers"):
        refuse_above("train_segmenter.k", 9, 4, "the customers")


def _run_stages(folder: Path, params: dict, stages) -> None:
    import yaml

    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    previous = Path.cwd()
    os.chdir(folder)
    try:
        for stage in stages:
            stage.main()
    finally:
        os.chdir(previous)


def test_more_segments_than_distinct_customers_is_refused(tmp_path, repo_root):
    from stages import prepare, split, train_segmenter

    params = _small_params(tmp_path, repo_root, ["plan", "visits_30d"])
    params["train_segmenter"] = {**params["train_segmenter"], "features": {"numeric": [], "categorical": ["plan"]}}
    params["train_segmenter"]["k"] = 10
    params["train_segmenter"]["log1p"] = []
    with pytest.raises(ConfigError) as refused:
        _run_stages(tmp_path, params, (prepare, split, train_segmenter))
    message = str(refused.value)
    assert message.startswith("train_segmenter.k: 10 is more than 3, the train customers that differ")
    assert "['plan']" in message


def test_k_candidates_larger_than_the_customers_are_skipped_or_refused(tmp_path, repo_root):

    from intentseg.config.check import section_config
    from intentseg.segments.k_rule import choose_k
    from intentseg.segments.setup import plan_segmentation
    from intentseg.segments.training import segmenter_for

    frame = pd.DataFrame({"level": list("abc") * 20, "spend": np.tile([1.0, 5.0, 9.0], 20)})
    config = section_config(default_params(repo_root), "train_segmenter")
    config = config.model_copy(
        update={
            "features": config.presets["simulator"].features.model_copy(
                update={"numeric": ("spend",), "categorical": ("level",)}
            ),
            "log1p": (),
            "auto_k": config.auto_k.model_copy(
                update={"candidates": (2, 3, 40), "stability_resamples": 2, "n_init": 1}
            ),
        }
    )
    plan = plan_segmentation(config, "file", frame, set())
    k, table = choose_k(segmenter_for(plan, config, 0, 2), frame, config.auto_k, 0)
    assert [row["k"] for row in table] == [2, 3] and k in (2, 3)
    config = config.model_copy(update={"auto_k": config.auto_k.model_copy(update={"candidates": (40, 50)})})
    with pytest.raises(ConfigError, match=r"auto_k\.candidates: every candidate \[40, 50\] is more than the 3"):
        choose_k(segmenter_for(plan, config, 0, 2), frame, config.auto_k, 0)


def test_split_fractions_the_labels_cannot_fill_are_refused_at_prepare(tmp_path, repo_root):
    from stages import prepare

    params = _small_params(tmp_path, repo_root, ["visits_30d"])
    params["split"]["fractions"] = {"train": 0.96, "valid": 0.02, "test": 0.02}
    with pytest.raises(DataContractError) as refused:
        _run_stages(tmp_path, params, (prepare,))
    message = str(refused.value)
    assert message.startswith("split.fractions: too few rows for a stratified train/valid/test split")
    assert "each label needs at least 100 rows" in message and "label 1: " in message
    assert not (tmp_path / "data" / "prepared").exists()  # refused before any output


def test_a_bootstrap_of_one_label_is_refused_not_looped():
    from intentseg.foundation.metrics import bootstrap_interval, roc_auc

    with pytest.raises(ValueError, match="needs both labels"):
        bootstrap_interval(roc_auc, np.zeros(30), np.linspace(0, 1, 30), 10, 0.95, seed=0)
    labels = np.zeros(400)
    labels[0] = 1  # almost every resample lacks the one positive... but not all: it ends
    assert len(bootstrap_interval(roc_auc, labels, np.linspace(0, 1, 400), 10, 0.95, seed=0)) == 2


# ---------------------------------------------------------------- interrupts


def _interrupted(main, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ended:
        run_stage(main)
    return ended.value.code, capsys.readouterr().err


def test_ctrl_c_ends_a_stage_in_one_line_with_exit_130(tmp_path, capsys):
    def main() -> None:
        with OutputGroup() as outputs:
            write_text("new", tmp_path / "metrics.json", outputs)
            raise KeyboardInterrupt

    main.__module__ = "stages.evaluate"
    (tmp_path / "metrics.json").write_text("old")
    code, err = _interrupted(main, capsys)
    assert code == 130 and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("interrupted: stage 'evaluate' stopped by Ctrl-C (SIGINT); nothing of this run was renamed")
    assert (tmp_path / "metrics.json").read_text() == "old" and list(tmp_path.iterdir()) == [tmp_path / "metrics.json"]


def test_sigterm_ends_a_stage_in_one_line_with_exit_143(tmp_path, capsys):
    previous = signal.getsignal(signal.SIGTERM)

    def main() -> None:
        write_text("done", tmp_path / "first.json")
        os.kill(os.getpid(), signal.SIGTERM)

    main.__module__ = "stages.score"
    try:
        code, err = _interrupted(main, capsys)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 143 and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("interrupted: stage 'score' stopped by SIGTERM; 1 of its outputs had already been replaced")
    assert str(tmp_path / "first.json") in err


def test_a_users_mistake_keeps_to_one_message_without_control_characters(capsys):
    def main() -> None:
        raise ConfigError("column 'a\x1b[2J' is missing\n  - second line")

    code, err = _interrupted(main, capsys)
    assert code == 2 and "\x1b" not in err and err == "error: column 'a\\x1b[2J' is missing\n  - second line\n"
